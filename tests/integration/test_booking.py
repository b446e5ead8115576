"""Calls booked in the chat, on SQLite and on PostgreSQL: the free slots, one visitor per slot however many book
it at once, moving and cancelling, the ICS invitations sent through the outbox to a local SMTP server, and a
visitor's erasure and the retention freeing their slots."""
import datetime as dt
import email
import hashlib
import threading

import pytest
from icalendar import Calendar
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.sales import accounts, booking, inbox, notify
from bot.store import briefs as store
from bot.store import privacy
from bot.store.engine import engine
from bot.store.models import Brief, BriefEvent, CrmEvent, Meeting, MeetingEmail
from tests.helpers import FakeSmtp, free_port, handoff

UTC = dt.timezone.utc
NOW = dt.datetime(2027, 3, 25, 12, 0)  # a Thursday: the first start is two hours on, at 14:00 UTC
ANN, BOB = "ann@acme.io", "bob@acme.io"
# Ann works 09:00-10:00 in Berlin, Bob 08:00-09:30 in London: both are free at 08:00 and 08:30 UTC on Friday
# 2027-03-26, and an hour earlier in UTC from Monday on, both clocks having moved on Sunday the 28th.
ANN_HOURS, BOB_HOURS = ("Europe/Berlin", "mon-fri 09:00-10:00"), ("Europe/London", "mon-fri 08:00-09:30")
VISITOR = "maria@brightdental.test"


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


FRI_8, FRI_830, FRI_9 = utc(2027, 3, 26, 8, 0), utc(2027, 3, 26, 8, 30), utc(2027, 3, 26, 9, 0)
MON_7, MON_730, MON_8 = utc(2027, 3, 29, 7, 0), utc(2027, 3, 29, 7, 30), utc(2027, 3, 29, 8, 0)


@pytest.fixture
def db(database_url, monkeypatch):
    """The app database (SQLite, then PostgreSQL) as every function reads it by default; no CRM."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("CRM_WEBHOOK_URL", raising=False)
    monkeypatch.delenv("PUBLIC_WEB_URL", raising=False)
    return database_url


def salesperson(address, hours=None):
    accounts.add_user(address, "correct horse battery")
    if hours:
        booking.set_availability(address, *hours)
    return address


@pytest.fixture
def ann(db):
    return salesperson(ANN, ANN_HOURS)


@pytest.fixture
def bob(db):
    return salesperson(BOB, BOB_HOURS)


def book(brief_id, start, visitor=VISITOR, name="Maria Gonzalez", time_zone="America/New_York", now=NOW):
    return booking.book(brief_id, start, visitor, name, time_zone, now=now)


def rows(model, *where):
    with Session(engine(), future=True) as session:
        return session.execute(select(model).where(*where).order_by(model.id)).scalars().all()


def event_of(ics):
    calendar = Calendar.from_ical(ics)
    [vevent] = calendar.walk("VEVENT")
    return str(calendar["method"]), vevent


# --- Free slots ------------------------------------------------------------------------------------------------


def test_free_slots_skip_booked_starts_and_offer_each_start_once(ann, bob):
    assert booking.free_slots(10, now=NOW) == [FRI_8, FRI_830, FRI_9, MON_7, MON_730, MON_8,
                                               utc(2027, 3, 30, 7, 0), utc(2027, 3, 30, 7, 30),
                                               utc(2027, 3, 30, 8, 0), utc(2027, 3, 31, 7, 0)]
    assert booking.free_slots(3, now=NOW, salesperson=ANN) == [FRI_8, FRI_830, MON_7]
    assert booking.free_slots(3, now=NOW, salesperson=BOB) == [FRI_8, FRI_830, FRI_9]

    first = book(handoff("visitor-1"), FRI_8)
    assert booking.free_slots(2, now=NOW) == [FRI_8, FRI_830]  # the other one is still free then
    second = book(handoff("visitor-2"), FRI_8)
    assert {first.meeting["salesperson"], second.meeting["salesperson"]} == {ANN, BOB}
    assert booking.free_slots(3, now=NOW) == [FRI_830, FRI_9, MON_7]
    assert booking.free_slots(1, now=NOW, salesperson=ANN) == [FRI_830]
    assert booking.free_slots(1, now=NOW, salesperson=BOB) == [FRI_830]
    assert book(handoff("visitor-3"), FRI_8) is None  # nobody left at 08:00

    # Later the notice moves the first start on; nothing before it is offered or bookable.
    later = dt.datetime(2027, 3, 26, 6, 31)
    assert booking.free_slots(2, now=later) == [FRI_9, MON_7]
    assert book(handoff("visitor-4"), FRI_830, now=later) is None


def test_only_salespeople_with_hours_are_offered_and_bookable_needs_smtp(db, monkeypatch):
    salesperson(ANN)  # no hours yet
    assert booking.free_slots(3, now=NOW) == []
    monkeypatch.setenv("SMTP_URL", "smtp://127.0.0.1:25")
    assert booking.bookable() is False  # nobody to book
    booking.set_availability("Ann@Acme.io ", *ANN_HOURS)
    assert booking.availability_of(ANN) == ("Europe/Berlin", booking.parse_hours("mon-fri 09:00-10:00"))
    assert booking.bookable() is True
    monkeypatch.delenv("SMTP_URL")
    assert booking.bookable() is False  # no way to send the invitation
    booking.set_availability(ANN, "Europe/Berlin", "")  # hours removed: not bookable
    assert booking.availability_of(ANN) == ("Europe/Berlin", {})
    assert booking.free_slots(3, now=NOW) == []


@pytest.mark.parametrize("call, message", [
    (("ann@acme.io", "Mars/Olympus_Mons", "mon 09:00-10:00"), "Unknown time zone 'Mars/Olympus_Mons'"),
    (("ann@acme.io", "Europe/Berlin", "mon 10:00-09:00"), "'10:00-09:00': the start must come before the end"),
    (("nobody@acme.io", "Europe/Berlin", "mon 09:00-10:00"), "No salesperson 'nobody@acme.io'."),
])
def test_availability_that_cannot_be_set_changes_nothing(ann, call, message):
    with pytest.raises(booking.BookingError, match=message.replace("(", r"\(")):
        booking.set_availability(*call)
    assert booking.availability_of(ANN) == ("Europe/Berlin", booking.parse_hours("mon-fri 09:00-10:00"))


# --- Booking ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("crm", [False, True], ids=["without CRM", "with CRM"])
def test_a_booking_assigns_the_brief_and_writes_both_invitations(ann, monkeypatch, crm):
    if crm:
        monkeypatch.setenv("CRM_WEBHOOK_URL", "http://127.0.0.1:9/crm")  # only stored here, never sent
    brief_id = handoff()
    booked = book(brief_id, FRI_8)
    meeting = booked.meeting
    assert {key: meeting[key] for key in ("brief_id", "salesperson", "starts_at", "minutes", "status",
                                          "visitor_time_zone")} == {
        "brief_id": brief_id, "salesperson": ANN, "starts_at": "2027-03-26T08:00:00Z", "minutes": 30,
        "status": "booked", "visitor_time_zone": "America/New_York"}
    assert booking.meeting_by_token(booked.token) == meeting and booking.meetings_of(brief_id) == [meeting]
    [row] = rows(Meeting)
    assert row.token_hash == hashlib.sha256(booked.token.encode()).hexdigest() != booked.token  # the hash only
    assert row.visitor_email == VISITOR and row.visitor_name == "Maria Gonzalez" and row.sequence == 0

    stored = store.get_brief(brief_id)
    assert stored["claimed_by"] == ANN and stored["status"] == "claimed"
    assert [(e["actor"], e["kind"], e["detail"]) for e in inbox.history(brief_id)] == [
        (ANN, "meeting", "call booked by the visitor for 2027-03-26 08:00 UTC")]
    crm_events = rows(CrmEvent)
    if crm:
        assert [e.kind for e in crm_events] == ["brief.created", "brief.status_changed"]
        changed = crm_events[1].payload
        assert changed["previous_status"] == "new" and changed["changed_by"] == ANN
        assert changed["brief"]["status"] == "claimed" and changed["brief"]["claimed_by"] == ANN
    else:
        assert crm_events == []

    to_visitor, to_ann = rows(MeetingEmail)
    assert (to_visitor.recipient, to_ann.recipient) == (VISITOR, ANN)
    assert {e.meeting_id for e in (to_visitor, to_ann)} == {meeting["id"]}
    assert {e.method for e in (to_visitor, to_ann)} == {"REQUEST"} and to_visitor.delivered_at is None
    # Each reads the time on their own clock: 04:00 in New York (already summer time), 09:00 in Berlin.
    assert to_visitor.subject == "Call with Acme Flow booked: Fri 26 Mar, 04:00 (America/New_York)"
    assert to_ann.subject == "Call booked with Maria Gonzalez: Fri 26 Mar, 09:00 (Europe/Berlin)"
    assert booking.manage_link(booked.token) in to_visitor.body
    assert booked.token not in to_ann.body + to_ann.ics  # the visitor's link is theirs alone
    assert f"/inbox/briefs/{brief_id}" in to_ann.body
    for sent in (to_visitor, to_ann):
        method, invitation = event_of(sent.ics)
        assert method == "REQUEST" and str(invitation["uid"]) == f"meeting-{meeting['id']}@127.0.0.1"
        assert invitation.decoded("dtstart") == FRI_8 and invitation.decoded("sequence") == 0
        assert str(invitation["organizer"]) == f"mailto:{ANN}" and str(invitation["attendee"]) == f"mailto:{VISITOR}"


def test_a_visitor_without_a_known_zone_reads_utc_and_a_name_cannot_add_a_header(ann):
    book(handoff(), FRI_8, name="Eve\nBcc: victim@x.test", time_zone="Mars/Olympus_Mons")
    [row] = rows(Meeting)
    assert row.visitor_time_zone == "UTC"
    to_visitor, to_ann = rows(MeetingEmail)
    assert to_visitor.subject == "Call with Acme Flow booked: Fri 26 Mar, 08:00 (UTC)"
    assert to_ann.subject == "Call booked with Eve Bcc: victim@x.test: Fri 26 Mar, 09:00 (Europe/Berlin)"


def test_a_booking_is_written_whole_or_not_at_all(ann, monkeypatch):
    brief_id, real_ics, written = handoff(), booking.ics, []

    def second_fails(*args):  # the salesperson's invitation cannot be written
        written.append(args)
        if len(written) == 2:
            raise RuntimeError("disk full")
        return real_ics(*args)

    monkeypatch.setattr(booking, "ics", second_fails)
    with pytest.raises(RuntimeError, match="disk full"):
        book(brief_id, FRI_8)
    assert rows(Meeting) == [] and rows(MeetingEmail) == [] and inbox.history(brief_id) == []
    assert store.get_brief(brief_id)["claimed_by"] is None and store.get_brief(brief_id)["status"] == "new"
    assert booking.free_slots(1, now=NOW) == [FRI_8]


def test_a_brief_someone_already_holds_stays_theirs(ann, bob):
    brief_id = handoff()
    inbox.claim(brief_id, BOB)
    inbox.set_status(brief_id, "contacted", BOB)
    booked = book(brief_id, FRI_8)
    stored = store.get_brief(brief_id)
    assert stored["claimed_by"] == BOB and stored["status"] == "contacted"
    assert inbox.history(brief_id)[-1]["kind"] == "meeting"
    assert booked.meeting["salesperson"] in (ANN, BOB)


def test_an_unclaimed_brief_gets_the_salesperson_but_keeps_a_status_past_new(ann, monkeypatch):
    monkeypatch.setenv("CRM_WEBHOOK_URL", "http://127.0.0.1:9/crm")
    brief_id = handoff()
    inbox.set_status(brief_id, "nurture", BOB)  # a status without a holder
    book(brief_id, FRI_8)
    stored = store.get_brief(brief_id)
    assert stored["claimed_by"] == ANN and stored["status"] == "nurture"
    assert [(e.kind, e.payload.get("previous_status")) for e in rows(CrmEvent)] == [
        ("brief.created", None), ("brief.status_changed", "new")]  # the salesperson's change only


def test_a_claim_made_while_a_call_is_booked_is_never_overwritten(ann, monkeypatch):
    """A salesperson claims the brief just after the booking read it: of the two, one holds it, and the CRM hears
    of the claim once."""
    monkeypatch.setenv("CRM_WEBHOOK_URL", "http://127.0.0.1:9/crm")
    salesperson(BOB)
    brief_id, outcome, claimer = handoff(), {}, []

    def claim():
        try:
            inbox.claim(brief_id, BOB)
            outcome["bob"] = "claimed"
        except inbox.ClaimedByOther as refusal:
            outcome["bob"] = str(refusal)

    def claim_once_the_booking_read_it(target, _context):
        if target.id == brief_id and not claimer:  # the booking's read of the brief, not the claim's own
            claimer.append(threading.Thread(target=claim))
            claimer[0].start()
            claimer[0].join(timeout=1.5)  # done, or waiting for the booking's lock

    event.listen(Brief, "load", claim_once_the_booking_read_it)
    try:
        booked = book(brief_id, FRI_8)
    finally:
        event.remove(Brief, "load", claim_once_the_booking_read_it)
    claimer[0].join(timeout=30)
    assert booked is not None and booked.meeting["salesperson"] == ANN
    holder = store.get_brief(brief_id)["claimed_by"]
    if outcome["bob"] == "claimed":
        assert holder == BOB
    else:
        assert holder == ANN and outcome["bob"] == f"{ANN} has just claimed this brief; take it over explicitly."
    assert [e.kind for e in rows(CrmEvent)].count("brief.status_changed") == 1


# --- One visitor per slot --------------------------------------------------------------------------------------


def book_at_once(monkeypatch, start, visitors):
    """`visitors` book `start` at the same moment: each sees it free before any of them writes."""
    brief_ids = [handoff(f"racer-{number}") for number in range(visitors)]
    all_looked, looked, real_free = threading.Barrier(visitors), threading.local(), booking._free

    def look_then_wait(*args):
        free = real_free(*args)
        if not getattr(looked, "done", False):
            looked.done = True
            all_looked.wait(timeout=30)
        return free

    monkeypatch.setattr(booking, "_free", look_then_wait)
    outcomes, errors = {}, []

    def race(number):
        try:
            outcomes[number] = book(brief_ids[number], start, visitor=f"racer{number}@x.test", name=None)
        except Exception as error:  # kept for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=race, args=(number,)) for number in range(visitors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    monkeypatch.setattr(booking, "_free", real_free)
    assert errors == [] and len(outcomes) == visitors
    return brief_ids, outcomes


def test_of_ten_visitors_booking_one_slot_at_once_exactly_one_gets_it(ann, monkeypatch):
    brief_ids, outcomes = book_at_once(monkeypatch, FRI_8, 10)
    [winner] = [number for number, booked in outcomes.items() if booked is not None]
    assert sum(booked is None for booked in outcomes.values()) == 9
    [meeting] = rows(Meeting)
    assert (meeting.brief_id, meeting.salesperson, meeting.starts_at) == (brief_ids[winner], ANN,
                                                                         FRI_8.replace(tzinfo=None))
    assert {e.recipient for e in rows(MeetingEmail)} == {f"racer{winner}@x.test", ANN}
    assert len(rows(MeetingEmail)) == 2
    for number, brief_id in enumerate(brief_ids):  # a loser's brief is untouched
        stored = store.get_brief(brief_id)
        assert (stored["claimed_by"], stored["status"]) == ((ANN, "claimed") if number == winner else (None, "new"))
    assert len(rows(BriefEvent)) == 1

    # The others are offered the next starts, and get them.
    offered = booking.free_slots(3, now=NOW)
    assert FRI_8 not in offered and offered == [FRI_830, MON_7, MON_730]
    loser = next(number for number in outcomes if number != winner)
    assert book(brief_ids[loser], offered[0]).meeting["starts_at"] == "2027-03-26T08:30:00Z"


def test_with_two_salespeople_free_exactly_two_of_ten_get_the_slot(ann, bob, monkeypatch):
    brief_ids, outcomes = book_at_once(monkeypatch, FRI_8, 10)
    winners = [booked for booked in outcomes.values() if booked is not None]
    assert len(winners) == 2 and sum(booked is None for booked in outcomes.values()) == 8
    assert sorted(booked.meeting["salesperson"] for booked in winners) == [ANN, BOB]
    assert len(rows(Meeting)) == 2 and len(rows(MeetingEmail)) == 4
    assert booking.free_slots(2, now=NOW) == [FRI_830, FRI_9]


# --- Cancelling and moving -------------------------------------------------------------------------------------


def test_a_cancelled_call_frees_its_slot_and_both_are_told(ann):
    brief_id = handoff()
    booked = book(brief_id, FRI_8)
    assert booking.free_slots(1, now=NOW) == [FRI_830]
    cancelled = booking.cancel(booked.token)
    assert cancelled["status"] == "cancelled" and cancelled["id"] == booked.meeting["id"]
    [row] = rows(Meeting)
    assert row.sequence == 1
    assert inbox.history(brief_id)[-1] == {**inbox.history(brief_id)[-1], "actor": "visitor", "kind": "meeting",
                                           "detail": "call of 2027-03-26 08:00 UTC cancelled by the visitor"}
    emails = rows(MeetingEmail)
    assert [(e.recipient, e.method) for e in emails] == [(VISITOR, "REQUEST"), (ANN, "REQUEST"),
                                                         (VISITOR, "CANCEL"), (ANN, "CANCEL")]
    assert emails[2].subject == "Call with Acme Flow cancelled: Fri 26 Mar, 04:00 (America/New_York)"
    assert booking.manage_link(booked.token) not in emails[2].body  # nothing left to manage
    for sent in emails[2:]:
        method, cancellation = event_of(sent.ics)
        assert method == "CANCEL" and str(cancellation["status"]) == "CANCELLED"
        assert str(cancellation["uid"]) == f"meeting-{row.id}@127.0.0.1" and cancellation.decoded("sequence") == 1

    # Cancelling again, or a link nobody has, changes nothing.
    assert booking.cancel(booked.token)["status"] == "cancelled" and len(rows(MeetingEmail)) == 4
    assert booking.cancel("not-a-link") is None and booking.cancel(None) is None
    assert booking.move(booked.token, FRI_830, now=NOW) is None  # a cancelled call stays cancelled

    # The slot is free again, and bookable.
    assert booking.free_slots(1, now=NOW) == [FRI_8]
    again = book(handoff("visitor-2"), FRI_8, visitor="tom@northwind.test")
    assert again is not None and again.meeting["id"] != booked.meeting["id"]
    assert [m.status for m in rows(Meeting)] == ["cancelled", "booked"]


def test_a_moved_call_keeps_its_invitation_and_frees_its_old_slot(ann):
    brief_id = handoff()
    booked = book(brief_id, FRI_8)
    moved = booking.move(booked.token, FRI_830, now=NOW)
    assert moved["id"] == booked.meeting["id"] and moved["starts_at"] == "2027-03-26T08:30:00Z"
    assert moved["status"] == "booked"
    [row] = rows(Meeting)
    assert row.sequence == 1 and row.starts_at == FRI_830.replace(tzinfo=None)
    assert inbox.history(brief_id)[-1]["detail"] == ("call moved by the visitor from 2027-03-26 08:00 UTC to "
                                                     "2027-03-26 08:30 UTC")
    first, _, update_visitor, update_ann = rows(MeetingEmail)
    assert update_visitor.subject == "Call with Acme Flow moved: Fri 26 Mar, 04:30 (America/New_York)"
    assert update_ann.subject == "Call moved with Maria Gonzalez: Fri 26 Mar, 09:30 (Europe/Berlin)"
    assert booking.manage_link(booked.token) in update_visitor.body  # the same link still works
    uid = str(event_of(first.ics)[1]["uid"])
    for sent in (update_visitor, update_ann):
        method, invitation = event_of(sent.ics)
        assert method == "REQUEST" and sent.method == "REQUEST"
        assert str(invitation["uid"]) == uid and invitation.decoded("sequence") == 1
        assert invitation.decoded("dtstart") == FRI_830 and invitation.decoded("dtend") == FRI_9
    assert booking.free_slots(2, now=NOW) == [FRI_8, MON_7]

    # A start taken by another visitor, outside the hours, too soon, or an unknown link: nothing moves.
    book(handoff("visitor-2"), MON_7, visitor="tom@northwind.test")
    for start, now in ((MON_7, NOW), (utc(2027, 3, 26, 12, 0), NOW), (MON_730, dt.datetime(2027, 3, 29, 6, 0))):
        assert booking.move(booked.token, start, now=now) is None
    assert booking.move("not-a-link", MON_730, now=NOW) is None
    [row, _] = rows(Meeting)
    assert row.starts_at == FRI_830.replace(tzinfo=None) and row.sequence == 1
    assert len(rows(MeetingEmail)) == 6  # 2 + 2 for the move + 2 for Tom's booking
    assert booking.move(booked.token, MON_730, now=NOW)["starts_at"] == "2027-03-29T07:30:00Z"


def test_a_move_to_a_start_taken_meanwhile_is_refused_by_the_database(ann, monkeypatch):
    moving = book(handoff(), FRI_8)
    book(handoff("visitor-2"), MON_7, visitor="tom@northwind.test")
    # The move saw MON_7 free a moment before Tom's booking committed.
    monkeypatch.setattr(booking, "_free", lambda session, now, only=None: {MON_7: [ANN]})
    assert booking.move(moving.token, MON_7, now=NOW) is None
    first, second = rows(Meeting)
    assert (first.starts_at, first.sequence) == (FRI_8.replace(tzinfo=None), 0)
    assert (second.starts_at, second.status) == (MON_7.replace(tzinfo=None), "booked")
    assert len(rows(MeetingEmail)) == 4 and inbox.history(first.brief_id)[-1]["detail"].startswith("call booked")


# --- The outbox ------------------------------------------------------------------------------------------------


@pytest.fixture
def smtp(monkeypatch):
    mailbox = FakeSmtp()
    monkeypatch.setenv("SMTP_URL", mailbox.url)
    monkeypatch.setenv("SALES_EMAIL_FROM", "calls@acme.test")
    yield mailbox
    mailbox.stop()


def calendar_part(message):
    [part] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    return part


def test_each_meeting_email_is_delivered_once_with_its_ics(ann, smtp):
    booked = book(handoff(), FRI_8)
    booking.move(booked.token, FRI_830, now=NOW)
    booking.cancel(booked.token)
    assert notify.deliver_due() == 6
    assert notify.deliver_due() == 0
    assert notify.deliver_due(now=utcnow() + dt.timedelta(hours=1)) == 0  # never twice
    assert all(row.delivered_at is not None and row.attempts == 1 for row in rows(MeetingEmail))
    received = [(envelope.rcpt_tos, email.message_from_bytes(envelope.content)) for envelope in smtp.messages]
    assert [(to, message["Subject"].split(":")[0]) for to, message in received] == [
        ([VISITOR], "Call with Acme Flow booked"), ([ANN], "Call booked with Maria Gonzalez"),
        ([VISITOR], "Call with Acme Flow moved"), ([ANN], "Call moved with Maria Gonzalez"),
        ([VISITOR], "Call with Acme Flow cancelled"), ([ANN], "Call cancelled with Maria Gonzalez")]
    for (to, message), expected in zip(received, ["REQUEST"] * 4 + ["CANCEL"] * 2):
        assert message["To"] == to[0] and message["From"] == "calls@acme.test"
        part = calendar_part(message)
        assert part.get_param("method") == expected
        assert part.get_filename() == ("invite.ics" if expected == "REQUEST" else "cancel.ics")
        method, invitation = event_of(part.get_payload(decode=True))
        assert method == expected and str(invitation["uid"]) == f"meeting-{booked.meeting['id']}@127.0.0.1"
    text_part = next(part for part in received[0][1].walk() if part.get_content_type() == "text/plain")
    assert booking.manage_link(booked.token) in text_part.get_payload(decode=True).decode()


def test_a_meeting_email_that_keeps_failing_shows_in_the_inbox(ann, monkeypatch):
    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nobody listens there
    brief_id = handoff()
    book(brief_id, FRI_8)
    assert notify.deliver_due() == 0
    failing = inbox.failing_deliveries(min_attempts=1)
    assert [(f["brief_id"], f["channel"], f["attempts"]) for f in failing] == [(brief_id, "meeting email", 1)] * 2
    assert all("ConnectionRefusedError" in f["last_error"] for f in failing)


# --- Erasure and retention -------------------------------------------------------------------------------------


def test_erasing_a_visitor_deletes_their_calls_and_frees_the_slots(ann, smtp):
    maria = book(handoff("s-maria"), FRI_8)
    tom = book(handoff("s-tom"), FRI_830, visitor="tom@northwind.test", name="Tom Baker")
    assert notify.deliver_due() == 4  # sent ones go too: they name the visitor
    booking.move(maria.token, MON_7, now=NOW)  # and ones not sent yet
    privacy.erase(["s-maria"])
    [left] = rows(Meeting)
    assert left.id == tom.meeting["id"] and left.visitor_email == "tom@northwind.test"
    assert {e.recipient for e in rows(MeetingEmail)} == {"tom@northwind.test", ANN}
    assert all("maria" not in (e.subject + e.body + e.ics).lower() for e in rows(MeetingEmail))
    assert booking.meeting_by_token(maria.token) is None and booking.cancel(maria.token) is None
    assert booking.free_slots(2, now=NOW) == [FRI_8, MON_7]
    assert book(handoff("s-ed"), MON_7, visitor="ed@x.test") is not None
    assert notify.deliver_due() == 2 and len(smtp.messages) == 6  # nothing more went to Maria


def test_expired_briefs_go_with_their_calls(ann):
    old, recent = handoff("s-old"), handoff("s-recent")
    gone = book(old, FRI_8)
    booking.cancel(book(old, FRI_830, visitor="other@x.test").token)
    kept = book(recent, MON_7, visitor="tom@northwind.test")
    with Session(engine(), future=True) as session, session.begin():
        session.execute(update(Brief).where(Brief.id == old).values(created_at=utcnow() - dt.timedelta(days=40)))
    assert privacy.delete_expired(30)["briefs"] == 1  # PostgreSQL: no meeting left pointing to it
    assert [m.id for m in rows(Meeting)] == [kept.meeting["id"]]
    assert {e.meeting_id for e in rows(MeetingEmail)} == {kept.meeting["id"]}
    assert booking.meeting_by_token(gone.token) is None
    assert booking.free_slots(1, now=NOW) == [FRI_8]


def test_a_call_whose_time_has_come_can_no_longer_be_cancelled_or_moved(db):
    salesperson(ANN, ("Europe/Berlin", "mon-sun 00:00-24:00"))
    long_ago = dt.datetime(2021, 6, 1, 12, 0)
    booked = book(handoff(), utc(2021, 6, 1, 14, 0), now=long_ago)
    assert booked.meeting["past"] is True
    assert booking.cancel(booked.token)["status"] == "booked"
    assert booking.move(booked.token, utc(2021, 6, 1, 15, 0), now=long_ago) is None
    assert [(e.method) for e in rows(MeetingEmail)] == ["REQUEST", "REQUEST"]  # nobody told of a change
