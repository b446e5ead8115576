"""Figures for the inbox dashboard, from the conversations in Rasa's tracker store and the app database."""
from __future__ import annotations

from collections import Counter
from typing import Dict, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.conversation.slots import INTERVIEW_SLOTS
from bot.store.conversations import conversations
from bot.store.engine import engine
from bot.store.models import Lead


def figures(url: Optional[str] = None, tracker_url: Optional[str] = None) -> Tuple[Dict[str, int], Dict[str, int]]:
    """Counts for the dashboard; drop-off leaves out visitors who were handed to a person mid-interview."""
    started = conversations(url=url, tracker_url=tracker_url)
    stopped = Counter(c.last_question for c in started
                      if c.last_question and not c.completed and c.outcome != "handed_off")
    with Session(engine(url), future=True) as session:
        qualified = session.execute(select(func.count()).select_from(Lead).where(Lead.qualified.is_(True))).scalar()
        nurture = session.execute(select(func.count()).select_from(Lead).where(Lead.status == "nurture")).scalar()
    stats = {"conversations started": len(started),
             "interviews completed": sum(1 for c in started if c.completed), "qualified": qualified,
             "handed off": sum(1 for c in started if c.outcome == "handed_off"), "nurture": nurture}
    return stats, {question: stopped.get(question, 0) for question in INTERVIEW_SLOTS}
