"""Calls booked in the chat, as people meet them outside the chat: a salesperson's own hours (inbox page and
`bot users availability`), the visitor's page of their call (cancel it, move it), and the call on the brief.
Against the real web app, database and command."""
import datetime as dt
import html
import os
import re
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import iso
from bot.conversation import brief
from bot.conversation.qualify import assess
from bot.sales import accounts, booking
from bot.store import briefs as store
from tests.helpers import Client, handoff

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
SALESPERSON = "ann@acme.io"
ALWAYS = "mon-sun 00:00-24:00"  # every half hour is free: the next slots are two hours from now
VISITOR = "America/New_York"  # where the visitor who books is


@pytest.fixture
def salesperson(app_database, monkeypatch):
    monkeypatch.setenv("SMTP_URL", "smtp://127.0.0.1:1")  # invitations are written to the outbox, never delivered
    accounts.add_user(SALESPERSON, PASSWORD)
    return SALESPERSON


@pytest.fixture
def bookable(salesperson):
    booking.set_availability(salesperson, "UTC", ALWAYS)
    return salesperson


def as_read(start: dt.datetime, time_zone: str) -> str:
    """A start as a person in that time zone reads it on the page: "Tue 1 Dec, 10:00"."""
    local = start.astimezone(ZoneInfo(time_zone))
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def text(page: str) -> str:
    """What a reader sees: the page without its tags, its entities read, its white space collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def form_token(page: str) -> str:
    return html.unescape(re.search(r'name="csrf" value="([^"]+)"', page)[1])


def choices(page: str) -> list:
    return re.findall(r'<input type="radio" name="start" value="([^"]+)"', page)


def book(brief_id: int, start: dt.datetime, name: str = "Vi") -> booking.Booked:
    booked = booking.book(brief_id, start, "visitor@x.test", name, VISITOR)
    assert booked is not None
    return booked


def starts(meeting: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(meeting["starts_at"].replace("Z", "+00:00"))


def next_free(count: int = 1) -> list:
    """The next free starts as the chat offers them to the visitor: within their day first."""
    return booking.free_slots(count, salesperson=SALESPERSON, visitor_time_zone=VISITOR)


# --- A salesperson's availability ----------------------------------------------------------------------------


def test_a_salesperson_sets_their_hours_and_sees_the_slots_they_give(web_app, salesperson):
    client = Client(web_app)
    client.sign_in()
    assert '<a href="/inbox/availability">Availability</a>' in client.request("GET", "/inbox")[2]
    status, _, page = client.request("GET", "/inbox/availability")
    assert status == 200 and "None in the next 21 days" in text(page) and 'value=""' in page
    assert '<option value="Europe/Berlin">' in page  # the time zones a browser suggests while typing

    hours = "mon-fri 09:00-12:00, 13:00-17:00; sun 10:00-12:00"
    status, url, page = client.request("POST", "/inbox/availability", {"csrf": form_token(page),
                                                                       "time_zone": "Europe/Berlin", "hours": hours})
    assert status == 200 and url.endswith("/inbox/availability?saved=1") and "Saved:" in text(page)
    assert 'name="time_zone" list="time-zones" value="Europe/Berlin"' in page
    hours = re.search(r'<textarea id="hours" name="hours"[^>]*>(.*?)</textarea>', page, re.S)[1]
    assert hours.splitlines() == [f"{day} 09:00-12:00, 13:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")] \
        + ["sun 10:00-12:00"]
    shown = re.findall(r"<li>([^<]+) \(Europe/Berlin\)</li>", page)
    assert shown == [as_read(start, "Europe/Berlin") for start in booking.free_slots(3, salesperson=salesperson)]
    for slot in shown:  # within the hours just given, in the salesperson's own time
        day, clock = slot[:3].lower(), slot[-5:]
        assert "10:00" <= clock < "12:00" if day == "sun" else "09:00" <= clock < "12:00" or "13:00" <= clock < "17:00"
    assert "Saved:" not in text(client.request("GET", "/inbox/availability")[2])  # said once, after saving


@pytest.mark.parametrize("time_zone, hours, says", [
    ("Mars/Olympus", "mon-fri 09:00-17:00", "Unknown time zone 'Mars/Olympus'"),
    ('"><script>alert(1)</script>', "mon-fri 09:00-17:00", """Unknown time zone '"><script>alert(1)</script>'"""),
    ("Europe/Berlin", "mon-fri 9 to 5", "'9 to 5': write hours as 09:00-17:00."),
    ("Europe/Berlin", "someday 09:00-17:00", "Unknown day"),
    ("Europe/Berlin", "mon 17:00-09:00", "'17:00-09:00': the start must come before the end"),
    ("Europe/Berlin", "mon-fri 09:00-12:00\nsat <b>10</b>-12:00", "'<b>10</b>-12:00': write hours as 09:00-17:00."),
])
def test_availability_that_cannot_be_read_is_refused_with_what_was_typed_kept(web_app, salesperson, time_zone,
                                                                               hours, says):
    booking.set_availability(salesperson, "UTC", "mon 09:00-10:00")
    client = Client(web_app)
    client.sign_in()
    token = client.csrf("/inbox/availability")
    status, url, page = client.request("POST", "/inbox/availability", {"csrf": token, "time_zone": time_zone,
                                                                       "hours": hours})
    assert status == 400 and url.endswith("/inbox/availability")
    assert re.search(r'<p class="error" role="alert">([^<]*)</p>', page) and says in text(page)
    assert "<script>" not in page and "<b>" not in page  # what was typed is text, never markup
    kept = re.search(r'name="time_zone" list="time-zones" value="([^"]*)"', page)[1]
    assert html.unescape(kept) == time_zone
    assert html.unescape(re.search(r'<textarea id="hours" name="hours"[^>]*>(.*?)</textarea>', page, re.S)[1]) \
        == hours
    assert booking.availability_of(salesperson) == ("UTC", {"mon": [["09:00", "10:00"]]})  # nothing changed


def test_availability_is_not_changed_by_a_form_from_elsewhere(web_app, salesperson):
    client = Client(web_app)
    client.sign_in()
    status, _, _ = client.request("POST", "/inbox/availability", {"time_zone": "UTC", "hours": ALWAYS})
    assert status == 403 and booking.availability_of(salesperson) == (None, {})


def test_availability_on_the_command_line(salesperson, app_database):
    env = {**os.environ, "DATABASE_URL": app_database}

    def bot(*args):
        return subprocess.run([sys.executable, "-m", "bot", "users", "availability", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)

    shown = bot("Ann@Acme.io")
    assert shown.returncode == 0 and "time zone not set" in shown.stdout and "Next free slots: none" in shown.stdout
    only_hours = bot(salesperson, "--hours", "mon 09:00-10:00")
    assert only_hours.returncode == 2 and "has no time zone yet: give --time-zone too" in only_hours.stderr

    saved = bot(salesperson, "--time-zone", "Asia/Tokyo",
                "--hours", "mon-fri 09:00-12:00, 13:00-17:00; sat 10:00-12:00")
    assert saved.returncode == 0 and "ann@acme.io: time zone Asia/Tokyo" in saved.stdout
    assert "  fri 09:00-12:00, 13:00-17:00\n  sat 10:00-12:00\n" in saved.stdout
    next_free = booking.free_slots(3, salesperson=salesperson)
    assert saved.stdout.endswith("Next free slots:\n" + "".join(f"  {as_read(start, 'Asia/Tokyo')} (Asia/Tokyo)\n"
                                                                 for start in next_free))

    for args, says in ((["--time-zone", "Mars/Olympus"], "error: Unknown time zone 'Mars/Olympus'"),
                       (["--hours", "mon 9-5"], "error: '9-5': write hours as 09:00-17:00."),
                       (["--hours", "mon 09:00-10:00\x1b[2J"], "\\x1b[2J")):
        refused = bot(salesperson, *args)
        assert refused.returncode == 2 and says in refused.stderr and "\x1b" not in refused.stderr
    assert bot("bob@acme.io").returncode == 2 and "there is no salesperson 'bob@acme.io'" in bot("bob@acme.io").stderr
    assert booking.availability_of(salesperson)[0] == "Asia/Tokyo"  # nothing refused changed anything

    moved = bot(salesperson, "--time-zone", "Europe/Lisbon")  # the hours stay, in the new time zone
    assert moved.returncode == 0 and "Europe/Lisbon" in moved.stdout and "  sat 10:00-12:00" in moved.stdout
    cleared = bot(salesperson, "--hours", "")
    assert cleared.returncode == 0 and "no hours: visitors cannot book a call" in cleared.stdout
    assert booking.availability_of(salesperson) == ("Europe/Lisbon", {})
    assert booking.free_slots(salesperson=salesperson) == []


# --- The visitor's page of their call -------------------------------------------------------------------------


def test_a_visitor_sees_their_call_in_their_time_and_cancels_it(web_app, bookable):
    start = next_free()[0]
    booked = book(handoff(), start)
    client = Client(web_app)
    status, _, page = client.request("GET", f"/meetings/{booked.token}")
    assert status == 200
    assert f"{as_read(start, VISITOR)} ({VISITOR}), 30 minutes · booked" in text(page)
    assert choices(page) == [iso(later) for later in next_free(5)]
    assert len(choices(page)) == 5 and iso(start) not in choices(page)  # its own time is taken: by this call
    for value in choices(page):  # each choice is labelled in the visitor's time, within their day
        local = as_read(starts({"starts_at": value}), VISITOR)
        assert re.search(rf'value="{value}" required> {local}<', page) and "08:00" <= local[-5:] < "20:00"

    status, url, page = client.request("POST", f"/meetings/{booked.token}/cancel", {"csrf": form_token(page)})
    assert status == 200 and url.endswith(f"/meetings/{booked.token}?done=cancelled")
    assert "Your call is cancelled." in text(page) and "· cancelled" in text(page)
    assert "Cancel the call" not in page and not choices(page)  # nothing left to do but book again in the chat
    assert booking.meeting_by_token(booked.token)["status"] == "cancelled"
    assert next_free() == [start]  # the time is free for others again


def test_a_visitor_moves_their_call_to_another_free_time(web_app, bookable):
    start = next_free()[0]
    booked = book(handoff(), start)
    client = Client(web_app)
    page = client.request("GET", f"/meetings/{booked.token}")[2]
    later = choices(page)[2]
    status, url, page = client.request("POST", f"/meetings/{booked.token}/move", {"csrf": form_token(page),
                                                                                   "start": later})
    assert status == 200 and url.endswith("?done=moved") and "Your call is moved." in text(page)
    assert f"{as_read(starts({'starts_at': later}), VISITOR)} ({VISITOR}), 30 minutes · booked" in text(page)
    assert booking.meeting_by_token(booked.token)["starts_at"] == later
    assert iso(start) in choices(page) and later not in choices(page)  # its old time is free again


def test_a_time_taken_meanwhile_is_refused_and_the_call_keeps_its_time(web_app, bookable):
    start = next_free()[0]
    booked = book(handoff(), start)
    client = Client(web_app)
    page = client.request("GET", f"/meetings/{booked.token}")[2]
    wanted = choices(page)[0]
    book(handoff("visitor-2"), starts({"starts_at": wanted}), name="Someone else")  # in another tab, a moment ago
    status, _, page = client.request("POST", f"/meetings/{booked.token}/move", {"csrf": form_token(page),
                                                                                 "start": wanted})
    assert status == 409 and "That time is no longer free, so your call was not moved." in text(page)
    assert f"{as_read(start, VISITOR)} ({VISITOR}), 30 minutes · booked" in text(page)
    assert wanted not in choices(page) and len(choices(page)) == 5  # the times free now
    assert booking.meeting_by_token(booked.token)["starts_at"] == iso(start)

    status, _, page = client.request("POST", f"/meetings/{booked.token}/move", {"csrf": form_token(page),
                                                                                 "start": "next tuesday"})
    assert status == 400 and "Choose one of the times below." in text(page)
    client.request("POST", f"/meetings/{booked.token}/cancel", {"csrf": form_token(page)})
    status, _, page = client.request("POST", f"/meetings/{booked.token}/move", {"csrf": form_token(page),
                                                                                 "start": choices(page)[0]})
    assert status == 409 and "This call is cancelled, so it cannot be moved." in text(page)
    assert booking.meeting_by_token(booked.token)["status"] == "cancelled"


def test_an_unknown_link_finds_nothing(web_app, bookable):
    booked = book(handoff(), next_free()[0])
    client = Client(web_app)
    page = client.request("GET", f"/meetings/{booked.token}")[2]
    wrong = booked.token[:-2] + ("AA" if booked.token[-2:] != "AA" else "BB")
    for path in (f"/meetings/{wrong}", "/meetings/x", "/meetings/%3Cscript%3E"):
        status, _, shown = client.request("GET", path)
        assert status == 404 and "We cannot find this call" in text(shown), path
    for action in ("cancel", "move"):
        status, _, shown = client.request("POST", f"/meetings/{wrong}/{action}", {"csrf": form_token(page)})
        assert status == 404 and "We cannot find this call" in text(shown)
    assert booking.meeting_by_token(booked.token)["status"] == "booked"


def test_a_form_posted_from_another_site_changes_nothing(web_app, bookable):
    start = next_free()[0]
    booked, other = book(handoff(), start), book(handoff("visitor-2"), next_free()[0])
    client = Client(web_app)
    others_form = form_token(client.request("GET", f"/meetings/{other.token}")[2])
    page = client.request("GET", f"/meetings/{booked.token}")[2]
    for form in ({}, {"csrf": ""}, {"csrf": others_form}, {"csrf": booked.token}):
        for action, extra in (("cancel", {}), ("move", {"start": choices(page)[0]})):
            status, _, shown = client.request("POST", f"/meetings/{booked.token}/{action}", {**form, **extra})
            assert status == 403 and "This form did not come from this page, so nothing changed." in text(shown)
    assert booking.meeting_by_token(booked.token)["status"] == "booked"
    assert booking.meeting_by_token(booked.token)["starts_at"] == iso(start)


# --- The call on the brief ---------------------------------------------------------------------------------------


def test_the_brief_shows_the_call_in_the_salespersons_time(web_app, salesperson):
    booking.set_availability(salesperson, "Europe/Berlin", ALWAYS)
    name = "<b>Vi</b> & Co"
    answers = {"struggle": "rota chaos", "trigger": "our CFO quit", "timeline": "by friday"}
    brief_id = store.save_handoff(brief.build("visitor-1", answers, assess(answers, dt.date(2026, 11, 26)),
                                              "qualified", {"name": name, "email": "vi@x.test", "company": "Co"}, []))
    plain_id = handoff("visitor-2")
    start = booking.free_slots(1)[0]
    booked = book(brief_id, start, name=name)
    client = Client(web_app)
    client.sign_in()
    line = f"Call booked: {as_read(start, 'Europe/Berlin')} (Europe/Berlin), 30 min, with {salesperson} ·"
    for path in (f"/inbox/briefs/{brief_id}", f"/inbox/briefs/{brief_id}/print"):
        status, _, page = client.request("GET", path)
        assert status == 200 and f"{line} booked" in text(page), path
        assert "&lt;b&gt;Vi&lt;/b&gt; &amp; Co" in page and "<b>Vi" not in page
        # near the top: after the meta lines, before the summary
        assert text(page).index("brief #") < text(page).index("Call booked") < text(page).index("Summary")
    assert "Call booked" not in client.request("GET", f"/inbox/briefs/{plain_id}")[2]

    booking.cancel(booked.token)
    assert f"{line} cancelled" in text(client.request("GET", f"/inbox/briefs/{brief_id}")[2])
