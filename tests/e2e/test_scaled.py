"""`bot run-scaled --instances 2`: two of each service behind nginx, on PostgreSQL and Redis. Visitors talk
through nginx at once, two servers never handle one conversation at the same moment, a salesperson's
message reaches a visitor whichever server holds their socket, and a Rasa server killed under load costs
no conversation and no brief."""
from __future__ import annotations

import asyncio
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import socketio
import yaml

from tests.e2e.stack import RASA_TOKEN, ROOT, SALES_TOKEN, TEST_TRAFFIC_LIMITS, Stack
from tests.helpers import create_postgres_database, drop_postgres_databases, free_port, http, postgres_url
from tests.load import briefs_per_sender, play_load

CONVERSATIONS = yaml.safe_load((ROOT / "tests" / "conversations.yml").read_text())
HANDOFFS = [c for c in CONVERSATIONS if (c.get("expect") or {}).get("outcome") == "handoff"]


class Scaled(Stack):
    """`bot run-scaled` on free ports; `instances` maps rasa-1, web-1, actions-1... to their own ports."""

    def __init__(self, tmp: Path, database_url: str, tracker_url: str, **extra_env: str):
        self.ports = {"action": free_port(), "rasa": free_port(), "web": free_port()}
        self.database_url, self.tracker_url, self.log_dir = database_url, tracker_url, tmp
        self.rasa, self.web = f"http://127.0.0.1:{self.ports['rasa']}", f"http://127.0.0.1:{self.ports['web']}"
        self.env = {**os.environ, "DATABASE_URL": database_url, "TRACKER_DB_URL": tracker_url, "BOT_VAR_DIR": str(tmp),
                    "RASA_TOKEN": RASA_TOKEN, "SALES_API_TOKEN": SALES_TOKEN, **TEST_TRAFFIC_LIMITS, **extra_env}
        self.output = open(tmp / "bot-run.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run-scaled", "--instances", "2", "--action-port", str(self.ports["action"]),
             "--rasa-port", str(self.ports["rasa"]), "--web-port", str(self.ports["web"]), "--log-dir", str(tmp)],
            cwd=ROOT, env=self.env, stdout=self.output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 900  # two Rasa servers load their models side by side on two cores
        while b"Running 2 instances behind nginx" not in (tmp / "bot-run.log").read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail("`bot run-scaled` did not start:\n" + self.logs())
            time.sleep(1)
        time.sleep(0.5)  # the rest of the banner
        self.instances = {name: int(port) for name, port in re.findall(
            r"^  (\w+-\d)\s+http://127\.0\.0\.1:(\d+)", (tmp / "bot-run.log").read_text(), re.M)}

    def access_log(self) -> list:
        """nginx's log lines: (port, method, status, the instance's port)."""
        lines = (self.log_dir / "nginx" / "access.log").read_text().splitlines()
        return [(int(f[1]), f[2], int(f[3]), f[4].rsplit(":", 1)[-1]) for f in map(str.split, lines)]

    def instance_of(self, port: str) -> str:
        return next((name for name, own in self.instances.items() if str(own) == port), port)

    def leftovers(self) -> list:
        """Processes still running with this stack's var dir in their environment (nginx included)."""
        mark = f"BOT_VAR_DIR={self.log_dir}".encode()
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if mark in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                    found.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
            except OSError:
                continue
        return found


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scaled")
    names = [create_postgres_database(f"bot_scaled_{kind}") for kind in ("app", "tracker")]
    try:
        running = Scaled(tmp, *(postgres_url(name) for name in names))
    except BaseException:  # pytest.fail included: the databases go anyway
        drop_postgres_databases(names)
        raise
    yield running
    running.stop()
    deadline = time.monotonic() + 20
    while running.leftovers() and time.monotonic() < deadline:
        time.sleep(0.5)
    left = running.leftovers()
    drop_postgres_databases(names)
    assert left == [], f"still running after the stop: {left}"


def test_twenty_visitors_at_once_through_nginx_each_brief_stored_once(scaled):
    rest, sockets = CONVERSATIONS[0:20:2], CONVERSATIONS[1:20:2]  # handoffs on both channels

    async def both():
        await play_load(scaled.rasa, 0, "rest", rest + sockets)  # the reference run alone, first
        return await asyncio.gather(play_load(scaled.rasa, 10, "rest", rest),
                                    play_load(scaled.rasa, 10, "socketio", sockets))

    before = len(scaled.access_log())
    results = asyncio.run(both())
    for result in results:
        assert (result.errors, result.empty_replies) == (0, 0), result.summary()
        assert result.finished_as_expected == result.conversations == 10, result.summary()
    expecting = set.union(*(result.senders_expecting_brief for result in results))
    senders = [sender for result in results for sender in result.senders]
    assert len(expecting) >= 6
    assert briefs_per_sender(scaled.web, SALES_TOKEN, senders) == {s: int(s in expecting) for s in senders}
    lines = scaled.access_log()[before:]
    assert {scaled.instance_of(line[3]) for line in lines if line[0] == scaled.ports["rasa"]} == {"rasa-1", "rasa-2"}
    assert not [line for line in lines if line[2] >= 500]  # (the reference run would have had them too)
    assert "got no reply" not in "".join(path.read_text() for path in scaled.log_dir.glob("rasa-*.log"))


def _tracker_turns(scaled: Scaled, sender: str) -> list:
    """The conversation as (user text, [bot texts that followed it]) in the tracker's order."""
    turns = []
    for event in scaled.tracker(sender)["events"]:
        if event["event"] == "user":
            turns.append((event["text"], []))
        elif event["event"] == "bot" and turns:
            turns[-1][1].append(event["text"])
    return turns


def test_two_servers_never_handle_one_conversation_at_the_same_moment(scaled):
    """Two messages of one conversation reach the two Rasa servers directly at the same moment: the lock
    store makes one wait for the other, so the tracker holds both turns, each with its own replies."""
    servers = [f"http://127.0.0.1:{scaled.instances[name]}" for name in ("rasa-1", "rasa-2")]
    texts = ["our invoices go out late every month", "how much does it cost?"]
    for _ in range(8):
        sender = f"lock-{uuid.uuid4().hex[:12]}"
        assert http("POST", f"{servers[0]}/webhooks/rest/webhook", {"sender": sender, "message": "hello"})[0] == 200
        start, replies = threading.Barrier(2), {}

        def say(server: str, text: str) -> None:
            start.wait()
            status, answer = http("POST", f"{server}/webhooks/rest/webhook", {"sender": sender, "message": text})
            replies[text] = [reply.get("text") for reply in answer] if status == 200 else status

        threads = [threading.Thread(target=say, args=pair) for pair in zip(servers, texts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        turns = _tracker_turns(scaled, sender)
        assert [text for text, _ in turns[1:]] in (texts, texts[::-1]), turns
        assert all(said for _, said in turns[1:]), turns  # each turn answered, before the next one began
        assert {text: said for text, said in turns[1:]} == replies, (turns, replies)


class Widget:
    """A visitor's widget as bot/web/static/widget.js behaves: its `route` keeps long polling on one server,
    it asks for the same conversation after every reconnect, and sends a message again until the server
    acknowledges it (which the server does once it has handled it)."""

    def __init__(self, url: str, session_id: str, route: str = ""):
        self.session_id, self.replies = session_id, queue.Queue()
        self.confirmed, self.generation = threading.Event(), 0
        self.client = socketio.Client(reconnection=True, reconnection_delay=0.5, reconnection_delay_max=2)
        self.client.on("connect", self._connected)
        self.client.on("disconnect", self._disconnected)
        self.client.on("session_confirm", lambda _: self.confirmed.set())
        self.client.on("bot_uttered", lambda data: self.replies.put(data.get("text")))
        self.client.connect(f"{url}/?route={route or uuid.uuid4().hex}", socketio_path="/socket.io",
                            transports=["polling", "websocket"], wait_timeout=30)

    def _connected(self) -> None:
        self.client.emit("session_request", {"session_id": self.session_id})

    def _disconnected(self) -> None:
        self.confirmed.clear()
        self.generation += 1

    def say(self, text: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.confirmed.wait(timeout=1):
                continue
            acknowledged, generation = threading.Event(), self.generation
            try:
                self.client.emit("user_uttered", {"message": text, "session_id": self.session_id},
                                 callback=lambda *_: acknowledged.set())
            except socketio.exceptions.SocketIOError:
                continue  # disconnected meanwhile: after the reconnect
            while generation == self.generation and time.monotonic() < deadline:
                if acknowledged.wait(timeout=0.5):
                    return
        raise AssertionError(f"{text!r} was never acknowledged")

    def texts(self, seconds: float = 2) -> list:
        """The bot's messages so far, waiting `seconds` for more."""
        found = []
        try:
            while True:
                found.append(self.replies.get(timeout=seconds))
        except queue.Empty:
            return found

    def close(self) -> None:
        self.client.disconnect()


def test_a_salespersons_message_reaches_the_visitor_whichever_server_holds_the_socket(scaled):
    sender = f"takeover-{uuid.uuid4().hex[:12]}"
    visitor = Widget(scaled.rasa, sender)
    try:
        assert visitor.confirmed.wait(30)
        visitor.say("hello")
        assert "What's going on that brought you here today?" in visitor.texts()
        before = len(scaled.access_log())
        sent = [f"Hi, Ann from sales here ({n})" for n in range(4)]
        for text in sent:  # through nginx, as the inbox does; the API's requests go to either server
            status, _ = http("POST", f"{scaled.rasa}/conversations/{sender}/tracker/events?token={RASA_TOKEN}"
                                     "&output_channel=socketio&execute_side_effects=true",
                             [{"event": "pause"}, {"event": "bot", "text": text, "metadata": {"agent": "ann"}}])
            assert status == 200
        assert visitor.texts() == sent
    finally:
        visitor.close()
    time.sleep(1)  # nginx logs the socket's request when it closes
    lines = [line for line in scaled.access_log()[before:] if line[0] == scaled.ports["rasa"]]
    posts = {scaled.instance_of(port) for _, method, _, port in lines if method == "POST"}
    [holder] = {scaled.instance_of(port) for _, method, status, port in lines if status == 101}
    assert posts == {"rasa-1", "rasa-2"} and holder in posts  # so one message came from the other server


def _next_event(stream) -> tuple:
    """The next event of a Server-Sent Events stream: (kind, data); comments (heartbeats) are skipped."""
    import json

    kind = None
    for line in stream:
        if line.startswith(b"event: "):
            kind = line[7:].strip().decode()
        elif line.startswith(b"data: ") and kind:
            return kind, json.loads(line[6:])
    raise AssertionError("the stream ended")


def test_the_live_inbox_streams_through_nginx_what_either_server_saw(scaled):
    """An inbox page behind nginx hears at once of a brief stored by either Rasa server and of its visitor coming
    and going: each web app looks at the shared databases itself, and nginx passes each event on unbuffered."""
    from bot.sales import accounts
    from tests.helpers import Client

    email = f"ann-{uuid.uuid4().hex[:6]}@acme.io"
    accounts.add_user(email, "correct horse battery", url=scaled.database_url)
    client = Client(scaled.web)
    client.sign_in(email)
    request = urllib.request.Request(f"{scaled.web}/inbox/events", headers={"Accept": "text/event-stream"})
    sender = f"streamed-{uuid.uuid4().hex[:12]}"
    with client.opener.open(request, timeout=30) as stream:
        assert stream.readline() == b"retry: 2000\n"
        visitor = Widget(scaled.rasa, sender)
        try:
            assert visitor.confirmed.wait(30)
            for text in ("evening", "our night shift keeps double booking the loading dock",
                         "could I speak with an actual person", "no email, I'll wait here"):
                visitor.say(text)
            handed_over = time.monotonic()
            brief_event = _next_event(stream)
            assert time.monotonic() - handed_over < 2
            assert brief_event[0] == "brief" and brief_event[1]["sender_id"] == sender
            brief_id = brief_event[1]["id"]
            kind, data = _next_event(stream)
            assert (kind, data["brief_id"], data["online"]) == ("presence", brief_id, True)  # on the page now
        finally:
            visitor.close()
        left = time.monotonic()
        kind, data = _next_event(stream)
        assert time.monotonic() - left < 3
        assert (kind, data["brief_id"], data["online"]) == ("presence", brief_id, False)


def _instance_for_route(scaled: Scaled, route: str) -> str:
    """The Rasa server nginx sends socket.io's long polling with this route to (a handshake, read back
    from nginx's log)."""
    url = f"{scaled.rasa}/socket.io/?route={route}&EIO=4&transport=polling"
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
    time.sleep(0.2)
    return scaled.instance_of(scaled.access_log()[-1][3])


def test_a_rasa_server_killed_under_load_loses_no_conversation_and_no_brief(scaled):
    """Visitors talk through nginx; one Rasa server is SIGKILLed mid-conversation. Its socket.io visitors
    reconnect and ask for the same conversation, its REST visitors say again what got no answer; the other
    server goes on from the tracker store, and every handoff stores one brief."""
    routes = {"rasa-1": [], "rasa-2": []}
    while min(map(len, routes.values())) < 2:  # two socket.io visitors held by each server
        route = uuid.uuid4().hex
        routes[_instance_for_route(scaled, route)].append(route)
    victim = "rasa-1"
    plays = [(c, "socketio", route) for c, route in zip(HANDOFFS, routes["rasa-1"][:2] + routes["rasa-2"][:2])]
    plays += [(c, "rest", None) for c in HANDOFFS[2:6]]
    turns_done, outcomes, reconnected = threading.Semaphore(0), {}, {}

    def visitor(conversation: dict, channel: str, route: str) -> None:
        sender = f"survivor-{uuid.uuid4().hex[:12]}"
        outcomes[sender] = conversation
        widget = Widget(scaled.rasa, sender, route) if channel == "socketio" else None
        try:
            for text in conversation["turns"]:
                if widget:
                    widget.say(text)
                else:
                    for _ in range(60):  # the REST client: a reply that failed (502) is asked again
                        try:
                            if http("POST", f"{scaled.rasa}/webhooks/rest/webhook",
                                    {"sender": sender, "message": text}, timeout=180)[0] == 200:
                                break
                        except OSError:
                            pass
                        time.sleep(1)
                turns_done.release()
                time.sleep(0.5)  # the visitor reads and types
        finally:
            if widget:
                reconnected[route] = widget.generation  # how often its socket was lost on the way
                widget.close()

    threads = [threading.Thread(target=visitor, args=play) for play in plays]
    for thread in threads:
        thread.start()
    for _ in range(2 * len(plays)):  # a couple of turns each, then the crash
        assert turns_done.acquire(timeout=300)
    pid = next(int(pid) for pid in filter(str.isdigit, os.listdir("/proc")) if f"--port {scaled.instances[victim]} "
               in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
    os.kill(pid, signal.SIGKILL)
    for thread in threads:
        thread.join(timeout=900)
    assert not any(thread.is_alive() for thread in threads)
    for sender, conversation in outcomes.items():
        said = [text for text, _ in _tracker_turns(scaled, sender)]
        assert said == conversation["turns"], sender  # every message handled once, none lost
        assert scaled.state(sender)["paused"], sender  # handed off
    assert briefs_per_sender(scaled.web, SALES_TOKEN, outcomes) == {sender: 1 for sender in outcomes}
    assert all(reconnected[route] for route in routes[victim][:2])  # the victim's visitors did move over
    assert f"the {victim} service stopped" in (scaled.log_dir / "bot-run.log").read_text()  # and is restarted
