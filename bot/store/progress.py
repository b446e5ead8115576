"""How far each conversation got, kept up to date from Rasa's tracker store: the web app's worker reads
only the events added since its last pass (in batches), so the dashboard counts one row per conversation
instead of parsing every event."""
from __future__ import annotations

import itertools
import json
import threading
import time
from typing import Dict, Optional

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot import config
from bot.conversation import product
from bot.conversation.slots import INTERVIEW_SLOTS
from bot.conversation.transcript import opened_widget
from bot.conversation.troubles import Troubles
from bot.store.conversations import EVENTS, tracker_connection
from bot.store.engine import engine
from bot.store.models import InterviewProgress, ProgressCursor

BATCH = 20_000
# An event is counted once it is this old: a write committed late (PostgreSQL hands out ids before commit)
# cannot slip behind the cursor.
SETTLE_SECONDS = 30


_refreshing = threading.Lock()  # the worker and a dashboard request must not count the same events twice


def refresh(url: Optional[str] = None, tracker_url: Optional[str] = None, settle: float = SETTLE_SECONDS) -> int:
    """Counts the tracker's new events into interview_progress; returns how many it read. Events are taken
    in id order up to the first one younger than `settle` seconds: one committed late behind it waits.
    Several web apps (`bot run-scaled`) count one at a time: a batch holds the cursor's row lock
    (PostgreSQL), and another web app finding it locked leaves the counting to it."""
    tracker_url = tracker_url or config.tracker_db_url()
    key = make_url(tracker_url).render_as_string(hide_password=True)[:255]
    read = 0
    with _refreshing, tracker_connection(tracker_url) as tracker, Session(engine(url), future=True) as session:
        if tracker is None:
            return 0
        _ensure_cursor(session, key)
        while True:
            cursor = session.execute(select(ProgressCursor).where(ProgressCursor.tracker == key)
                                     .with_for_update(skip_locked=True)
                                     .execution_options(populate_existing=True)).scalar_one_or_none()
            if cursor is None:  # another web app is counting these events right now
                return read
            rows = tracker.execute(
                select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
                .where(EVENTS.c.id > cursor.last_event_id, EVENTS.c.type_name.in_(("user", "slot", "bot")))
                .order_by(EVENTS.c.id).limit(BATCH)).all()
            young = time.time() - settle
            settled = list(itertools.takewhile(lambda row: (row.timestamp or 0) < young, rows))
            if settled:
                _count(session, settled)
                cursor.last_event_id = settled[-1].id
                read += len(settled)
            session.commit()  # releases the row lock
            if len(settled) < BATCH:
                return read


def _ensure_cursor(session: Session, key: str) -> None:
    """The cursor's row, created once however many web apps try at the same moment."""
    if session.get(ProgressCursor, key) is None:
        insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[session.get_bind().dialect.name]
        session.execute(insert(ProgressCursor).values(tracker=key, last_event_id=0).on_conflict_do_nothing())
    session.commit()


def _count(session: Session, rows) -> None:
    senders = {row.sender_id for row in rows}
    known = {p.sender_id: p for p in session.execute(
        select(InterviewProgress).where(InterviewProgress.sender_id.in_(senders))).scalars()}
    troubles: Dict[str, Troubles] = {}
    support_text = product.answer("existing_customer")
    for row in rows:
        progress = known.get(row.sender_id)
        if progress is None:
            progress = known[row.sender_id] = InterviewProgress(sender_id=row.sender_id, talked=False,
                                                                completed=False)
            session.add(progress)
        event = {**json.loads(row.data or "{}"), "event": row.type_name}
        if row.sender_id not in troubles:
            troubles[row.sender_id] = Troubles.from_json(progress.troubles)
        troubles[row.sender_id].read(event, support_text)
        progress.last_seen = max(progress.last_seen or 0, row.timestamp or 0)
        if row.timestamp is not None:
            progress.first_seen = min(progress.first_seen or row.timestamp, row.timestamp)
        if row.type_name == "user":
            progress.talked = progress.talked or not opened_widget(event)
        elif event.get("name") == "interview_done" and event.get("value") is True:
            progress.completed = True
        elif event.get("name") == "requested_slot" and event.get("value") in INTERVIEW_SLOTS:
            progress.last_question = event["value"]
    for sender_id, read in troubles.items():
        progress = known[sender_id]
        progress.troubles = read.to_json()
        progress.repeated_question = read.repeated_question is not None
        progress.sent_to_support = read.sent_to_support
        progress.gave_email = read.email is not None
