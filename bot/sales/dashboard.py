"""Figures for the inbox dashboard: conversations as counted into interview_progress (bot/store/progress.py)
and leads, each a GROUP BY in the app database, and how quickly salespeople answered the handoffs of a date
range."""
from __future__ import annotations

import datetime as dt
import statistics
from typing import Dict, Optional, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from bot.clock import unix
from bot.conversation import product
from bot.conversation.slots import INTERVIEW_SLOTS
from bot.sales import booking
from bot.store import conversations, progress
from bot.store.engine import engine
from bot.store.models import Brief, BriefEvent, InterviewProgress, Lead

# When a conversation began (rows counted before first_seen was kept have their last event's time instead).
BEGAN = func.coalesce(InterviewProgress.first_seen, InterviewProgress.last_seen)


def _days(start: dt.date, end: dt.date) -> Tuple[dt.datetime, dt.datetime]:
    """Whole days from `start` to `end` (UTC) as the moments they begin and end."""
    return dt.datetime.combine(start, dt.time()), dt.datetime.combine(end + dt.timedelta(days=1), dt.time())


def _began_in(since: dt.datetime, until: dt.datetime) -> tuple:
    """The conversations the visitor talked in that began from `since` to `until`."""
    return InterviewProgress.talked.is_(True), BEGAN >= unix(since), BEGAN < unix(until)


def figures(start: dt.date, end: dt.date, url: Optional[str] = None, tracker_url: Optional[str] = None
            ) -> Tuple[Dict[str, int], Dict[str, int]]:
    """Counts for the dashboard, of the conversations and leads that began from `start` to `end` (whole days, UTC);
    drop-off leaves out visitors who were handed to a person mid-interview. The worker keeps the counts current;
    what it has not read yet is read first."""
    progress.refresh(url, tracker_url)
    since, until = _days(start, end)
    handed_off = exists().where(Brief.sender_id == InterviewProgress.sender_id).label("handed_off")
    with Session(engine(url), future=True) as session:
        rows = session.execute(select(InterviewProgress.last_question, InterviewProgress.completed, handed_off,
                                      func.count()).where(*_began_in(since, until))
                               .group_by(InterviewProgress.last_question, InterviewProgress.completed,
                                         handed_off)).all()
        leads = select(func.count()).select_from(Lead).where(Lead.created_at >= since, Lead.created_at < until)
        qualified = session.execute(leads.where(Lead.qualified.is_(True))).scalar()
        nurture = session.execute(leads.where(Lead.status == "nurture")).scalar()
    stats = {"conversations started": 0, "interviews completed": 0, "qualified": qualified, "handed off": 0,
             "nurture": nurture}
    stopped = {question: 0 for question in INTERVIEW_SLOTS}
    for last_question, completed, was_handed_off, count in rows:
        stats["conversations started"] += count
        stats["interviews completed"] += count if completed else 0
        stats["handed off"] += count if was_handed_off else 0
        if last_question and not completed and not was_handed_off:
            stopped[last_question] += count
    return stats, stopped


def problems(start: dt.date, end: dt.date, url: Optional[str] = None, tracker_url: Optional[str] = None
             ) -> Dict[str, int]:
    """How many conversations begun from `start` to `end` went wrong in each way trainers list them by
    (`bot conversations list --outcome NAME`, bot/store/conversations.py's PROBLEMS)."""
    progress.refresh(url, tracker_url)
    since, until = _days(start, end)
    in_range = _began_in(since, until)
    no_brief = ~exists().where(Brief.sender_id == InterviewProgress.sender_id)
    no_lead = ~exists().where(Lead.sender_id == InterviewProgress.sender_id)
    with Session(engine(url), future=True) as session:
        def count(*conditions) -> int:
            return session.execute(select(func.count()).select_from(InterviewProgress)
                                   .where(*in_range, *conditions)).scalar()

        found = {"repeated_question": count(InterviewProgress.repeated_question.is_(True)),
                 "sent_to_support": count(InterviewProgress.sent_to_support.is_(True)),
                 "contact_without_brief": count(InterviewProgress.gave_email.is_(True), no_brief, no_lead)}
        newest = {sender_id: contact for sender_id, contact in session.execute(  # each visitor's newest brief
            select(Brief.sender_id, Brief.contact).where(Brief.created_at >= since, Brief.created_at < until,
                                                         Brief.status != "erased").order_by(Brief.id))}
    found["handoff_without_contact"] = sum(1 for contact in newest.values() if conversations.unreachable(contact))
    return found


# What counts as a reply to a handoff: a message in the chat, or the brief moved on (the salesperson wrote by email
# or called).
REPLIES = (BriefEvent.kind == "message") | ((BriefEvent.kind == "status") & BriefEvent.detail.in_(
    ("contacted", "won", "lost")))


def reply_hours() -> dict:
    """product.yml's `reply_hours`; a product file without them gets weekdays 9 to 17 UTC."""
    return product.facts().get("reply_hours") or {"time_zone": "UTC", "days": "mon-fri", "from": "09:00",
                                                  "to": "17:00"}


def business_minutes(start: dt.datetime, end: dt.datetime, hours: dict) -> float:
    """The minutes of business hours (product.yml's `reply_hours`, in their time zone) between two UTC times."""
    zone = ZoneInfo(hours["time_zone"])
    open_days = booking.days_in(hours["days"])  # written as the salespeople's own hours are
    opens, closes = (dt.time.fromisoformat(hours[key]) for key in ("from", "to"))
    start, end = (moment.replace(tzinfo=dt.timezone.utc) for moment in (start, end))
    day, minutes = start.astimezone(zone).date(), 0.0
    while day <= end.astimezone(zone).date():
        if booking.WEEKDAYS[day.weekday()] in open_days:
            window_start = dt.datetime.combine(day, opens, zone)
            window_end = dt.datetime.combine(day, closes, zone)
            overlap = min(end, window_end) - max(start, window_start)
            minutes += max(overlap.total_seconds() / 60, 0)
        day += dt.timedelta(days=1)
    return minutes


def replies(start: dt.date, end: dt.date, url: Optional[str] = None) -> Dict[str, object]:
    """How handoffs from `start` to `end` (whole days, UTC) were answered: how many, how many have a reply, the
    median time to the first one, and the share answered within one business day (product.yml's `reply_hours`)."""
    hours = reply_hours()
    day_minutes = (dt.datetime.combine(dt.date.min, dt.time.fromisoformat(hours["to"]))
                   - dt.datetime.combine(dt.date.min, dt.time.fromisoformat(hours["from"]))).total_seconds() / 60
    first_reply = (select(BriefEvent.brief_id, func.min(BriefEvent.at).label("at")).where(REPLIES)
                   .group_by(BriefEvent.brief_id).subquery())
    since, until = _days(start, end)
    with Session(engine(url), future=True) as session:
        rows = session.execute(select(Brief.created_at, first_reply.c.at)
                               .outerjoin(first_reply, first_reply.c.brief_id == Brief.id)
                               .where(Brief.created_at >= since, Brief.created_at < until)).all()
    waits = [(replied - handed).total_seconds() / 60 for handed, replied in rows if replied]
    in_time = [1 for handed, replied in rows if replied and business_minutes(handed, replied, hours) <= day_minutes]
    return {"handoffs": len(rows), "answered": len(waits),
            "median_minutes": statistics.median(waits) if waits else None,
            "in_time_share": len(in_time) / len(rows) if rows else None}
