"""Brief notifications against local stand-ins: an HTTP server for Slack, aiosmtpd for SMTP."""
import datetime as dt
import email
import socket

import pytest

from bot.clock import utcnow
from bot.sales import notify
from bot.store.engine import engine
from bot.store.models import Delivery
from tests.helpers import FakeSlack, FakeSmtp, handoff


@pytest.fixture
def slack(monkeypatch):
    fake = FakeSlack()
    monkeypatch.setenv("SLACK_WEBHOOK_URL", fake.url)
    yield fake
    fake.server.shutdown()


@pytest.fixture
def smtp(monkeypatch):
    mailbox = FakeSmtp()
    monkeypatch.setenv("SMTP_URL", mailbox.url)
    monkeypatch.setenv("SALES_EMAIL_TO", "sales@acme.test")
    yield mailbox
    mailbox.stop()


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
    from bot.sales import inbox
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
    with Session(engine(), future=True) as session:
        assert session.execute(select(func.count()).select_from(Delivery)).scalar() == 0


def test_two_workers_never_send_the_same_notification(app_database, slack):
    handoff()
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        sent = sum(pool.map(lambda _: notify.deliver_due(), range(4)))
    assert sent == 1 and len(slack.received) == 1


def this_machines_address():
    """An address of this machine that is not loopback, to stand in for a remote mail server."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # UDP: only picks the outgoing interface, sends nothing
        except OSError:
            pytest.skip("this machine has no network address besides loopback")
        address = probe.getsockname()[0]
    if address.startswith("127."):
        pytest.skip("this machine has no network address besides loopback")
    return address


def test_email_is_never_sent_in_clear_text_to_a_remote_server_without_starttls(app_database, monkeypatch):
    monkeypatch.delenv("SMTP_ALLOW_PLAINTEXT", raising=False)
    mailbox = FakeSmtp(this_machines_address())  # offers no STARTTLS
    try:
        monkeypatch.setenv("SMTP_URL", mailbox.url)
        monkeypatch.setenv("SALES_EMAIL_TO", "sales@acme.test")
        brief_id = handoff()
        assert notify.deliver_due() == 0 and mailbox.messages == []
        from bot.sales import inbox
        [failing] = inbox.failing_deliveries(min_attempts=1)
        assert failing["brief_id"] == brief_id and "does not offer STARTTLS" in failing["last_error"]

        monkeypatch.setenv("SMTP_ALLOW_PLAINTEXT", "1")  # an operator's explicit choice
        assert notify.deliver_due(now=utcnow() + dt.timedelta(minutes=1)) == 1 and len(mailbox.messages) == 1
    finally:
        mailbox.stop()
