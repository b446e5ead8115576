"""Figures for the inbox dashboard, read from Rasa's SQL tracker store and the app database."""
from __future__ import annotations

import json
from collections import Counter
from typing import Dict, Optional, Tuple

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from bot import config
from bot.slots import INTERVIEW_SLOTS
from bot.storage import Brief, Lead, engine


def conversation_progress(tracker_url: Optional[str] = None) -> Tuple[int, int, Counter]:
    """(conversations started, interviews completed, where unfinished interviews stopped)."""
    tracker_engine = create_engine(tracker_url or config.tracker_db_url(), future=True)
    started, completed, last_question = set(), set(), {}
    try:
        with tracker_engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT sender_id, type_name, data FROM events WHERE type_name IN ('user', 'slot') ORDER BY id"))
            for sender_id, kind, data in rows:
                if kind == "user":
                    started.add(sender_id)
                    continue
                event = json.loads(data or "{}")
                if event.get("name") == "interview_done" and event.get("value") is True:
                    completed.add(sender_id)
                elif event.get("name") == "requested_slot" and event.get("value") in INTERVIEW_SLOTS:
                    last_question[sender_id] = event["value"]
    finally:
        tracker_engine.dispose()
    stopped = Counter(question for sender, question in last_question.items() if sender not in completed)
    return len(started), len(completed), stopped


def figures(url: Optional[str] = None, tracker_url: Optional[str] = None) -> Tuple[Dict[str, int], Dict[str, int]]:
    started, completed, stopped = conversation_progress(tracker_url)
    with Session(engine(url), future=True) as session:
        qualified = session.execute(select(func.count()).select_from(Lead).where(Lead.qualified.is_(True))).scalar()
        handed_off = session.execute(select(func.count()).select_from(Brief)).scalar()
        nurture = session.execute(select(func.count()).select_from(Lead).where(Lead.status == "nurture")).scalar()
    stats = {"conversations started": started, "interviews completed": completed, "qualified": qualified,
             "handed off": handed_off, "nurture": nurture}
    return stats, {question: stopped.get(question, 0) for question in INTERVIEW_SLOTS}
