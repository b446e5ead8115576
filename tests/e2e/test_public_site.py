"""The product as it faces the internet (BOT_ENV=production): only the widget's channel and the web app
answer, sessions are the server's, origins and sizes and rates are enforced, and development secrets
stop it from starting."""
from __future__ import annotations

import queue
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid

import pytest
import socketio

from tests.e2e.stack import ROOT, SALES_TOKEN, Stack
from tests.helpers import free_port, http

SITE = "https://shop.example"
PRODUCTION = {"BOT_ENV": "production", "SESSION_SECRET": "a-session-secret-for-the-tests-0123456789",
              "WIDGET_ORIGINS": SITE, "COOKIE_SECURE": "0", "TRUSTED_PROXY_HEADER": "X-Forwarded-For",
              # the defaults a site runs with, not the suites' raised ones
              "MESSAGES_PER_MINUTE_PER_ADDRESS": "", "MESSAGES_PER_MINUTE_PER_VISITOR": "",
              "HANDOFFS_PER_MINUTE_PER_ADDRESS": ""}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("public-site")
    running = Stack(tmp, f"sqlite:///{tmp / 'app.db'}", f"sqlite:///{tmp / 'tracker.db'}", **PRODUCTION)
    yield running
    running.stop()


def new_session(site: Stack) -> str:
    request = urllib.request.Request(f"{site.web}/chat/session", data=b"", method="POST",
                                     headers={"Origin": SITE})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Access-Control-Allow-Origin"] == SITE
        return __import__("json").load(response)["session_id"]


def history(site: Stack, session_id: str) -> tuple:
    body = urllib.parse.urlencode({"session_id": session_id}).encode()
    request = urllib.request.Request(f"{site.web}/chat/history", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, __import__("json").load(response)
    except urllib.error.HTTPError as error:
        return error.code, None


class Visitor:
    """A browser's widget, speaking socket.io from a page on `origin`."""

    def __init__(self, site: Stack, origin: str = SITE, transports=("polling",), address: str = "192.0.2.1"):
        self.events: "queue.Queue[tuple]" = queue.Queue()
        self.replies: list = []
        # websocket-client would add an Origin of its own next to ours: one Origin, as a browser sends
        self.client = socketio.Client(reconnection=False, websocket_extra_options={"suppress_origin": True})
        for name in ("session_confirm", "bot_uttered"):
            self.client.on(name, lambda data, name=name: self.events.put((name, data)))
        self.client.connect(site.rasa, socketio_path="/socket.io", transports=list(transports),
                            headers={"Origin": origin, "X-Forwarded-For": address})  # as our proxy tells it

    def start(self, session_id: str) -> tuple:
        self.session_id = session_id
        self.client.emit("session_request", {"session_id": session_id})
        return self.events.get(timeout=10)

    def say(self, text: str, replies: int = 1, timeout: float = 30) -> list:
        self.client.emit("user_uttered", {"message": text, "session_id": self.session_id,
                                          "customData": {"page_url": f"{SITE}/pricing?utm=x"}})
        return [self.events.get(timeout=timeout)[1].get("text") for _ in range(replies)]

    def silent_for(self, seconds: float) -> bool:
        """Waits for the next event (kept in `replies` if a message); True if none came."""
        try:
            self.replies.append(self.events.get(timeout=seconds)[1].get("text"))
            return False
        except queue.Empty:
            return True

    def close(self) -> None:
        self.client.disconnect()


def test_only_the_widget_channel_and_the_web_app_face_visitors(site):
    status, _ = http("POST", f"{site.rasa}/webhooks/rest/webhook", {"sender": "x1234567", "message": "hi"})
    assert status == 404  # the REST channel is off: no conversations or briefs without a session
    visitor = Visitor(site)
    try:
        session_id = new_session(site)
        assert visitor.start(session_id) == ("session_confirm", session_id)
        assert visitor.say("hi", replies=2)[1] == "What's going on that brought you here today?"
        assert visitor.say("our warehouse ships the wrong parts every other week") == [
            "Tell me about the last time that happened. What went wrong?"]
    finally:
        visitor.close()
    status, chat = history(site, session_id)
    assert status == 200
    pages = {e["metadata"].get("page_url") for e in site.tracker(session_id)["events"] if e["event"] == "user"}
    assert pages == {f"{SITE}/pricing"}  # stored without the query string the page had
    assert [line["text"] for line in chat["messages"] if line["speaker"] == "visitor"] == [
        "hi", "our warehouse ships the wrong parts every other week"]


def test_a_session_id_the_server_did_not_issue_is_refused(site):
    forged = [uuid.uuid4().hex, "0" * 32 + "." + "0" * 24, new_session(site)[:-1] + "x"]
    for session_id in forged:
        visitor = Visitor(site)
        try:
            event, confirmed = visitor.start(session_id)
            assert event == "session_confirm" and confirmed != session_id  # a fresh conversation instead
            assert history(site, confirmed)[0] == 200 and not history(site, confirmed)[1]["messages"]
            visitor.client.emit("user_uttered", {"message": "hello there", "session_id": session_id})
            assert visitor.silent_for(3)  # nothing can be said in the one asked for
        finally:
            visitor.close()
        assert history(site, session_id)[0] == 403
        assert site.tracker(session_id)["events"] in ([], None) or not [
            e for e in site.tracker(session_id)["events"] if e["event"] == "user"]


def test_socket_io_from_a_site_that_is_not_allowed_is_refused(site):
    with pytest.raises(socketio.exceptions.ConnectionError):
        Visitor(site, origin="https://evil.example")
    with pytest.raises(socketio.exceptions.ConnectionError):
        Visitor(site, origin="https://evil.example", transports=("websocket",))


def _reply_seconds(visitor: Visitor, text: str) -> float:
    started = time.monotonic()
    visitor.say(text)
    return time.monotonic() - started


def test_huge_messages_are_refused_and_do_not_hold_up_anyone_else(site):
    other, flooder = Visitor(site), Visitor(site)
    try:
        other.start(new_session(site))
        other.say("hello", replies=2)
        flooder.start(new_session(site))
        assert flooder.say("a" * 10_000)[0].startswith("That message is longer than I can read")
        flooder.client.emit("user_uttered", {"message": "b" * 1_000_000, "session_id": flooder.session_id})
        times = [_reply_seconds(other, text) for text in (
            "our invoices leave late because approvals sit in someone's inbox",
            "last month a client paid six weeks late", "reminders in a shared calendar")]
        assert statistics.median(times) < 1.0, times
    finally:
        other.close()
        flooder.close()
    assert not [line for line in history(site, flooder.session_id)[1]["messages"]
                if line["speaker"] == "visitor"]  # neither message reached the conversation


def test_a_socket_sending_binary_is_closed_before_anything_is_buffered(site):
    visitor = Visitor(site, transports=("websocket",))
    try:
        visitor.start(new_session(site))
        visitor.client.emit("user_uttered", {"message": "hello", "session_id": visitor.session_id,
                                             "attachment": b"\x00" * 1000})  # a binary socket.io event
        deadline = time.monotonic() + 10
        while visitor.client.connected and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not visitor.client.connected
    finally:
        visitor.close()


def test_a_visitor_typing_faster_than_anyone_can_read_is_slowed_down(site):
    visitor = Visitor(site, transports=("websocket",))  # polling would batch the burst into one request
    try:
        session_id = new_session(site)
        visitor.start(session_id)
        for n in range(25):
            visitor.client.emit("user_uttered", {"message": f"message number {n}", "session_id": session_id})
        while not visitor.silent_for(5):
            pass
        replies = visitor.replies
    finally:
        visitor.close()
    too_fast = "You're sending messages faster than I can read them: give me a moment, then try again."
    assert replies.count(too_fast) == 5
    said = [line["text"] for line in history(site, session_id)[1]["messages"] if line["speaker"] == "visitor"]
    assert len(said) == 20  # the 20 of the minute's allowance reached the conversation, the rest did not


HOSTILE = {  # what a visitor may type, and how it must come out: as the text they typed
    "markup": "<script>alert('x')</script><img src=x onerror=alert(1)> our orders vanish",
    "sql": "'; DROP TABLE briefs; -- our quotes take days",
    "formula": "=HYPERLINK(\"http://evil.example\",\"invoice\") nobody follows up",
    "control": "our \x1b[31mred\x1b[0m alerts ring\x07 all night \u202eesrever",
}


def test_hostile_text_in_every_field_is_stored_verbatim_and_shown_as_text(site):
    import csv
    import io
    import os

    from tests.helpers import Client

    visitor = Visitor(site, address="192.0.2.66")
    try:
        visitor.start(new_session(site))
        visitor.say("hi", replies=2)
        for answer in (HOSTILE["markup"], HOSTILE["sql"], HOSTILE["formula"], HOSTILE["control"] + "\x00"):
            visitor.say(answer)
        visitor.say("I want to speak to a person")
        visitor.say("mallory@example.com")
        wait_until = time.monotonic() + 20
        while not http("GET", f"{site.web}/api/briefs?sender_id={visitor.session_id}", token=SALES_TOKEN)[1]:
            assert time.monotonic() < wait_until, "no brief"
            time.sleep(0.5)
    finally:
        visitor.close()
    [found] = http("GET", f"{site.web}/api/briefs?sender_id={visitor.session_id}", token=SALES_TOKEN)[1]
    assert (found["struggle"], found["situation"], found["current_solution"], found["desired_progress"]) == (
        HOSTILE["markup"], HOSTILE["sql"], HOSTILE["formula"], HOSTILE["control"])  # NUL alone is dropped

    env = {**os.environ, "DATABASE_URL": site.database_url}
    subprocess.run([sys.executable, "-m", "bot", "users", "add", "ann@acme.io", "--password-stdin"], cwd=ROOT,
                   env=env, input="correct horse battery\n", text=True, check=True, capture_output=True)
    client = Client(site.web)
    assert client.sign_in()[0] == 200
    page = client.request("GET", f"/inbox/briefs/{found['id']}")[2]
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page and "&#39;; DROP TABLE briefs; -- our quotes take days" in page
    with client.opener.open(f"{site.web}/inbox/briefs.csv") as response:
        rows = list(csv.DictReader(io.StringIO(response.read().decode())))
    [row] = [row for row in rows if row["id"] == str(found["id"])]
    assert row["struggle"] == HOSTILE["markup"] and row["current_solution"] == "'" + HOSTILE["formula"]
    shown = subprocess.run([sys.executable, "-m", "bot", "briefs", "show", str(found["id"])], cwd=ROOT, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert HOSTILE["sql"] in shown and "\x1b" not in shown


def test_a_burst_of_handoff_requests_from_one_source_makes_one_brief(site):
    before = http("GET", f"{site.web}/api/briefs", token=SALES_TOKEN)[1]
    for n in range(50):
        visitor = Visitor(site, address="198.51.100.7")  # one source, behind the trusted proxy
        try:
            visitor.start(new_session(site))
            visitor.say("I need to talk to a real person please")
            visitor.say("no email, reply here")
        finally:
            visitor.close()
    after = http("GET", f"{site.web}/api/briefs", token=SALES_TOKEN)[1]
    assert len(after) - len(before) == 1
    assert "already handed off within the minute" in (site.log_dir / "rasa.log").read_text()  # the actions run there


def _start(*args: str, **env: str) -> subprocess.CompletedProcess:
    import os

    clean = {k: v for k, v in os.environ.items()
             if k not in ("RASA_TOKEN", "SALES_API_TOKEN", "SESSION_SECRET", "WIDGET_ORIGINS", "BOT_ENV",
                          "TRUSTED_PROXY_HEADER")}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


def test_production_with_development_secrets_refuses_to_start(tmp_path):
    ports = ["--action-port", str(free_port()), "--rasa-port", str(free_port()), "--web-port", str(free_port())]
    started = _start("run", *ports, BOT_ENV="production", BOT_VAR_DIR=str(tmp_path),
                     RASA_TOKEN="dev-rasa-token", SALES_API_TOKEN="short")
    assert started.returncode == 2
    for name in ("RASA_TOKEN", "SALES_API_TOKEN", "SESSION_SECRET", "WIDGET_ORIGINS", "TRUSTED_PROXY_HEADER"):
        assert f"set {name}" in started.stderr
    exposed = _start("web", "--host", "0.0.0.0", "--port", str(free_port()), BOT_VAR_DIR=str(tmp_path))
    assert exposed.returncode == 2 and "listening on 0.0.0.0" in exposed.stderr
