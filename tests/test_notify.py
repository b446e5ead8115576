"""Brief notifications against local stand-ins: an HTTP server for Slack, aiosmtpd for SMTP."""
import datetime as dt
import email
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller

from bot import brief, notify, storage
from bot.clock import utcnow
from bot.qualify import assess
from tests.helpers import free_port

ANSWERS = {"struggle": "orders <@channel> & <https://evil.example|click> get lost", "trigger": "audit",
           "timeline": "by friday"}


class FakeSlack:
    """Answers 500 while `down`, else 200; keeps every accepted message."""

    def __init__(self):
        self.down, self.received, self.calls = False, [], 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                fake.calls += 1
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if fake.down:
                    self.send_response(500)
                else:
                    fake.received.append(body)
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def slack(monkeypatch):
    fake = FakeSlack()
    monkeypatch.setenv("SLACK_WEBHOOK_URL", fake.url)
    yield fake
    fake.server.shutdown()


@pytest.fixture
def smtp(monkeypatch):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{controller.port}")
    monkeypatch.setenv("SALES_EMAIL_TO", "sales@acme.test")
    yield inbox
    controller.stop()


def handoff(sender="visitor-1"):
    return storage.save_handoff(brief.build(sender, ANSWERS, assess(ANSWERS, dt.date(2026, 11, 26)),
                                            "qualified", {"name": "Ann\nBcc: victim@x.test", "email": "a@b.io",
                                                          "company": "Acme"}, []))


def test_a_new_brief_is_announced_once_on_each_channel(app_database, slack, smtp):
    brief_id = handoff()
    assert notify.deliver_due() == 2
    assert notify.deliver_due(now=utcnow() + dt.timedelta(hours=1)) == 0  # never twice
    [message] = slack.received
    assert f"/inbox/briefs/{brief_id}|Open brief #{brief_id}>" in message["text"]
    assert "&lt;@channel&gt; &amp; &lt;https://evil.example|click&gt;" in message["text"]
    [mail] = smtp.messages
    assert mail.rcpt_tos == ["sales@acme.test"]
    parsed = email.message_from_bytes(mail.content)
    assert parsed["Subject"].startswith(f"New brief #{brief_id}: Ann Bcc: victim@x.test (")
    assert parsed["Bcc"] is None  # a visitor's newline did not add a header
    assert f"/inbox/briefs/{brief_id}" in parsed.get_payload()


def test_a_failing_endpoint_is_retried_with_growing_waits_until_it_works(app_database, slack):
    brief_id = handoff()
    slack.down = True
    start = utcnow()
    assert notify.deliver_due(now=start) == 0
    assert notify.deliver_due(now=start + dt.timedelta(seconds=1)) == 0  # not due yet: no call
    assert slack.calls == 1
    assert notify.deliver_due(now=start + dt.timedelta(seconds=3)) == 0
    assert slack.calls == 2
    from bot import inbox
    assert inbox.failing_deliveries(min_attempts=2) == [
        {"brief_id": brief_id, "channel": "slack", "attempts": 2, "last_error": "HTTPError: HTTP Error 500: "
                                                                                "Internal Server Error"}]
    slack.down = False
    assert notify.deliver_due(now=start + dt.timedelta(seconds=10)) == 1
    assert len(slack.received) == 1 and inbox.failing_deliveries(min_attempts=1) == []


def test_without_configured_channels_nothing_is_queued(app_database):
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    handoff()
    with Session(storage.engine(), future=True) as session:
        assert session.execute(select(func.count()).select_from(storage.Delivery)).scalar() == 0


def test_two_workers_never_send_the_same_notification(app_database, slack):
    handoff()
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        sent = sum(pool.map(lambda _: notify.deliver_due(), range(4)))
    assert sent == 1 and len(slack.received) == 1
