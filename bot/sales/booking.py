"""Calls booked in the chat: salespeople's weekly hours, the next free 30-minute slots, the booking itself (one
visitor per slot, guarded by the database), and the ICS invitations sent through the outbox.

Times are stored in UTC; availability is kept in each salesperson's own time zone, so a week across a daylight
saving change keeps its wall-clock hours (zoneinfo does the arithmetic). A visitor sees times in the zone the
widget reported, or in UTC.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import config
from bot.clock import utcnow, zone
from bot.conversation import product
from bot.store import briefs
from bot.store.engine import engine
from bot.store.models import Brief, BriefEvent, Meeting, MeetingEmail, User

MINUTES = 30
NOTICE = dt.timedelta(hours=2)  # time for the salesperson to read the brief before a call
HORIZON_DAYS = 21
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
UTC = dt.timezone.utc
HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


class BookingError(ValueError):
    """Availability that cannot be read; the message says why, for the form or the command line."""


# --- Weekly hours --------------------------------------------------------------------------------------------


DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _day(word: str) -> str:
    """"mon", "tues", "monday": the day's three letters. Anything else stays as it is, to be refused: cutting it to
    three letters read "monkey" as Monday and "mon,tue" as Monday alone."""
    word = word.strip()
    return next((short for short, name in zip(WEEKDAYS, DAY_NAMES) if len(word) >= 3 and name.startswith(word)), word)


def days_in(spec: str) -> List[str]:
    """The days of "mon-fri", "sat", "fri-mon" or "monday-friday", as three letters; BookingError for others."""
    spec = spec.strip().lower()
    if "-" in spec:
        first, last = (_day(part) for part in spec.split("-", 1))
        if first not in WEEKDAYS or last not in WEEKDAYS:
            raise BookingError(f"Unknown day in {spec!r}: use mon, tue, wed, thu, fri, sat, sun.")
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last)
        return list(WEEKDAYS[start:end + 1]) if start <= end else list(WEEKDAYS[start:] + WEEKDAYS[:end + 1])
    if _day(spec) not in WEEKDAYS:
        raise BookingError(f"Unknown day {spec!r}: use mon, tue, wed, thu, fri, sat, sun.")
    return [_day(spec)]


def parse_hours(text: str) -> Dict[str, List[List[str]]]:
    """Weekly hours as people write them, one line (or `;`) per group of days: "mon-fri 09:00-12:00, 13:00-17:00",
    "sat 10:00-12:00". Empty text: no hours. Raises BookingError with what is wrong."""
    hours: Dict[str, List[List[str]]] = {}
    for line in re.split(r"[;\n]", text or ""):
        if not line.strip():
            continue
        # "mon - fri 09:00-17:00" too: split at the first space once no space surrounds a dash.
        days, _, ranges = re.sub(r"\s*-\s*", "-", line.strip()).partition(" ")
        if not ranges.strip():
            raise BookingError(f"{line.strip()!r}: give days and hours, e.g. \"mon-fri 09:00-17:00\".")
        for day in days_in(days):
            for part in ranges.split(","):
                found = HOURS.match(part.strip())
                if not found:
                    raise BookingError(f"{part.strip()!r}: write hours as 09:00-17:00.")
                start_h, start_m, end_h, end_m = (int(value) for value in found.groups())
                if max(start_h, end_h) > 24 or max(start_m, end_m) > 59 or (start_h, start_m) >= (end_h, end_m) \
                        or (end_h == 24 and end_m):
                    raise BookingError(f"{part.strip()!r}: the start must come before the end, within one day.")
                hours.setdefault(day, []).append([f"{start_h:02d}:{start_m:02d}", f"{end_h:02d}:{end_m:02d}"])
    return {day: sorted(hours[day]) for day in WEEKDAYS if day in hours}


def describe_hours(hours: Optional[Dict[str, List[List[str]]]]) -> str:
    """The hours as parse_hours reads them, one line per day."""
    return "\n".join(f"{day} " + ", ".join(f"{start}-{end}" for start, end in ranges)
                     for day, ranges in (hours or {}).items())


def set_availability(email: str, time_zone: str, hours_text: str, url: Optional[str] = None) -> None:
    """Sets a salesperson's time zone and weekly hours (empty hours: not bookable)."""
    if zone(time_zone) is None:
        raise BookingError(f"Unknown time zone {time_zone!r}: use a name such as Europe/Berlin or America/New_York.")
    hours = parse_hours(hours_text)
    with Session(engine(url), future=True) as session, session.begin():
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise BookingError(f"No salesperson {email!r}.")
        user.time_zone, user.availability = time_zone, hours or None


def availability_of(email: str, url: Optional[str] = None) -> Tuple[Optional[str], Dict[str, List[List[str]]]]:
    with Session(engine(url), future=True) as session:
        row = session.execute(select(User.time_zone, User.availability)
                              .where(User.email == email.strip().lower())).first()
    return (row[0], row[1] or {}) if row else (None, {})


# --- Free slots ----------------------------------------------------------------------------------------------


def _wall_clock(day: dt.date, hhmm: str, where: ZoneInfo) -> Optional[dt.datetime]:
    """That local time on that day in UTC; None for a time the clocks skip (a daylight saving gap)."""
    hour, minute = (int(value) for value in hhmm.split(":"))
    if hour == 24:
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), where).astimezone(UTC)
    local = dt.datetime.combine(day, dt.time(hour, minute), where)
    if local.astimezone(UTC).astimezone(where).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return local.astimezone(UTC)


def _starts(time_zone: str, hours: Dict[str, List[List[str]]], earliest: dt.datetime,
            days: int) -> List[dt.datetime]:
    """Every 30-minute start within the weekly hours from `earliest` on, for `days` days, in UTC."""
    where = zone(time_zone)
    if where is None:
        return []
    found = []
    first = earliest.astimezone(where).date()
    for offset in range(days + 1):
        day = first + dt.timedelta(days=offset)
        for start, end in hours.get(WEEKDAYS[day.weekday()], []):
            begin, finish = _wall_clock(day, start, where), _wall_clock(day, end, where)
            if begin is None or finish is None:
                continue
            moment = begin
            while moment + dt.timedelta(minutes=MINUTES) <= finish:
                # Within the hours on the salesperson's clock: the night it goes back, "02:30-03:00" spans 90
                # minutes and gave the second 02:00 too.
                if moment >= earliest and start <= f"{moment.astimezone(where):%H:%M}" < end:
                    found.append(moment)
                moment += dt.timedelta(minutes=MINUTES)
    return found


def _earliest(now: dt.datetime) -> dt.datetime:
    """Now plus the notice, rounded up to the next half hour."""
    soon = (now.replace(tzinfo=UTC) if now.tzinfo is None else now) + NOTICE
    rounded = soon.replace(minute=0, second=0, microsecond=0) + dt.timedelta(minutes=30 * -(-soon.minute // 30))
    return rounded if rounded >= soon else rounded + dt.timedelta(minutes=30)


def _free(session: Session, now: dt.datetime, only: Optional[str] = None) -> Dict[dt.datetime, List[str]]:
    """The salespeople free at each start, earliest first."""
    earliest = _earliest(now)
    people = session.execute(select(User.email, User.time_zone, User.availability).where(
        User.availability.is_not(None), *([User.email == only] if only else []))).all()
    taken = set(session.execute(select(Meeting.salesperson, Meeting.starts_at).where(
        Meeting.status == "booked", Meeting.starts_at >= earliest.replace(tzinfo=None))).all())
    free: Dict[dt.datetime, List[str]] = {}
    for email, time_zone, hours in people:
        for start in _starts(time_zone, hours or {}, earliest, HORIZON_DAYS):
            if (email, start.replace(tzinfo=None)) not in taken and email not in free.get(start, []):
                free.setdefault(start, []).append(email)  # overlapping hours name a salesperson once
    return dict(sorted(free.items()))


VISITOR_DAY = (8, 20)  # the hours of a visitor's own day in which a call is offered to them, when any is free


def free_slots(count: int = 3, now: Optional[dt.datetime] = None, salesperson: Optional[str] = None,
               url: Optional[str] = None, visitor_time_zone: Optional[str] = None) -> List[dt.datetime]:
    """The next `count` starts (UTC) at which someone (or that salesperson) is free; with the visitor's time zone,
    those within their day first (no 3 a.m. call for a visitor an ocean away, unless nothing else is free)."""
    with Session(engine(url), future=True) as session:
        starts = list(_free(session, now or utcnow(), salesperson))
    where = zone(visitor_time_zone)
    if where is not None:
        daytime = [start for start in starts if VISITOR_DAY[0] <= start.astimezone(where).hour < VISITOR_DAY[1]]
        starts = daytime or starts
    return starts[:count]


def bookable(url: Optional[str] = None) -> bool:
    """Whether visitors are offered to book: someone has hours, and invitations can be emailed."""
    return config.smtp_configured() and bool(free_slots(1, url=url))


def label(start: dt.datetime, time_zone: Optional[str]) -> str:
    """A start as the visitor reads it: "Tue 1 Dec, 10:00" in their zone."""
    local = start.astimezone(zone(time_zone) or UTC)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def zone_label(time_zone: Optional[str]) -> str:
    return time_zone if zone(time_zone) else "UTC"


def zone_name(time_zone: Optional[str]) -> str:
    """The zone as a visitor says it: "New York" for America/New_York."""
    return zone_label(time_zone).rsplit("/", 1)[-1].replace("_", " ")


# --- Booking, moving, cancelling -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Booked:
    meeting: dict
    token: str  # the secret of the visitor's cancel/move link (only its hash is stored)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def manage_link(token: str) -> str:
    return f"{config.public_web_url()}/meetings/{token}"


def book(brief_id: int, start: dt.datetime, visitor_email: str, visitor_name: Optional[str],
         visitor_time_zone: Optional[str], now: Optional[dt.datetime] = None,
         url: Optional[str] = None) -> Optional[Booked]:
    """Books the call at `start` with a salesperson free then; None when the slot was taken meanwhile (another
    visitor's booking wins at the database: the unique index on booked slots). The brief is assigned to that
    salesperson, and both get the invitation through the outbox, in the same transaction."""
    start = start.astimezone(UTC)
    with Session(engine(url), future=True) as session:
        candidates = _free(session, now or utcnow()).get(start, [])
    for salesperson in candidates:
        token = secrets.token_urlsafe(24)
        try:
            with Session(engine(url), future=True) as session, session.begin():
                meeting = Meeting(brief_id=brief_id, salesperson=salesperson, starts_at=start.replace(tzinfo=None),
                                  minutes=MINUTES, visitor_email=visitor_email, visitor_name=visitor_name,
                                  visitor_time_zone=zone_label(visitor_time_zone), token_hash=_hash(token))
                session.add(meeting)
                session.flush()  # the unique index speaks here
                _assign(session, brief_id, salesperson, f"call booked by the visitor for {start:%Y-%m-%d %H:%M} UTC")
                _invite(session, meeting, token, "REQUEST")
                booked = Booked(meeting.to_json(), token)
            return booked
        except IntegrityError:
            continue  # taken by someone else a moment ago: the next salesperson free then, if any
    return None


def _assign(session: Session, brief_id: int, salesperson: str, detail: str) -> None:
    """The brief goes to the salesperson the visitor booked, unless someone already holds it."""
    # Locked (PostgreSQL; SQLite has one writer anyway): a salesperson's claim committed between the read and the
    # write was overwritten, and the CRM told of the brief's claim twice.
    brief = session.get(Brief, brief_id, with_for_update=True)
    if brief.claimed_by is None:
        previous = brief.status
        brief.claimed_by = salesperson
        if brief.status == "new":
            brief.status = "claimed"
            briefs.crm_event(session, brief, "brief.status_changed", previous_status=previous,
                             changed_by=salesperson)
    session.add(BriefEvent(brief_id=brief_id, actor=salesperson, kind="meeting", detail=detail))


def _by_token(session: Session, token: str) -> Optional[Meeting]:
    """The meeting of a visitor's link: its secret is stored only hashed."""
    return session.scalar(select(Meeting).where(Meeting.token_hash == _hash(token or "")))


def meeting_by_token(token: str, url: Optional[str] = None) -> Optional[dict]:
    with Session(engine(url), future=True) as session:
        meeting = _by_token(session, token)
        return meeting.to_json() if meeting else None


def meetings_of(brief_id: int, url: Optional[str] = None) -> List[dict]:
    with Session(engine(url), future=True) as session:
        return [m.to_json() for m in session.scalars(select(Meeting).where(Meeting.brief_id == brief_id)
                                                     .order_by(Meeting.id))]


def cancel(token: str, url: Optional[str] = None) -> Optional[dict]:
    """Cancels the meeting of that link (both are told, with an ICS cancellation); None for an unknown link."""
    with Session(engine(url), future=True) as session, session.begin():
        meeting = _by_token(session, token)
        if meeting is None:
            return None
        if meeting.status == "booked" and meeting.starts_at > utcnow():  # a call that began is not cancelled
            meeting.status, meeting.sequence = "cancelled", meeting.sequence + 1
            session.add(BriefEvent(brief_id=meeting.brief_id, actor="visitor", kind="meeting",
                                   detail=f"call of {meeting.starts_at:%Y-%m-%d %H:%M} UTC cancelled by the visitor"))
            _invite(session, meeting, token, "CANCEL")
        return meeting.to_json()


def move(token: str, start: dt.datetime, now: Optional[dt.datetime] = None,
         url: Optional[str] = None) -> Optional[dict]:
    """Moves the meeting of that link to another free start of the same salesperson (both get the updated
    invitation); None when the link is unknown, the meeting cancelled or the start not free any more."""
    start = start.astimezone(UTC)
    try:
        with Session(engine(url), future=True) as session, session.begin():
            meeting = _by_token(session, token)
            if meeting is None or meeting.status != "booked" or meeting.starts_at <= utcnow() \
                    or meeting.salesperson not in _free(session, now or utcnow(), meeting.salesperson).get(start, []):
                return None
            before = meeting.starts_at
            meeting.starts_at, meeting.sequence = start.replace(tzinfo=None), meeting.sequence + 1
            session.flush()
            session.add(BriefEvent(brief_id=meeting.brief_id, actor="visitor", kind="meeting",
                                   detail=f"call moved by the visitor from {before:%Y-%m-%d %H:%M} UTC to "
                                          f"{meeting.starts_at:%Y-%m-%d %H:%M} UTC"))
            _invite(session, meeting, token, "REQUEST")
            return meeting.to_json()
    except IntegrityError:
        return None


# --- Invitations ---------------------------------------------------------------------------------------------


def ics(meeting: Meeting, method: str, link: str, company: str) -> str:
    """The iCalendar invitation (METHOD:REQUEST) or cancellation (METHOD:CANCEL) of a meeting: one event whose
    UID stays the same when it moves, with SEQUENCE counting the changes."""
    calendar = Calendar()
    calendar.add("prodid", "-//demand-side-sales-bot//booking//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    host = re.sub(r"^https?://", "", config.public_web_url()).split("/")[0].split(":")[0] or "localhost"
    event.add("uid", f"meeting-{meeting.id}@{host}")
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", utcnow().replace(tzinfo=UTC))
    start = meeting.starts_at.replace(tzinfo=UTC)
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(minutes=meeting.minutes))
    event.add("summary", f"Call with {company}")
    event.add("description", f"A {meeting.minutes}-minute call booked in the chat. Cancel or move it: {link}")
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{meeting.salesperson}")
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{meeting.visitor_email}")
    if meeting.visitor_name:
        attendee.params["cn"] = vText(" ".join(meeting.visitor_name.split())[:100])
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    return calendar.to_ical().decode()


def _invite(session: Session, meeting: Meeting, token: str, method: str) -> None:
    """The emails about this change of the meeting, to the visitor and the salesperson."""
    company = product.facts().get("company") or product.facts()["product"]
    link = manage_link(token)
    when = {who: f"{label(meeting.starts_at.replace(tzinfo=UTC), where)} ({zone_label(where)})"
            for who, where in (("visitor", meeting.visitor_time_zone), ("salesperson", _zone_of(session, meeting)))}
    cancelled = method == "CANCEL"
    what = "cancelled" if cancelled else ("moved" if meeting.sequence else "booked")
    for who, recipient in (("visitor", meeting.visitor_email), ("salesperson", meeting.salesperson)):
        subject = f"Call with {company} {what}: {when[who]}" if who == "visitor" else \
            f"Call {what} with {meeting.visitor_name or meeting.visitor_email}: {when[who]}"
        if who == "visitor":
            body = (f"Your {meeting.minutes}-minute call with {company} is {what}: {when[who]}.\n\n" +
                    ("" if cancelled else f"To cancel or move it: {link}\n"))
        else:
            body = (f"A visitor's call is {what}: {when[who]}, {meeting.visitor_email}.\n\n"
                    f"The brief: {config.public_web_url()}/inbox/briefs/{meeting.brief_id}\n")
        session.add(MeetingEmail(meeting_id=meeting.id, recipient=recipient, subject=" ".join(subject.split()),
                                 body=body, ics=ics(meeting, method, link if who == "visitor" else
                                                    f"{config.public_web_url()}/inbox/briefs/{meeting.brief_id}",
                                                    company),
                                 method=method))


def _zone_of(session: Session, meeting: Meeting) -> Optional[str]:
    return session.scalar(select(User.time_zone).where(User.email == meeting.salesperson))
