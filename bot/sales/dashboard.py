"""Figures for the inbox dashboard: conversations as counted into interview_progress (bot/store/progress.py)
and leads, each a GROUP BY in the app database."""
from __future__ import annotations

from typing import Dict, Optional, Tuple

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from bot.conversation.slots import INTERVIEW_SLOTS
from bot.store import progress
from bot.store.engine import engine
from bot.store.models import Brief, InterviewProgress, Lead


def figures(url: Optional[str] = None, tracker_url: Optional[str] = None) -> Tuple[Dict[str, int], Dict[str, int]]:
    """Counts for the dashboard; drop-off leaves out visitors who were handed to a person mid-interview.
    The worker keeps the counts current; what it has not read yet is read first."""
    progress.refresh(url, tracker_url)
    handed_off = exists().where(Brief.sender_id == InterviewProgress.sender_id).label("handed_off")
    with Session(engine(url), future=True) as session:
        rows = session.execute(select(InterviewProgress.last_question, InterviewProgress.completed, handed_off,
                                      func.count()).where(InterviewProgress.talked.is_(True))
                               .group_by(InterviewProgress.last_question, InterviewProgress.completed,
                                         handed_off)).all()
        qualified = session.execute(select(func.count()).select_from(Lead).where(Lead.qualified.is_(True))).scalar()
        nurture = session.execute(select(func.count()).select_from(Lead).where(Lead.status == "nurture")).scalar()
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
