"""The web app's pages, rendered from plain dicts: visitor text is shown as text, never run as markup."""
import re
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest

from bot.conversation import product
from bot.web import render

SCRIPT = "<script>alert(1)</script>"
HOSTILE = f"""{SCRIPT} "double" 'single' & <b>bold</b>"""
ATTRIBUTE = """x" onmouseover="alert(1)" data-x='y"""  # would close the attribute if it were not escaped
USER, CSRF = "ann@acme.io", "csrf-token-0123456789"


class Parsed(HTMLParser):
    """What a browser would see: the elements with their attributes, and the text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements, self.chunks = [], []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.chunks.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.chunks).split())

    def find(self, tag, **attrs):
        """Elements with these attribute values (`class_` for class; None for an attribute without a value)."""
        wanted = {key.rstrip("_"): value for key, value in attrs.items()}
        return [found for name, found in self.elements
                if name == tag and all(key in found and found[key] == value for key, value in wanted.items())]


def parse(html: str) -> Parsed:
    page = Parsed(html)
    assert SCRIPT not in html and "<b>" not in html, "visitor markup reached the page unescaped"
    assert not [attrs for _, attrs in page.elements if any(name.startswith("on") for name in attrs)]
    assert all(attrs.get("src", "").startswith("/static/") for tag, attrs in page.elements if tag == "script")
    return page


def a_brief(**changes) -> dict:
    """Shaped like bot.store.models.Brief.to_json()."""
    brief = {
        "id": 42, "lead_id": 7, "sender_id": "visitor-1", "created_at": "2026-11-26T09:30:00Z", "status": "claimed",
        "handoff_reason": "visitor_requested_human", "qualified": True, "buying_stage": "active_looking",
        "struggle": "struggle " + HOSTILE, "situation": "situation " + HOSTILE, "current_solution": None,
        "desired_progress": "progress " + HOSTILE, "trigger": "trigger " + HOSTILE, "timeline": None,
        "anxieties": "anxieties " + HOSTILE, "cost_of_inaction": None,
        "forces": {"push": {"rating": 2, "evidence": ["push " + HOSTILE]}, "pull": {"rating": 1, "evidence": []},
                   "anxiety": {"rating": 0, "evidence": []}, "habit": {"rating": 0, "evidence": []}},
        "reasons": ["reason " + HOSTILE], "headline": "headline " + HOSTILE, "summary": "summary " + HOSTILE,
        "contact": {"name": "name " + HOSTILE, "email": "maria@bright.example", "company": "company " + HOSTILE},
        "suggested_questions": ["question " + HOSTILE],
        "transcript": [{"speaker": "bot", "text": "What's going on?", "at": "2026-11-26T09:29:00Z"},
                       {"speaker": "visitor", "text": "said " + HOSTILE, "at": "2026-11-26T09:29:30Z"}],
        "page_url": "javascript:alert(document.cookie)//" + HOSTILE,
        "referrer": "https://ref.example/?a=1&b=" + HOSTILE, "claimed_by": "bob " + HOSTILE,
    }
    return {**brief, **changes}


EVENTS = [{"at": "2026-11-26T10:00:00Z", "actor": "ann@acme.io", "kind": "note", "detail": "note " + HOSTILE},
          {"at": "2026-11-26T10:01:00Z", "actor": "ann@acme.io", "kind": "claimed", "detail": ""}]


def brief_page(brief=None, events=EVENTS, printable=False) -> Parsed:
    return parse(render.page("brief.html", brief=brief or a_brief(), events=events, user=USER, csrf=CSRF,
                             printable=printable))


def test_the_login_page_keeps_the_next_path_and_the_error_as_text():
    page = parse(render.page("login.html", csrf=ATTRIBUTE, next_path="/inbox?q=" + ATTRIBUTE,
                             error="Wrong " + HOSTILE))
    assert page.find("input", type="hidden", name="csrf", value=ATTRIBUTE)
    assert page.find("input", type="hidden", name="next", value="/inbox?q=" + ATTRIBUTE)
    assert page.find("p", class_="error", role="alert") and "Wrong " + HOSTILE in page.text
    assert page.find("input", id="email", name="email") and page.find("input", id="password", name="password")
    assert not page.find("nav")  # nobody is signed in yet
    assert not parse(render.page("login.html", csrf=CSRF, next_path="/inbox", error="")).find("p", class_="error")


def test_the_brief_list_shows_visitor_text_filters_and_failing_notifications_as_text():
    briefs = [a_brief(), a_brief(id=43, contact=None, struggle=None, status="new", claimed_by=None)]
    filters = {"status": "claimed", "stage": "", "q": ATTRIBUTE}
    failing = [{"brief_id": 42, "channel": "slack", "attempts": 3, "last_error": "HTTPError: " + HOSTILE}]
    page = parse(render.page("inbox.html", briefs=briefs, filters=filters, failing=failing, user=USER, csrf=CSRF))
    for said in ("name " + HOSTILE, "company " + HOSTILE, "“struggle " + HOSTILE + "”", "bob " + HOSTILE,
                 f"Brief #42 by slack: 3 attempts, last error: HTTPError: {HOSTILE}"):
        assert said in page.text
    assert "Anonymous" in page.text and "not stated" in page.text and "active looking" in page.text
    assert page.find("a", href="/inbox/briefs/42") and page.find("a", href="/inbox/briefs/43")
    assert page.find("a", href="/inbox/briefs.csv?" + urlencode({"status": "claimed", "q": ATTRIBUTE}))
    assert page.find("input", type="search", name="q", value=ATTRIBUTE)
    assert page.find("option", value="claimed", selected=None) and page.find("option", value="", selected=None)
    assert page.find("div", class_="alert", role="alert") and page.find("form", role="search", method="get")
    assert page.find("input", type="hidden", name="csrf", value=CSRF)  # the sign-out form


def test_an_empty_brief_list_says_so():
    page = parse(render.page("inbox.html", briefs=[], filters={"status": "", "stage": "", "q": ""}, failing=[],
                             user=USER, csrf=CSRF))
    assert "No briefs match." in page.text and not page.find("div", class_="alert")
    assert page.find("a", href="/inbox/briefs.csv?")


def test_the_brief_page_shows_every_visitor_field_as_text():
    page = brief_page()
    for said in ("name " + HOSTILE, "(company " + HOSTILE + ")", "“struggle " + HOSTILE + "”",
                 "“trigger " + HOSTILE + "”", "“situation " + HOSTILE + "”", "“anxieties " + HOSTILE + "”",
                 "“push " + HOSTILE + "”", "summary " + HOSTILE, "reason " + HOSTILE, "question " + HOSTILE,
                 "said " + HOSTILE, "note — note " + HOSTILE, "claimed by bob " + HOSTILE,
                 "Copy email", "Take over from bob " + HOSTILE):
        assert said in page.text, said
    assert "active looking" in page.text and "visitor requested human" in page.text
    assert page.find("meter", value="2", **{"aria-label": "Push of the situation: 2 of 2"})


def test_the_page_a_visitor_chatted_on_is_text_not_a_link():
    page = brief_page()
    assert f"Chatted on javascript:alert(document.cookie)//{HOSTILE} from https://ref.example/?a=1&b={HOSTILE}" \
        in page.text
    assert not [attrs for _, attrs in page.elements if any("javascript:" in (v or "") for v in attrs.values())]
    assert "Chatted on" not in brief_page(a_brief(page_url=None, referrer=None)).text


def test_visitor_values_in_attributes_stay_inside_them():
    brief = a_brief(status=ATTRIBUTE, transcript=[{"speaker": ATTRIBUTE, "text": "hi", "at": "now"}])
    page = parse(render.page("brief.html", brief=brief, events=[], user=USER, csrf=ATTRIBUTE, printable=False))
    assert page.find("span", class_="status status-" + ATTRIBUTE)
    assert page.find("li", class_=ATTRIBUTE + " stored")  # the stored transcript, until the live one loads
    assert len(page.find("input", type="hidden", name="csrf", value=ATTRIBUTE)) == 7  # every form has it


def test_the_brief_page_has_the_forms_the_inbox_script_and_browser_tests_use():
    page = brief_page(a_brief(claimed_by=None, status="new"))
    forms = [attrs["action"] for attrs in page.find("form")]
    assert forms == ["/logout", "/inbox/briefs/42/claim", "/inbox/briefs/42/status", "/inbox/briefs/42/note",
                     "/inbox/briefs/42/message", "/inbox/briefs/42/hand-back"]
    assert len(page.find("input", type="hidden", name="csrf", value=CSRF)) == 6
    assert not page.find("input", name="take_over") and "Claim" in page.text
    held = brief_page(a_brief(claimed_by="sam@acme.io", status="claimed"))
    assert [attrs["action"] for attrs in held.find("form")][1:4] == [
        "/inbox/briefs/42/claim", "/inbox/briefs/42/release", "/inbox/briefs/42/status"]  # take over, or release
    assert page.find("ol", id="live-log", role="log", **{"aria-label": "Live conversation"})
    assert page.find("form", id="live-form") and page.find("textarea", id="message", name="message")
    assert page.find("p", id="live-state", role="status")
    assert page.find("script", src="/static/inbox.js", **{"data-brief": "42"})
    assert page.find("a", href="/inbox/briefs/42/print") and "Nothing yet." not in page.text
    assert "Nothing yet." in brief_page(events=[]).text
    assert page.find("option", value="new", selected=None)


def test_a_colleagues_brief_is_taken_over_and_ones_own_is_not_claimed_again():
    taken = brief_page(a_brief(claimed_by="bob@acme.io"))
    assert taken.find("input", type="hidden", name="take_over", value="1")
    assert "Take over from bob@acme.io" in taken.text
    mine = brief_page(a_brief(claimed_by=USER))
    assert not [form for form in mine.find("form") if form["action"].endswith("/claim")]


def test_the_printable_brief_has_no_forms_and_no_live_chat():
    page = brief_page(a_brief(contact=None), printable=True)
    assert page.find("body", class_="print") and not page.find("form") and not page.find("script")
    assert "Printable brief" not in page.text and "Forces" in page.text
    assert "No email or phone given (no consent)" in page.text and "Anonymous visitor" in page.text
    assert "Transcript" in page.text and "Conversation" not in page.text


REPLIES = {"handoffs": 3, "answered": 2, "median_minutes": 185.0, "in_time_share": 2 / 3}
HOURS = {"time_zone": "Europe/Berlin", "days": "mon-fri", "from": "09:00", "to": "18:00"}


PROBLEMS = {"repeated_question": 3, "sent_to_support": 1, "contact_without_brief": 0, "handoff_without_contact": 2}


def dashboard(stats, drop_off, replies=REPLIES, start="2026-11-01", end="2026-11-30"):
    return parse(render.page("dashboard.html", stats=stats, drop_off=drop_off, replies=replies, problems=PROBLEMS,
                             start=start, end=end, hours=HOURS, user=USER, csrf=CSRF))


def test_the_dashboard_chart_scales_its_bars_and_escapes_its_labels():
    stats = {"conversations started": 10, "label " + HOSTILE: 2}
    drop_off = {"struggle": 4, "current_solution": 2, "odd_" + HOSTILE: 0}
    page = dashboard(stats, drop_off)
    assert "10 conversations started" in page.text and "2 label " + HOSTILE in page.text
    assert "current solution" in page.text and "odd " + HOSTILE in page.text
    assert "3 asked one question 3 times or more" in " ".join(page.text.split())  # what went wrong, as trainers see it
    [chart] = page.find("svg", role="img", class_="chart")
    assert chart["height"] == str(26 * 3 + 4) and chart["width"] == "520"
    assert [rect["width"] for rect in page.find("rect")] == ["300", "150", "0"]
    empty = dashboard(stats, {})
    assert empty.find("svg", height="4") and not empty.find("rect")


def test_the_dashboard_shows_how_quickly_handoffs_were_answered_in_the_range():
    page = dashboard({}, {}, start="2026-11-01", end="2026-11-30")
    assert page.find("input", type="date", name="from", value="2026-11-01")
    assert page.find("input", type="date", name="to", value="2026-11-30")
    text = " ".join(page.text.split())
    assert "3 handoffs 2 answered 3 h 5 min median time to the first reply 67% answered within one business day" \
        in text and "(mon-fri 09:00–18:00, Europe/Berlin)" in text
    none_yet = " ".join(dashboard({}, {}, replies={"handoffs": 0, "answered": 0, "median_minutes": None,
                                                    "in_time_share": None}).text.split())
    assert "0 handoffs 0 answered — median time to the first reply — answered within" in none_yet


def test_the_product_page_escapes_the_companys_facts_too():
    facts = {"product": "Acme " + HOSTILE, "tagline": "tagline " + HOSTILE, "description": "about " + HOSTILE,
             "features": ["feature " + HOSTILE], "answers": {"ask_demo": "demo " + HOSTILE, "other": "unused"}}
    page = parse(render.page("product.html", facts=facts, rasa_public_url="https://rasa.example/?a=1&b=" + ATTRIBUTE))
    for said in ("tagline " + HOSTILE, "about " + HOSTILE, "feature " + HOSTILE, "Can I see a demo?",
                 "demo " + HOSTILE):
        assert said in page.text
    assert "unused" not in page.text and "What does it cost?" not in page.text
    assert page.find("script", src="/static/widget.js", **{"data-server": "https://rasa.example/?a=1&b=" + ATTRIBUTE,
                                                           "data-title": "Talk to Acme " + HOSTILE})


def test_the_real_product_page_renders_from_product_yml():
    facts = product.facts()
    page = parse(render.page("product.html", facts=facts, rasa_public_url="http://127.0.0.1:5005"))
    assert page.find("h1") and facts["tagline"] in page.text and "What does it cost?" in page.text
    assert page.find("script", src="/static/widget.js", **{"data-title": "Talk to " + facts["product"]})


@pytest.mark.parametrize("name", render.ENVIRONMENT.list_templates())
def test_no_template_marks_text_as_safe(name):
    source = render.ENVIRONMENT.loader.get_source(render.ENVIRONMENT, name)[0]
    assert not re.search(r"\|\s*safe\b", source) and "Markup" not in source
    assert render.ENVIRONMENT.autoescape is True


def a_call(**changes) -> dict:
    """Shaped like Meeting.to_json(), with `when` and `zone` as the brief page's handler adds them."""
    return {"id": 1, "brief_id": 42, "salesperson": "ann " + HOSTILE, "starts_at": "2026-12-01T09:00:00Z",
            "minutes": 30, "visitor_time_zone": "America/New_York", "status": "booked", "past": False,
            "created_at": "2026-11-26T09:31:00Z", "when": "Tue 1 Dec, 10:00", "zone": "Europe/Berlin", **changes}


def test_the_brief_shows_its_calls_in_print_too_and_nothing_without_them():
    calls = [a_call(status="cancelled"), a_call(id=2, when="Wed 2 Dec, 11:30", status=ATTRIBUTE)]
    for printable in (False, True):
        page = parse(render.page("brief.html", brief=a_brief(), events=EVENTS, meetings=calls, user=USER, csrf=CSRF,
                                 printable=printable))
        assert f"Call booked: Tue 1 Dec, 10:00 (Europe/Berlin), 30 min, with ann {HOSTILE} · cancelled" in page.text
        assert f"Call booked: Wed 2 Dec, 11:30 (Europe/Berlin), 30 min, with ann {HOSTILE} · {ATTRIBUTE}" in page.text
        assert page.find("p", class_="meta call call-cancelled")
        assert page.find("p", class_="meta call call-" + ATTRIBUTE)  # a status stays inside its attribute
    assert "Call booked" not in brief_page().text
    assert "Call booked" not in parse(render.page("brief.html", brief=a_brief(), events=[], meetings=[], user=USER,
                                                  csrf=CSRF, printable=False)).text


def availability_page(**changes) -> Parsed:
    context = {"time_zone": "Europe/Berlin", "hours": "mon 09:00-17:00", "error": "", "slots": [], "zone": "UTC",
               "horizon": 21, "time_zones": ("Europe/Berlin", "UTC"), "saved": False, "invitations": True,
               "user": USER, "csrf": CSRF, **changes}
    return parse(render.page("availability.html", **context))


def test_the_availability_form_keeps_what_was_typed_as_text():
    page = availability_page(time_zone=ATTRIBUTE, hours="mon " + HOSTILE, error="Unknown " + HOSTILE)
    assert page.find("input", id="time_zone", name="time_zone", value=ATTRIBUTE, list="time-zones")
    assert page.find("textarea", id="hours", name="hours") and "mon " + HOSTILE in page.text
    assert page.find("p", class_="error", role="alert") and "Unknown " + HOSTILE in page.text
    assert page.find("option", value="Europe/Berlin") and page.find("option", value="UTC")
    assert page.find("form", method="post", action="/inbox/availability")
    assert len(page.find("input", type="hidden", name="csrf", value=CSRF)) == 2  # and the sign-out form's
    assert "None in the next 21 days" in page.text and "Saved" not in page.text and "SMTP_URL" not in page.text
    assert page.find("a", href="/inbox/availability")  # the inbox's nav


def test_the_availability_page_shows_the_slots_just_saved_and_says_when_nobody_can_book():
    page = availability_page(saved=True, slots=["Tue 1 Dec, 10:00", "Tue 1 Dec, 10:30"], zone="Europe/Berlin",
                             invitations=False)
    assert page.find("p", class_="notice", role="status") and not page.find("p", class_="error")
    assert "Tue 1 Dec, 10:00 (Europe/Berlin) Tue 1 Dec, 10:30 (Europe/Berlin)" in page.text
    assert "None in the next" not in page.text and "set SMTP_URL" in page.text


def meeting_page(**changes) -> Parsed:
    context = {"meeting": a_call(), "token": "Tok_en-0123456789abcdef", "when": "Tue 1 Dec, 04:00",
               "zone": "America/New_York", "slots": [("2026-12-01T10:00:00Z", "Tue 1 Dec, 05:00"),
                                                     ("2026-12-01T10:30:00Z", "Tue 1 Dec, 05:30")],
               "done": "", "error": "", "csrf": ATTRIBUTE, "company": "Acme " + HOSTILE, **changes}
    return parse(render.page("meeting.html", **context))


def test_a_visitors_call_page_offers_to_move_or_cancel_it_and_looks_like_the_site():
    page = meeting_page(error="Taken " + HOSTILE)
    assert [form["action"] for form in page.find("form")] == ["/meetings/Tok_en-0123456789abcdef/move",
                                                              "/meetings/Tok_en-0123456789abcdef/cancel"]
    assert len(page.find("input", type="hidden", name="csrf", value=ATTRIBUTE)) == 2
    assert [radio["value"] for radio in page.find("input", type="radio", name="start")] == [
        "2026-12-01T10:00:00Z", "2026-12-01T10:30:00Z"]
    assert "Tue 1 Dec, 04:00 (America/New_York), 30 minutes · booked" in page.text
    assert "Tue 1 Dec, 05:00" in page.text and "Move it" in page.text and "Cancel the call" in page.text
    assert "Your call with Acme " + HOSTILE in page.text and "Taken " + HOSTILE in page.text
    assert page.find("link", rel="stylesheet", href="/static/site.css") and not page.find("nav")
    assert page.find("meta", name="viewport", content="width=device-width, initial-scale=1")


def test_a_cancelled_or_unknown_call_has_nothing_to_post():
    cancelled = meeting_page(meeting=a_call(status="cancelled"), slots=[], done="Your call is cancelled.")
    assert not cancelled.find("form") and "30 minutes · cancelled" in cancelled.text
    assert cancelled.find("p", class_="notice", role="status")
    unknown = meeting_page(meeting=None, when="", zone="", slots=[])
    assert not unknown.find("form") and "We cannot find this call" in unknown.text
    no_times = meeting_page(slots=[])
    assert "No other time is free at the moment." in no_times.text and not no_times.find("input", type="radio")
    assert [form["action"] for form in no_times.find("form")][-1].endswith("/cancel")
    begun = meeting_page(meeting=a_call(past=True))
    assert not begun.find("form") and "can no longer be moved or cancelled" in begun.text


def test_the_brief_page_is_built_for_the_call():
    brief = a_brief(contact={"name": "Lee", "email": "lee@park.example", "phone": "+44 (20) 7946-0958 ext<b>",
                             "company": None},
                    qualified=False, handoff_reason="qualified", checks={"struggle_described": True,
                                                                         "active_stage": False},
                    reasons=["Described a struggle.", "Buying stage is passive looking.", "Forces even."])
    events = [{"at": "2026-11-29T10:00:00Z", "actor": "sam@acme.io", "kind": "note", "detail": "call after 4"},
              {"at": "2026-11-29T10:01:00Z", "actor": "sam@acme.io", "kind": "claimed", "detail": ""}]
    page = parse(render.page("brief.html", brief=brief, events=events, user=USER, csrf=CSRF, printable=False))
    bar = page.find("section", class_="contact-bar")
    assert bar and page.find("a", href="mailto:lee%40park.example") and page.find("a", href="tel:+442079460958")
    assert [attrs["data-copy"] for attrs in page.find("button", class_="copy")] == [
        "lee@park.example", "+44 (20) 7946-0958 ext<b>"]
    assert "Not qualified · brief #42" in " ".join(page.text.split())  # no "qualified · qualified"
    assert [attrs["aria-label"] for attrs in page.find("span", class_="mark")] == ["passed", "failed"]
    assert page.find("li", class_="passed") and page.find("li", class_="failed")  # the third: no mark known
    notes = page.text.index("Notes")
    assert notes < page.text.index("call after 4") < page.text.index("Summary")  # notes near the top
    assert page.text.count("said " + HOSTILE) == 1  # the conversation once, not also as a transcript
