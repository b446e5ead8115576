"""Trainer tools: read real conversations from the tracker store, find what the bot understood worst,
and turn conversations into test stories and NLU examples."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot import config
from bot.slots import INTERVIEW_SLOTS
from bot.storage import Brief, Lead, engine

LOW_CONFIDENCE = 0.6
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


def _tracker_events(sender_id: Optional[str] = None, tracker_url: Optional[str] = None) -> Iterable[tuple]:
    url = make_url(tracker_url or config.tracker_db_url())
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return []
    tracker_engine = create_engine(url, future=True)
    try:
        if not inspect(tracker_engine).has_table("events"):
            return []
        query = "SELECT sender_id, type_name, timestamp, data FROM events"
        params = {}
        if sender_id is not None:
            query += " WHERE sender_id = :sender"
            params["sender"] = sender_id
        with tracker_engine.connect() as connection:
            return connection.execute(text(query + " ORDER BY id"), params).all()
    finally:
        tracker_engine.dispose()


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
    for sender, kind, timestamp, data in _tracker_events(sender_id, tracker_url):
        event = json.loads(data or "{}")
        conversation = found.setdefault(sender, Conversation(sender))
        conversation.events.append(event)
        if kind == "user" and not (event.get("metadata") or {}).get("widget_opened"):
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


def readable(conversation: Conversation) -> List[str]:
    """A transcript with intents, confidences and the slots each turn set."""
    lines = []
    for event in conversation.events:
        kind = event.get("event")
        if kind == "user" and not (event.get("metadata") or {}).get("widget_opened"):
            intent = (event.get("parse_data") or {}).get("intent") or {}
            lines.append(f"visitor: {event.get('text')}    [{intent.get('name')} "
                         f"{float(intent.get('confidence') or 0):.2f}]")
        elif kind == "bot" and event.get("text"):
            who = "agent" if (event.get("metadata") or {}).get("agent") else "bot"
            lines.append(f"{who}: {event['text']}")
        elif kind == "slot" and event.get("name") not in ("requested_slot", "skipped_slots"):
            lines.append(f"    slot {event.get('name')} = {json.dumps(event.get('value'), ensure_ascii=False)}")
        elif kind == "action" and event.get("name") not in ("action_listen", "action_extract_slots", None):
            lines.append(f"    action {event['name']}")
        elif kind in ("pause", "resume"):
            lines.append(f"    conversation {kind}d")
    return lines


@dataclass
class Misunderstood:
    sender_id: str
    text: str
    intent: str
    confidence: float
    likely: str  # the classifier's best guess among real intents


def misunderstood(since: Optional[dt.date] = None, threshold: float = LOW_CONFIDENCE,
                  tracker_url: Optional[str] = None) -> List[Misunderstood]:
    """Visitor messages that fell back or were classified with low confidence."""
    found = []
    for sender, kind, timestamp, data in _tracker_events(tracker_url=tracker_url):
        if kind != "user" or (since and dt.datetime.fromtimestamp(timestamp or 0, tz=dt.timezone.utc).date() < since):
            continue
        event = json.loads(data or "{}")
        parse = event.get("parse_data") or {}
        intent = parse.get("intent") or {}
        if (event.get("metadata") or {}).get("widget_opened") or str(event.get("text", "")).startswith("/"):
            continue
        confidence = float(intent.get("confidence") or 0)
        if intent.get("name") == "nlu_fallback" or confidence < threshold:
            ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
            likely = ranking[0]["name"] if ranking else intent.get("name") or "?"
            found.append(Misunderstood(sender, event.get("text") or "", intent.get("name") or "?", confidence, likely))
    return found


def review(since: Optional[dt.date] = None, tracker_url: Optional[str] = None) -> Dict[str, List[Misunderstood]]:
    """The worst-understood messages grouped by likely intent, biggest group first."""
    groups: Dict[str, List[Misunderstood]] = defaultdict(list)
    for message in misunderstood(since, tracker_url=tracker_url):
        groups[message.likely].append(message)
    return dict(sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])))


def nlu_examples(messages: List[Misunderstood]) -> str:
    """Messages as NLU training data under their likely intent, for a trainer to check and correct."""
    by_intent: Dict[str, List[str]] = defaultdict(list)
    for message in messages:
        line = " ".join(message.text.split())
        if line and line not in by_intent[message.likely]:
            by_intent[message.likely].append(line)
    out = ['version: "3.1"', "# Check each example: move it to the right intent or delete it, then copy it",
           "# into data/nlu/ (never into tests/nlu/holdout.yml).", "nlu:"]
    for intent, lines in sorted(by_intent.items()):
        out += [f"- intent: {intent}", "  examples: |"] + [f"    - {json.dumps(line)[1:-1]}" for line in lines]
    return "\n".join(out) + "\n"


async def _full_tracker(sender_id: str):
    from rasa.shared.core.domain import Domain

    from bot.tracker_store import URLSQLTrackerStore

    store = URLSQLTrackerStore(Domain.load(str(config.ROOT / "domain.yml")))
    tracker = await store.retrieve_full_tracker(sender_id)
    if tracker is None or not tracker.events:
        raise LookupError(f"No conversation with sender id {sender_id!r} in the tracker store.")
    return tracker


def story(sender_id: str, name: str, test: bool = True) -> str:
    """The conversation as a Rasa story: a test story with the visitor's words (end to end), or a
    training story with intents only."""
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.training_data.story_writer.yaml_story_writer import YAMLStoryWriter
    from rasa.shared.core.training_data.structures import Story

    tracker = asyncio.run(_full_tracker(sender_id))
    events = []
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if (event.metadata or {}).get("widget_opened"):
                event.text = None  # the widget's own greeting request: kept as its intent only
            event.entities = []  # the pipeline's entities are checked by unit tests, not by stories
        events.append(event)
    rasa_story = Story.from_events(events, name)
    return YAMLStoryWriter().dumps(rasa_story.story_steps, is_test_story=test)


def test_story(sender_id: str, name: str) -> str:
    return story(sender_id, name, test=True)
