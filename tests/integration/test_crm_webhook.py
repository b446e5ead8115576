"""The CRM webhook (CRM_WEBHOOK_URL) against a local stand-in for a CRM: each new brief and each change of its
status is posted once, signed, through the outbox, with the brief as the brief API gives it."""
import concurrent.futures
import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from bot import config
from bot.clock import utcnow
from bot.sales import inbox, notify
from bot.store import privacy
from tests.helpers import SALES_TOKEN, free_port, handoff, http

SECRET = "a-secret-the-crm-and-the-bot-share-0123456789"


class FakeCrm:
    """Answers 503 while `down`, else 204; keeps every call (headers and raw body) and every accepted one."""

    def __init__(self):
        self.down, self.calls, self.accepted = False, [], []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                call = (dict(self.headers), self.rfile.read(int(self.headers["Content-Length"])))
                fake.calls.append(call)
                if fake.down:
                    self.send_response(503)
                else:
                    fake.accepted.append(call)
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/crm/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def messages(self):
        return [json.loads(body) for _, body in self.accepted]


@pytest.fixture
def crm(monkeypatch):
    fake = FakeCrm()
    monkeypatch.setenv("CRM_WEBHOOK_URL", fake.url)
    monkeypatch.setenv("CRM_WEBHOOK_SECRET", SECRET)
    yield fake
    fake.server.shutdown()


def verified(headers: dict, body: bytes, secret: str = SECRET) -> bool:
    """The receiver's check, as docs/crm.md shows it."""
    fields = dict(part.split("=", 1) for part in headers["X-Bot-Signature"].split(","))
    expected = hmac.new(secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


def test_a_new_brief_reaches_the_crm_once_signed_as_the_api_gives_it_even_after_the_crm_was_down(web_app, crm):
    brief_id = handoff("crm-visitor")
    crm.down = True
    start = utcnow()
    assert notify.deliver_due(now=start) == 0
    assert notify.deliver_due(now=start + dt.timedelta(seconds=1)) == 0  # not due again yet: no call
    assert len(crm.calls) == 1
    assert notify.deliver_due(now=start + dt.timedelta(seconds=3)) == 0
    assert inbox.failing_deliveries(min_attempts=2) == [  # shown in the inbox
        {"brief_id": brief_id, "channel": "crm", "attempts": 2,
         "last_error": "HTTPError: HTTP Error 503: Service Unavailable"}]
    crm.down = False
    assert notify.deliver_due(now=start + dt.timedelta(seconds=10)) == 1
    assert notify.deliver_due(now=start + dt.timedelta(hours=1)) == 0  # never twice

    [(headers, body)] = crm.accepted
    assert verified(headers, body) and not verified(headers, body, secret="someone-else's-secret")
    assert not verified(headers, body.replace(b"crm-visitor", b"crm-visitor-2"))
    message = json.loads(body)
    assert message["event"] == headers["X-Bot-Event"] == "brief.created"
    assert str(message["id"]) == headers["X-Bot-Delivery"] == crm.calls[0][0]["X-Bot-Delivery"]  # a retry: same id
    assert inbox.failing_deliveries(min_attempts=1) == []
    status, shown = http("GET", f"{web_app}/api/briefs/{brief_id}", token=SALES_TOKEN)
    assert status == 200 and message["brief"] == shown
    assert message["brief"]["contact"]["email"] == "a@b.io"


def test_each_change_of_status_reaches_the_crm_in_order_and_nothing_else_does(web_app, crm):
    brief_id = handoff("crm-visitor")
    inbox.claim(brief_id, "sam@acme.test")
    inbox.add_note(brief_id, "Called, left a voicemail", "sam@acme.test")  # not a status change
    inbox.set_status(brief_id, "won", "sam@acme.test")
    inbox.set_status(brief_id, "won", "sam@acme.test")  # unchanged
    assert notify.deliver_due() == 3

    created, claimed, won = crm.messages()
    assert [message["event"] for message in (created, claimed, won)] == [
        "brief.created", "brief.status_changed", "brief.status_changed"]
    assert created["id"] < claimed["id"] < won["id"]
    crm.down = True  # a brief's events go in order: none overtakes one that failed
    inbox.set_status(brief_id, "lost", "sam@acme.test")
    handoff("another-visitor")
    inbox.set_status(brief_id, "won", "sam@acme.test")  # changed its mind: waits behind "lost"
    start = utcnow()
    assert notify.deliver_due(now=start) == 0 and len(crm.calls) == 5  # each brief's oldest, tried once
    crm.down = False
    assert notify.deliver_due(now=start + dt.timedelta(seconds=10)) == 3
    assert [(message["event"], message["brief"]["status"]) for message in crm.messages()
            if message["brief"]["id"] == brief_id] == [("brief.created", "new"), ("brief.status_changed", "claimed"),
                                                       ("brief.status_changed", "won"),
                                                       ("brief.status_changed", "lost"),
                                                       ("brief.status_changed", "won")]
    assert (claimed["previous_status"], claimed["brief"]["status"], claimed["changed_by"]) == (
        "new", "claimed", "sam@acme.test")
    assert (won["previous_status"], won["brief"]["status"]) == ("claimed", "won")
    status, shown = http("GET", f"{web_app}/api/briefs/{brief_id}", token=SALES_TOKEN)
    assert won["brief"] == shown


def test_an_erased_visitor_is_erased_in_the_crm_too_and_their_unsent_brief_never_leaves(app_database, crm):
    brief_id = handoff("crm-visitor")
    privacy.erase(["crm-visitor"])
    assert notify.deliver_due() == 1
    [erased] = crm.messages()
    assert erased["event"] == "brief.erased" and erased["brief"]["id"] == brief_id
    assert erased["brief"]["contact"] is None and "a@b.io" not in json.dumps(erased)  # the tombstone only


def test_two_workers_never_post_the_same_event(database_url, monkeypatch, crm):
    monkeypatch.setenv("DATABASE_URL", database_url)
    brief_id = handoff("crm-visitor")
    inbox.set_status(brief_id, "contacted", "sam@acme.test")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:  # one round each: the second event waits for the first
        delivered = sum(pool.map(lambda _: notify.deliver_due(), range(4)))
    assert delivered + notify.deliver_due() == 2 and notify.deliver_due() == 0
    assert [message["event"] for message in crm.messages()] == ["brief.created", "brief.status_changed"]


def test_without_a_crm_webhook_nothing_is_queued_and_with_one_a_real_secret_is_required(app_database, monkeypatch):
    handoff("no-crm-visitor")
    assert notify.deliver_due() == 0
    assert not any("CRM_WEBHOOK_SECRET" in problem for problem in config.secret_problems())
    monkeypatch.setenv("CRM_WEBHOOK_URL", "https://hooks.example.com/briefs")
    assert any("CRM_WEBHOOK_SECRET" in problem for problem in config.secret_problems())
    monkeypatch.setenv("CRM_WEBHOOK_SECRET", SECRET)
    assert not any("CRM_WEBHOOK_SECRET" in problem for problem in config.secret_problems())
