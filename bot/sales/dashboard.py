"""Figures for the inbox dashboard, from the conversations in Rasa's tracker store and the app database."""
from __future__ import annotations

from typing import Dict, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.conversation.slots import INTERVIEW_SLOTS
from bot.store.briefs import sender_ids
from bot.store.conversations import InterviewCounts, interview_counts, tracker_connection
from bot.store.engine import engine
from bot.store.models import Lead


def figures(url: Optional[str] = None, tracker_url: Optional[str] = None) -> Tuple[Dict[str, int], Dict[str, int]]:
    """Counts for the dashboard, each computed by a database; drop-off leaves out visitors who were handed
    to a person mid-interview."""
    with tracker_connection(tracker_url) as tracker:
        counts = interview_counts(tracker, sender_ids(url=url)) if tracker is not None else InterviewCounts()
    with Session(engine(url), future=True) as session:
        qualified = session.execute(select(func.count()).select_from(Lead).where(Lead.qualified.is_(True))).scalar()
        nurture = session.execute(select(func.count()).select_from(Lead).where(Lead.status == "nurture")).scalar()
    stats = {"conversations started": counts.started, "interviews completed": counts.completed,
             "qualified": qualified, "handed off": counts.handed_off, "nurture": nurture}
    return stats, {question: counts.stopped.get(question, 0) for question in INTERVIEW_SLOTS}
