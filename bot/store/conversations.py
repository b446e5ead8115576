"""Real conversations, read from Rasa's tracker store (the SQL `events` table) and joined with the leads
and briefs stored for them: who dropped where, who was handed off. Used by the dashboard and trainers."""
from __future__ import annotations

import datetime as dt
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional

from sqlalchemy import column, create_engine, inspect, select, table
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session

from bot import config
from bot.conversation.slots import INTERVIEW_SLOTS
from bot.conversation.transcript import opened_widget
from bot.store.engine import engine
from bot.store.models import Brief, Lead

FALLBACK_ACTIONS = {"utter_out_of_scope", "action_default_fallback"}


@dataclass
class Conversation:
    sender_id: str
    started: Optional[float] = None
    last: Optional[float] = None
    messages: int = 0
    completed: bool = False
    last_question: Optional[str] = None
    fallbacks: int = 0
    outcome: str = ""
    events: List[dict] = field(default_factory=list)

    def as_row(self) -> dict:
        when = dt.datetime.fromtimestamp(self.started or 0, tz=dt.timezone.utc)
        return {"sender_id": self.sender_id, "started": when.strftime("%Y-%m-%d %H:%M"),
                "messages": self.messages, "outcome": self.outcome, "fallbacks": self.fallbacks}


EVENTS = table("events", column("id"), column("sender_id"), column("type_name"), column("timestamp"), column("data"))


@contextmanager
def tracker_connection(tracker_url: Optional[str] = None) -> Iterator[Optional[Connection]]:
    """A connection to Rasa's tracker store, or None while it holds no conversation (no file, no table)."""
    url = make_url(tracker_url or config.tracker_db_url())
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        yield None
        return
    tracker_engine = create_engine(url, future=True)
    try:
        with tracker_engine.connect() as connection:
            yield connection if inspect(connection).has_table("events") else None
    finally:
        tracker_engine.dispose()


def tracker_events(sender_id: Optional[str] = None, tracker_url: Optional[str] = None) -> Iterable[tuple]:
    with tracker_connection(tracker_url) as connection:
        if connection is None:
            return []
        query = select(EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data).order_by(EVENTS.c.id)
        if sender_id is not None:
            query = query.where(EVENTS.c.sender_id == sender_id)
        return connection.execute(query).all()


def _outcome(conversation: Conversation, briefs: set, leads: Dict[str, str]) -> str:
    if conversation.sender_id in briefs:
        return "handed_off"
    if conversation.sender_id in leads:
        return leads[conversation.sender_id]  # nurture or no_contact
    if conversation.completed:
        return "completed"
    if conversation.last_question:
        return f"dropped_at:{conversation.last_question}"
    return "no_interview"


def conversations(since: Optional[dt.date] = None, until: Optional[dt.date] = None, outcome: str = "",
                  sender_id: Optional[str] = None, url: Optional[str] = None,
                  tracker_url: Optional[str] = None) -> List[Conversation]:
    """Conversations started in [since, until], newest first. `outcome` is handed_off, nurture,
    no_contact, completed, dropped (at any question), dropped_at:QUESTION, or fallback (hit the fallback)."""
    found: Dict[str, Conversation] = {}
    for sender, kind, timestamp, data in tracker_events(sender_id, tracker_url):
        event = json.loads(data or "{}")
        conversation = found.setdefault(sender, Conversation(sender))
        conversation.events.append(event)
        if kind == "user" and not opened_widget(event):
            conversation.messages += 1
            conversation.started = conversation.started or timestamp or 0.0
            conversation.last = timestamp or 0.0
            if (event.get("parse_data") or {}).get("intent", {}).get("name") == "nlu_fallback":
                conversation.fallbacks += 1
        elif kind == "action" and event.get("name") in FALLBACK_ACTIONS:
            conversation.fallbacks += 1
        elif kind == "slot" and event.get("name") == "interview_done" and event.get("value") is True:
            conversation.completed = True
        elif kind == "slot" and event.get("name") == "requested_slot" and event.get("value") in INTERVIEW_SLOTS:
            conversation.last_question = event["value"]
    with Session(engine(url), future=True) as session:
        briefs = set(session.execute(select(Brief.sender_id)).scalars())
        leads = dict(session.execute(select(Lead.sender_id, Lead.status)).all())
    chosen = []
    for conversation in found.values():
        if not conversation.messages:
            continue
        conversation.outcome = _outcome(conversation, briefs, leads)
        day = dt.datetime.fromtimestamp(conversation.started or 0.0, tz=dt.timezone.utc).date()
        if (since and day < since) or (until and day > until):
            continue
        if outcome and not (conversation.outcome == outcome or (outcome == "fallback" and conversation.fallbacks)
                            or (outcome == "dropped" and conversation.outcome.startswith("dropped_at:"))):
            continue
        chosen.append(conversation)
    return sorted(chosen, key=lambda c: c.started or 0, reverse=True)
