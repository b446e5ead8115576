"""Real conversations, read from Rasa's tracker store (the SQL `events` table) and joined with the leads
and briefs stored for them: who dropped where, who was handed off, what went wrong. Used by trainers."""
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
from bot.conversation import product
from bot.conversation.slots import INTERVIEW_SLOTS
from bot.conversation.transcript import opened_widget
from bot.conversation.troubles import Troubles
from bot.store.engine import engine
from bot.store.models import Brief, Lead

FALLBACK_ACTIONS = {"utter_out_of_scope", "action_default_fallback"}


# What went wrong in a conversation, besides how it ended (bot/conversation/troubles.py): the bot asked one
# question three times or more, sent the visitor to support mid-interview, was given contact details that reached
# no lead or brief, or handed over a visitor it has no way to reach.
PROBLEMS = ("repeated_question", "sent_to_support", "contact_without_brief", "handoff_without_contact")
ENDINGS = ("handed_off", "nurture", "no_contact", "completed", "no_interview")


def outcomes() -> List[str]:
    """Every value `conversations(outcome=...)` takes."""
    return [*ENDINGS, "dropped", *(f"dropped_at:{slot}" for slot in INTERVIEW_SLOTS), "fallback", *PROBLEMS]


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
    problems: List[str] = field(default_factory=list)
    troubles: Troubles = field(default_factory=Troubles)
    events: List[dict] = field(default_factory=list)

    @property
    def trouble(self) -> tuple:
        """How bad it went, for sorting: problems first, then fallbacks."""
        return len(self.problems), self.fallbacks

    def as_row(self) -> dict:
        when = dt.datetime.fromtimestamp(self.started or 0, tz=dt.timezone.utc)
        return {"sender_id": self.sender_id, "started": when.strftime("%Y-%m-%d %H:%M"),
                "messages": self.messages, "outcome": self.outcome, "fallbacks": self.fallbacks,
                "problems": ", ".join(self.problems)}


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


def _outcome(conversation: Conversation, briefs: Dict[str, dict], leads: Dict[str, str]) -> str:
    if conversation.sender_id in briefs:
        return "handed_off"
    if conversation.sender_id in leads:
        return leads[conversation.sender_id]  # nurture or no_contact
    if conversation.completed:
        return "completed"
    if conversation.last_question:
        return f"dropped_at:{conversation.last_question}"
    return "no_interview"


def problems(troubles: Troubles, contact: Optional[dict], handed_off: bool, lead: bool) -> List[str]:
    """PROBLEMS that hold for one conversation (`contact`: its newest brief's, when handed off)."""
    found = []
    if troubles.repeated_question:
        found.append("repeated_question")
    if troubles.sent_to_support:
        found.append("sent_to_support")
    if troubles.email and not handed_off and not lead:
        found.append("contact_without_brief")
    if handed_off and unreachable(contact):
        found.append("handoff_without_contact")
    return found


def unreachable(contact: Optional[dict]) -> bool:
    """A brief's contact with neither an email nor a phone number: a person cannot reach the visitor."""
    return not ((contact or {}).get("email") or (contact or {}).get("phone"))


def _matches(conversation: Conversation, outcome: str) -> bool:
    return (not outcome or conversation.outcome == outcome or outcome in conversation.problems
            or (outcome == "fallback" and conversation.fallbacks > 0)
            or (outcome == "dropped" and conversation.outcome.startswith("dropped_at:")))


def conversations(since: Optional[dt.date] = None, until: Optional[dt.date] = None, outcome: str = "",
                  sender_id: Optional[str] = None, url: Optional[str] = None, tracker_url: Optional[str] = None,
                  sender_prefix: str = "", exclude_prefixes: Iterable[str] = (), limit: Optional[int] = None,
                  by_trouble: bool = False) -> List[Conversation]:
    """Conversations started in [since, until], newest first (or the most troubled first). `outcome` is one of
    outcomes(): how it ended, dropped (at any question), fallback (hit the fallback), or one of PROBLEMS.
    `sender_prefix` keeps only the senders starting with it, `exclude_prefixes` leaves out those starting with any
    (load tests, for instance)."""
    if outcome and outcome not in outcomes():
        raise ValueError(f"Unknown outcome {outcome!r}: use one of {', '.join(outcomes())}.")
    support_text = product.answer("existing_customer")
    excluded = tuple(exclude_prefixes)
    found: Dict[str, Conversation] = {}
    for sender, kind, timestamp, data in tracker_events(sender_id, tracker_url):
        if not sender.startswith(sender_prefix) or (excluded and sender.startswith(excluded)):
            continue
        event = json.loads(data or "{}")
        conversation = found.setdefault(sender, Conversation(sender))
        conversation.events.append(event)
        conversation.troubles.read({**event, "event": kind}, support_text)
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
        briefs = {sender: contact for sender, contact in session.execute(  # the newest brief's contact last
            select(Brief.sender_id, Brief.contact).order_by(Brief.id))}
        leads = dict(session.execute(select(Lead.sender_id, Lead.status)).all())
    chosen = []
    for conversation in found.values():
        if not conversation.messages:
            continue
        conversation.outcome = _outcome(conversation, briefs, leads)
        conversation.problems = problems(conversation.troubles, briefs.get(conversation.sender_id),
                                         conversation.sender_id in briefs, conversation.sender_id in leads)
        day = dt.datetime.fromtimestamp(conversation.started or 0.0, tz=dt.timezone.utc).date()
        if (since and day < since) or (until and day > until) or not _matches(conversation, outcome):
            continue
        chosen.append(conversation)
    chosen.sort(key=lambda c: c.started or 0, reverse=True)
    if by_trouble:
        chosen.sort(key=lambda c: c.trouble, reverse=True)  # stable: newest first among equals
    return chosen[:limit] if limit is not None else chosen
