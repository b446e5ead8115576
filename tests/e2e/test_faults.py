"""Faults survived on the whole stack: a crashed or hung action server (when the actions run in one of their
own), Rasa restarted, the database gone at the handoff moment, Slack and the mail server down. The visitor always
gets a reply, nothing is lost and nothing is sent twice."""
from __future__ import annotations

import os
import select
import signal
import socket
import threading
import time
import uuid

import pytest

from tests.e2e.stack import Stack
from tests.helpers import FakeSmtp, create_postgres_database, drop_postgres_databases, free_port, http, postgres_url

HICCUP = "Sorry, I had a hiccup — could you say that again?"
ACTION_TIMEOUT = 5


class Outage:
    """A TCP proxy in front of PostgreSQL that the test can cut (`down()`) and restore (`up()`): to the
    stack, the database server stopped and started again."""

    def __init__(self, port: int = 5432):
        self.target, self.port = ("127.0.0.1", port), free_port()
        self.connections: list = []
        self.listener = None
        self.up()

    def up(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def down(self) -> None:
        self.listener.close()
        for connection in self.connections:
            connection.close()
        self.connections = []

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.connections += [client, server]
            threading.Thread(target=self._pipe, args=(client, server), daemon=True).start()

    @staticmethod
    def _pipe(a, b) -> None:
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [])
                for source in ready:
                    data = source.recv(65536)
                    if not data:
                        return
                    (b if source is a else a).sendall(data)
        except (OSError, ValueError):
            return
        finally:
            a.close()
            b.close()


@pytest.fixture(scope="module")
def outage():
    proxy = Outage()
    yield proxy
    proxy.down()


@pytest.fixture(scope="module")
def mail():
    mailbox = FakeSmtp()
    yield mailbox
    mailbox.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, outage, slack, mail):
    tmp = tmp_path_factory.mktemp("faults")
    database = create_postgres_database("bot_faults")
    url = postgres_url(database).replace(":5432/", f":{outage.port}/")
    running = Stack(tmp, url, f"sqlite:///{tmp / 'tracker.db'}", ACTION_TIMEOUT_SECONDS=str(ACTION_TIMEOUT),
                    SLACK_WEBHOOK_URL=slack.url, SMTP_URL=mail.url,
                    SALES_EMAIL_TO="sales@acme.test", NOTIFY_RETRY_SECONDS="1")
    yield running
    running.stop()
    drop_postgres_databases([database])


@pytest.fixture(scope="module")
def separate(tmp_path_factory):
    """A stack whose actions run in rasa-sdk's action server (SEPARATE_ACTION_SERVER=1)."""
    tmp = tmp_path_factory.mktemp("separate")
    running = Stack(tmp, f"sqlite:///{tmp / 'app.db'}", f"sqlite:///{tmp / 'tracker.db'}",
                    SEPARATE_ACTION_SERVER="1", ACTION_TIMEOUT_SECONDS=str(ACTION_TIMEOUT))
    yield running
    running.stop()


def service_pid(stack: Stack, name: str) -> int:
    pattern = {"actions": "bot.action_server", "rasa": "bot.rasa_server run"}[name]
    port = stack.ports["action" if name == "actions" else "rasa"]
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                command = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if pattern in command and f"--port {port}" in command:
                return int(pid)
    raise AssertionError(f"no {name} process")


def wait_for(check, seconds: float) -> float:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        time.sleep(0.2)
    return time.monotonic() - started


def answers(url: str) -> bool:
    try:
        return http("GET", url, timeout=2)[0] == 200
    except OSError:
        return False


def test_the_action_server_killed_mid_interview_is_back_and_the_interview_goes_on(separate):
    stack = separate
    sender = f"killed-{uuid.uuid4().hex[:8]}"
    stack.say(sender, "hello")
    assert stack.say(sender, "our technicians drive to the wrong sites because the jobs list is stale") == [
        "Tell me about the last time that happened. What went wrong?"]
    os.kill(service_pid(stack, "actions"), signal.SIGKILL)
    assert stack.say(sender, "on monday two vans went to a closed office") == [HICCUP]
    wait_for(lambda: answers(f"http://127.0.0.1:{stack.ports['action']}/health"), 10)
    assert stack.say(sender, "on monday two vans went to a closed office") == [
        "What have you tried so far: workarounds, other tools, or living with it?"]
    assert stack.state(sender)["slots"]["situation"] == "on monday two vans went to a closed office"


def test_a_hung_action_server_costs_the_visitor_one_timeout_not_silence(separate):
    stack = separate
    sender = f"hung-{uuid.uuid4().hex[:8]}"
    stack.say(sender, "hello")
    stack.say(sender, "our stock counts never match the shelves")
    pid = service_pid(stack, "actions")
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        assert stack.say(sender, "last week we sold forty chairs we did not have") == [HICCUP]
        assert time.monotonic() - started < ACTION_TIMEOUT + 5
    finally:
        os.kill(pid, signal.SIGCONT)
    assert stack.say(sender, "last week we sold forty chairs we did not have") == [
        "What have you tried so far: workarounds, other tools, or living with it?"]


def test_rasa_restarted_mid_interview_resumes_from_the_tracker_store(stack):
    sender = f"restart-{uuid.uuid4().hex[:8]}"
    stack.say(sender, "hello")
    stack.say(sender, "our support tickets get answered twice by different people")
    os.kill(service_pid(stack, "rasa"), signal.SIGKILL)
    wait_for(lambda: answers(f"{stack.rasa}/"), 240)  # loading the model takes a while
    assert stack.say(sender, "yesterday a customer got two different refunds") == [
        "What have you tried so far: workarounds, other tools, or living with it?"]


def test_the_database_down_at_the_handoff_loses_no_brief_and_stores_it_once(stack, outage, slack, mail):
    sender = f"outage-{uuid.uuid4().hex[:8]}"
    stack.say(sender, "hello")
    stack.say(sender, "our payroll takes two people three days every month")
    stack.say(sender, "I'd like to speak to a human please")
    outage.down()
    try:
        replies = stack.say(sender, "no email, just answer here")
    finally:
        outage.up()
    assert replies and replies[0].startswith("I'm passing our conversation to a person")
    assert stack.state(sender)["paused"]
    wait_for(lambda: len(stack.briefs(sender)) == 1, 30)
    time.sleep(5)  # the worker has gone round again: still one
    assert len(stack.briefs(sender)) == 1
    assert "our payroll takes two people three days every month" in stack.briefs(sender)[0]["struggle"]


def test_slack_and_the_mail_server_down_then_up_deliver_each_notification_once(stack, slack, mail):
    sender = f"notify-{uuid.uuid4().hex[:8]}"
    slack.down = True
    mail.stop()
    try:
        stack.say(sender, "hello")
        stack.say(sender, "our quotes go out with last year's prices")
        stack.say(sender, "can I talk to someone from sales")
        stack.say(sender, "no email, reply here")
        brief_id = stack.briefs(sender)[0]["id"]
        wait_for(lambda: slack.calls > 0, 30)  # Slack was tried and failed
        time.sleep(3)
    finally:
        slack.down = False
        mail.start()
    link = f"/inbox/briefs/{brief_id}"
    wait_for(lambda: any(link in m["text"] for m in slack.received), 60)
    wait_for(lambda: any(link in m.content.decode(errors="replace") for m in mail.messages), 60)
    time.sleep(5)
    assert len([m for m in slack.received if link in m["text"]]) == 1
    assert len([m for m in mail.messages if link in m.content.decode(errors="replace")]) == 1
