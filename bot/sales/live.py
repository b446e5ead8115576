"""What changed for the inbox since it last looked: new briefs and visitors writing after their handoff, and
which of those messages a salesperson has not read yet (the live inbox pushes them to open pages)."""
from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot import config
from bot.clock import iso, unix, utcnow
from bot.sales.inbox import waited
from bot.store import briefs, presence
from bot.store.conversations import EVENTS
from bot.store.engine import engine
from bot.store.models import Brief, BriefEvent, BriefRead

# A visitor who wrote longer ago than this after their handoff is a follow-up to plan, not someone waiting.
WAIT_WINDOW = dt.timedelta(days=14)

# PostgreSQL hands out ids before commit: an event committed late may take an id below the newest one seen.
# Each look goes this many ids back and skips what it already announced.
LOOKBACK = 500
# What a salesperson did to a brief that other open pages show at once: who holds it, its status, whether its waiting
# visitor was answered (notes and the rest only show on the brief page).
WORKED = ("claimed", "released", "reassigned", "status", "message")
# Widgets that came or went this long before the last look are looked at again (a write may commit late).
PRESENCE_OVERLAP = dt.timedelta(seconds=5)


def mark_read(brief_id: int, reader: str, url: Optional[str] = None) -> None:
    with Session(engine(url), future=True) as session, session.begin():
        read = session.execute(select(BriefRead).where(BriefRead.brief_id == brief_id, BriefRead.reader == reader)
                               .with_for_update()).scalar_one_or_none()
        if read is None:
            session.add(BriefRead(brief_id=brief_id, reader=reader, read_at=utcnow()))
        else:
            read.read_at = utcnow()


def _written_after(tracker: Engine, handoffs: Iterable[tuple], since: Dict[int, dt.datetime]) -> Dict[int, List[float]]:
    """The Unix times of the messages each brief's visitor wrote after `since[brief id]` (a visitor handed over
    twice writes to their newest brief); `handoffs`: (brief id, sender id, created_at) rows."""
    after = {sender_id: (brief_id, unix(since[brief_id]))
             for brief_id, sender_id, _ in sorted(handoffs, key=lambda row: row[2])}
    if not after:
        return {}
    try:
        with tracker.connect() as connection:
            rows = connection.execute(select(EVENTS.c.sender_id, EVENTS.c.timestamp).where(
                EVENTS.c.type_name == "user", EVENTS.c.sender_id.in_(list(after)),
                EVENTS.c.timestamp > min(moment for _, moment in after.values()))).all()
    except SQLAlchemyError:  # no conversation stored yet
        return {}
    written: Dict[int, List[float]] = {}
    for sender_id, timestamp in rows:
        brief_id, moment = after[sender_id]
        if timestamp > moment:
            written.setdefault(brief_id, []).append(timestamp)
    return written


def unread(listed: Iterable[dict], reader: str, tracker: Engine, url: Optional[str] = None) -> Dict[int, int]:
    """For each brief listed, how many messages its visitor wrote after the handoff that `reader` has not seen
    (written after they last opened the brief); briefs without any are left out."""
    ids = {brief["id"] for brief in listed}
    if not ids:
        return {}
    with Session(engine(url), future=True) as session:  # the exact times: listed ones are to the second
        handoffs = session.execute(select(Brief.id, Brief.sender_id, Brief.created_at).where(Brief.id.in_(ids))).all()
        reads = dict(session.execute(select(BriefRead.brief_id, BriefRead.read_at)
                                     .where(BriefRead.reader == reader, BriefRead.brief_id.in_(ids))).all())
    since = {brief_id: max(created, reads.get(brief_id, created)) for brief_id, _, created in handoffs}
    return {brief_id: len(times) for brief_id, times in _written_after(tracker, handoffs, since).items()}


def unanswered(tracker: Engine, now: Optional[dt.datetime] = None, url: Optional[str] = None
               ) -> Dict[int, dt.datetime]:
    """Open briefs whose visitor wrote after the handoff and has had no salesperson's message since: when the
    first of those messages came (UTC), by brief id."""
    now = now or utcnow()
    with Session(engine(url), future=True) as session:
        handoffs = session.execute(select(Brief.id, Brief.sender_id, Brief.created_at).where(
            Brief.status.in_(("new", "claimed")), Brief.created_at > now - WAIT_WINDOW)).all()
        replied = dict(session.execute(
            select(BriefEvent.brief_id, func.max(BriefEvent.at))
            .where(BriefEvent.kind == "message", BriefEvent.brief_id.in_([row.id for row in handoffs]))
            .group_by(BriefEvent.brief_id)).all())
    since = {brief_id: max(created, replied.get(brief_id, created)) for brief_id, _, created in handoffs}
    return {brief_id: dt.datetime.fromtimestamp(min(times), dt.timezone.utc).replace(tzinfo=None)
            for brief_id, times in _written_after(tracker, handoffs, since).items()}


def presence_of(listed: Iterable[dict], now: Optional[dt.datetime] = None, url: Optional[str] = None
                ) -> Dict[int, dict]:
    """For each brief listed whose visitor's widget ever connected: `online`, `last_seen` and how the inbox says it
    ("on the page now", "last seen 5 min ago"; live.js keeps the words current)."""
    now, listed = now or utcnow(), list(listed)
    states = presence.of({brief["sender_id"] for brief in listed}, now, url)
    return {brief["id"]: {**state.to_json(), "words": seen_words(state, now)}
            for brief in listed if (state := states.get(brief["sender_id"]))}


def seen_words(state: presence.Presence, now: dt.datetime) -> str:
    if state.online:
        return "on the page now"
    minutes = int((now - state.last_seen).total_seconds() // 60)
    return "last seen just now" if minutes < 1 else f"last seen {waited(now - state.last_seen)} ago"


@dataclass
class Watch:
    """Where the inbox's looks stand: the newest brief and tracker event ids when the watch began (nothing up to
    them is news), the newest seen since, and what was announced."""

    first_brief: int
    first_event: int
    first_activity: int = 0
    brief_id: int = 0
    event_id: int = 0
    activity_id: int = 0
    announced: deque = field(default_factory=lambda: deque(maxlen=4 * LOOKBACK))
    presence_since: dt.datetime = field(default_factory=utcnow)  # widgets that came or went after this are news
    online: set = field(default_factory=set)  # visitors announced as on the page

    def is_news(self, kind: str, row_id: int) -> bool:
        first = {"brief": self.first_brief, "event": self.first_event, "activity": self.first_activity}[kind]
        if row_id <= first or (kind, row_id) in self.announced:
            return False
        self.announced.append((kind, row_id))
        return True


def tracker_engine() -> Engine:
    return create_engine(config.tracker_db_url(), future=True, pool_pre_ping=True)


def start(tracker: Engine, url: Optional[str] = None) -> Watch:
    """A watch from now on: only what is stored after this is news."""
    with Session(engine(url), future=True) as session:
        newest_brief = session.execute(select(func.max(Brief.id))).scalar() or 0
        newest_activity = session.execute(select(func.max(BriefEvent.id))).scalar() or 0
    newest_event = _newest_event(tracker)
    return Watch(newest_brief, newest_event, newest_activity, newest_brief, newest_event, newest_activity)


def _newest_event(tracker: Engine) -> int:
    try:
        with tracker.connect() as connection:
            return connection.execute(select(func.max(EVENTS.c.id))).scalar() or 0
    except SQLAlchemyError:  # no conversation stored yet
        return 0


def changes(watch: Watch, tracker: Engine, url: Optional[str] = None) -> List[Tuple[str, dict]]:
    """What happened since the last look, oldest first: ("brief", its listed fields) for a new brief,
    ("message", {"brief_id", "at", "status"}) for a visitor writing to the conversation after its handoff,
    ("update", {"brief_id", "kind", "status", "claimed_by"}) for a salesperson working a brief (WORKED), and
    presence changes (_presence_changes)."""
    found: List[Tuple[str, dict]] = []
    with Session(engine(url), future=True) as session:
        ids = session.scalars(select(Brief.id).where(Brief.id > watch.brief_id - LOOKBACK).order_by(Brief.id)).all()
        watch.brief_id = max([watch.brief_id, *ids])
        news = [brief_id for brief_id in ids if watch.is_news("brief", brief_id)]
        if news:  # the listed fields of the new ones only: the look runs every second
            rows = session.execute(select(*[Brief.__table__.c[name] for name in briefs.LISTED])
                                   .where(Brief.id.in_(news)).order_by(Brief.id)).all()
            found += [("brief", {**dict(row._mapping), "created_at": iso(row.created_at)}) for row in rows]
        try:
            with tracker.connect() as connection:
                said = connection.execute(select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.timestamp).where(
                    EVENTS.c.id > watch.event_id - LOOKBACK, EVENTS.c.type_name == "user").order_by(EVENTS.c.id)).all()
        except SQLAlchemyError:  # no conversation stored yet
            said = []
        watch.event_id = max([watch.event_id, *(row.id for row in said)])
        fresh = [row for row in said if watch.is_news("event", row.id)]
        if fresh:
            handed = session.execute(select(Brief.id, Brief.sender_id, Brief.created_at, Brief.status)
                                     .where(Brief.sender_id.in_({row.sender_id for row in fresh}))).all()
            for row in fresh:
                before = [brief for brief in handed
                          if brief.sender_id == row.sender_id and unix(brief.created_at) < row.timestamp]
                if before:  # written after a handoff: to the salesperson, not the bot
                    newest = max(before, key=lambda brief: brief.id)
                    found.append(("message", {"brief_id": newest.id, "at": row.timestamp, "status": newest.status}))
        moves = session.execute(select(BriefEvent.id, BriefEvent.brief_id, BriefEvent.kind)
                                .where(BriefEvent.id > watch.activity_id - LOOKBACK).order_by(BriefEvent.id)).all()
        watch.activity_id = max([watch.activity_id, *(row.id for row in moves)])
        worked = [row for row in moves if watch.is_news("activity", row.id) and row.kind in WORKED]
        if worked:
            now_held = {row.id: row for row in session.execute(select(Brief.id, Brief.status, Brief.claimed_by).where(
                Brief.id.in_({row.brief_id for row in worked})))}
            found += [("update", {"brief_id": row.brief_id, "kind": row.kind, "status": now_held[row.brief_id].status,
                                  "claimed_by": now_held[row.brief_id].claimed_by})
                      for row in worked if row.brief_id in now_held]
    return found + _presence_changes(watch, [data["sender_id"] for kind, data in found if kind == "brief"], url)


def _presence_changes(watch: Watch, new_briefs: Iterable[str], url: Optional[str] = None) -> List[Tuple[str, dict]]:
    """("presence", {"brief_id", "online", "last_seen"}) for each brief of a visitor who came or went since the last
    look, whose widget's server went quiet, or who was just handed over (`new_briefs`: their sender ids)."""
    now = utcnow()
    came_or_went = set(presence.changed(watch.presence_since - PRESENCE_OVERLAP, url))
    watch.presence_since = now
    candidates = came_or_went | watch.online | set(new_briefs)
    if not candidates:
        return []
    with Session(engine(url), future=True) as session:  # only visitors with a brief are shown in the inbox
        handed = session.execute(select(Brief.id, Brief.sender_id).where(Brief.sender_id.in_(candidates))
                                 .order_by(Brief.id)).all()
    states = presence.of({sender_id for _, sender_id in handed}, now, url)
    news = {sender_id: state for sender_id, state in states.items()
            if sender_id not in watch.online or not state.online}  # announced ones still on the page are no news
    watch.online = {sender_id for sender_id, state in states.items() if state.online}
    return [("presence", {"brief_id": brief_id, **news[sender_id].to_json()})
            for brief_id, sender_id in handed if sender_id in news]
