"""The brief API, served by the real web app process on loopback."""
import datetime as dt
import os
import subprocess
import sys
import time
from urllib.parse import quote
from pathlib import Path

import pytest

from bot import brief, storage
from bot.qualify import assess
from tests.helpers import free_port, http

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "test-sales-token"


@pytest.fixture
def web_app(app_database):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": app_database, "SALES_API_TOKEN": TOKEN,
           "TRACKER_DB_URL": app_database.replace("app.db", "tracker.db")}
    process = subprocess.Popen([sys.executable, "-m", "bot", "web", "--port", str(port)], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if http("GET", f"{base}/healthz", timeout=1)[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("the web app did not start")
    yield base
    process.terminate()
    process.wait(timeout=10)


def store(sender_id, struggle, reason="qualified"):
    answers = {"struggle": struggle, "trigger": "our CFO quit", "timeline": "by friday"}
    return storage.save_handoff(brief.build(sender_id, answers, assess(answers, dt.date(2026, 11, 26)), reason,
                                            None, []))


def test_the_api_needs_the_sales_token(web_app):
    assert http("GET", f"{web_app}/api/briefs")[0] == 401
    status, body = http("GET", f"{web_app}/api/briefs", token="wrong")
    assert status == 401 and "Bearer" in body["error"]
    assert http("GET", f"{web_app}/api/briefs/1")[0] == 401


def test_briefs_are_listed_newest_first_with_filters(web_app):
    older = store("visitor-a", "late invoices")
    newer = store("visitor-b", "lost orders", reason="visitor_requested_human")
    status, briefs = http("GET", f"{web_app}/api/briefs", token=TOKEN)
    assert status == 200 and [b["id"] for b in briefs] == [newer, older]
    assert [b["id"] for b in http("GET", f"{web_app}/api/briefs?sender_id=visitor-a", token=TOKEN)[1]] == [older]
    assert len(http("GET", f"{web_app}/api/briefs?status=new", token=TOKEN)[1]) == 2
    assert http("GET", f"{web_app}/api/briefs?status=closed", token=TOKEN)[1] == []


def test_one_brief_is_returned_exactly_as_the_visitor_typed_it(web_app):
    typed = 'we use <script>alert("x")</script> & "quotes" \'here\''
    brief_id = store("visitor-c", typed)
    status, found = http("GET", f"{web_app}/api/briefs/{brief_id}", token=TOKEN)
    assert status == 200 and found["struggle"] == typed
    for key in ("id", "sender_id", "created_at", "status", "handoff_reason", "qualified", "buying_stage", "forces",
                "reasons", "contact", "summary", "suggested_questions", "transcript", "cost_of_inaction"):
        assert key in found


def test_malformed_or_unknown_ids_get_a_reason(web_app):
    status, body = http("GET", f"{web_app}/api/briefs/abc", token=TOKEN)
    assert status == 400 and "positive integer" in body["error"]
    status, body = http("GET", f"{web_app}/api/briefs/424242", token=TOKEN)
    assert status == 404 and body == {"error": "No brief with id 424242."}
    for bad in ("²", "99999999999999999999999", "-1"):
        status, body = http("GET", f"{web_app}/api/briefs/{quote(bad)}", token=TOKEN)
        assert status == 400 and "positive integer" in body["error"], bad
    status, body = http("GET", f"{web_app}/api/briefs?sender_id=", token=TOKEN)
    assert status == 400 and "sender_id" in body["error"]
    status, body = http("GET", f"{web_app}/api/nothing-here", token=TOKEN)
    assert status == 404 and body == {"error": "Not Found"}
    status, body = http("POST", f"{web_app}/api/briefs", body={}, token=TOKEN)
    assert status == 405 and body == {"error": "Method Not Allowed"}
