"""Figures for the inbox dashboard, read from Rasa's SQL tracker store and the app database."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Dict, Optional, Set, Tuple

from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot import config
from bot.slots import INTERVIEW_SLOTS
from bot.storage import Brief, Lead, engine


def conversation_progress(tracker_url: Optional[str] = None) -> Tuple[Set[str], Set[str], Dict[str, str]]:
    """Senders who started a conversation, those who completed the interview, and for the others the
    last question they were asked."""
    url = make_url(tracker_url or config.tracker_db_url())
    started, completed, last_question = set(), set(), {}
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return started, completed, last_question  # nobody has chatted yet: Rasa creates it on first use
    tracker_engine = create_engine(url, future=True)
    try:
        if not inspect(tracker_engine).has_table("events"):  # nobody has chatted yet
            return started, completed, last_question
        with tracker_engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT sender_id, type_name, data FROM events WHERE type_name IN ('user', 'slot') ORDER BY id"))
            for sender_id, kind, data in rows:
                event = json.loads(data or "{}")
                if kind == "user":
                    if not (event.get("metadata") or {}).get("widget_opened"):
                        started.add(sender_id)  # the widget's own greeting request is not a conversation
                elif event.get("name") == "interview_done" and event.get("value") is True:
                    completed.add(sender_id)
                elif event.get("name") == "requested_slot" and event.get("value") in INTERVIEW_SLOTS:
                    last_question[sender_id] = event["value"]
    finally:
        tracker_engine.dispose()
    unfinished = {sender: question for sender, question in last_question.items()
                  if sender in started and sender not in completed}
    return started, completed, unfinished


def figures(url: Optional[str] = None, tracker_url: Optional[str] = None) -> Tuple[Dict[str, int], Dict[str, int]]:
    """Counts for the dashboard; drop-off leaves out visitors who were handed to a person mid-interview."""
    started, completed, unfinished = conversation_progress(tracker_url)
    with Session(engine(url), future=True) as session:
        handed_to_a_person = set(session.execute(select(Brief.sender_id)).scalars())
        qualified = session.execute(select(func.count()).select_from(Lead).where(Lead.qualified.is_(True))).scalar()
        nurture = session.execute(select(func.count()).select_from(Lead).where(Lead.status == "nurture")).scalar()
    stopped = Counter(question for sender, question in unfinished.items() if sender not in handed_to_a_person)
    stats = {"conversations started": len(started), "interviews completed": len(completed), "qualified": qualified,
             "handed off": len(handed_to_a_person), "nurture": nurture}
    return stats, {question: stopped.get(question, 0) for question in INTERVIEW_SLOTS}
