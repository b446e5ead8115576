"""The brief API, served by the real web app on loopback."""
import datetime as dt
from urllib.parse import quote

from bot.conversation import brief
from bot.conversation.qualify import assess
from bot.store import briefs as store
from tests.helpers import SALES_TOKEN as TOKEN
from tests.helpers import http


def save_brief(sender_id, struggle, reason="qualified"):
    answers = {"struggle": struggle, "trigger": "our CFO quit", "timeline": "by friday"}
    return store.save_handoff(brief.build(sender_id, answers, assess(answers, dt.date(2026, 11, 26)), reason,
                                          None, []))


def test_the_api_needs_the_sales_token(web_app):
    assert http("GET", f"{web_app}/api/briefs")[0] == 401
    status, body = http("GET", f"{web_app}/api/briefs", token="wrong")
    assert status == 401 and "Bearer" in body["error"]
    assert http("GET", f"{web_app}/api/briefs/1")[0] == 401


def test_briefs_are_listed_newest_first_with_filters(web_app):
    older = save_brief("visitor-a", "late invoices")
    newer = save_brief("visitor-b", "lost orders", reason="visitor_requested_human")
    status, briefs = http("GET", f"{web_app}/api/briefs", token=TOKEN)
    assert status == 200 and [b["id"] for b in briefs] == [newer, older]
    assert [b["id"] for b in http("GET", f"{web_app}/api/briefs?sender_id=visitor-a", token=TOKEN)[1]] == [older]
    assert len(http("GET", f"{web_app}/api/briefs?status=new", token=TOKEN)[1]) == 2
    assert http("GET", f"{web_app}/api/briefs?status=closed", token=TOKEN)[1] == []


def test_one_brief_is_returned_exactly_as_the_visitor_typed_it(web_app):
    typed = 'we use <script>alert("x")</script> & "quotes" \'here\''
    brief_id = save_brief("visitor-c", typed)
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
