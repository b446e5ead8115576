"""The salespeople's side of a brief: finding it, claiming it, moving it along, and who did what."""
from __future__ import annotations

from typing import List, Optional

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from bot.store import briefs
from bot.store.engine import engine
from bot.store.models import Brief, BriefEvent, Delivery

STATUSES = ("new", "claimed", "contacted", "won", "lost", "nurture")
MAX_NOTE = 5000


class NotFound(LookupError):
    pass


class ClaimedByOther(Exception):
    pass


def find(status: Optional[str] = None, stage: Optional[str] = None, words: str = "", after: Optional[int] = None,
         before: Optional[int] = None, limit: int = briefs.PAGE, url: Optional[str] = None) -> briefs.Page:
    """A page of briefs for the inbox (listed fields only), newest first, by status and stage; `words` must
    all appear in the name, company or struggle."""
    return briefs.page(status=status or None, stage=stage or None, words=words, after=after, before=before,
                       limit=limit, full=False, url=url)


def _change(brief_id: int, actor: str, kind: str, detail: str, url: Optional[str], **fields) -> None:
    with Session(engine(url), future=True) as session, session.begin():
        brief = session.get(Brief, brief_id)
        if brief is None:
            raise NotFound(brief_id)
        for name, value in fields.items():
            setattr(brief, name, value)
        session.add(BriefEvent(brief_id=brief_id, actor=actor, kind=kind, detail=detail))


def _holder(brief_id: int, url: Optional[str]) -> Optional[str]:
    with Session(engine(url), future=True) as session:
        brief = session.get(Brief, brief_id)
        if brief is None:
            raise NotFound(brief_id)
        return brief.claimed_by


def claim(brief_id: int, actor: str, take_over: bool = False, url: Optional[str] = None) -> None:
    """Claims a brief. Taking it from a colleague must be explicit; a later status (won...) is kept."""
    holder = _holder(brief_id, url)
    if holder and holder != actor and not take_over:
        raise ClaimedByOther(f"{holder} has claimed this brief; take it over explicitly.")
    with Session(engine(url), future=True) as session, session.begin():
        # Only if the holder is still the one we saw: of two salespeople claiming at once, one wins.
        claimed = session.execute(
            update(Brief).where(Brief.id == brief_id, Brief.claimed_by.is_(None) if holder is None
                                else Brief.claimed_by == holder)
            .values(claimed_by=actor, status=case((Brief.status == "new", "claimed"), else_=Brief.status))
            .execution_options(synchronize_session=False))
        if claimed.rowcount == 1:
            detail = f"taken over from {holder}" if holder and holder != actor else ""
            session.add(BriefEvent(brief_id=brief_id, actor=actor, kind="claimed", detail=detail))
            return
    winner = _holder(brief_id, url)
    if winner != actor:  # the same person clicking twice has simply claimed it
        raise ClaimedByOther(f"{winner} has just claimed this brief; take it over explicitly.")


def set_status(brief_id: int, status: str, actor: str, url: Optional[str] = None) -> None:
    if status not in STATUSES:
        raise ValueError(f"Unknown status {status!r}: use one of {', '.join(STATUSES)}.")
    _change(brief_id, actor, "status", status, url, status=status)


def add_note(brief_id: int, text: str, actor: str, url: Optional[str] = None) -> None:
    text = text.strip()
    if not text or len(text) > MAX_NOTE:
        raise ValueError(f"A note needs 1 to {MAX_NOTE} characters.")
    _change(brief_id, actor, "note", text, url)


def record_message(brief_id: int, text: str, actor: str, url: Optional[str] = None) -> None:
    _change(brief_id, actor, "message", text, url)


def record_hand_back(brief_id: int, actor: str, url: Optional[str] = None) -> None:
    _change(brief_id, actor, "handed_back", "", url)


def history(brief_id: int, url: Optional[str] = None) -> List[dict]:
    with Session(engine(url), future=True) as session:
        query = select(BriefEvent).where(BriefEvent.brief_id == brief_id).order_by(BriefEvent.at, BriefEvent.id)
        return [event.to_json() for event in session.execute(query).scalars()]


def failing_deliveries(min_attempts: int = 3, url: Optional[str] = None) -> List[dict]:
    """Notifications that keep failing, for the inbox to show."""
    with Session(engine(url), future=True) as session:
        query = (select(Delivery).where(Delivery.delivered_at.is_(None), Delivery.attempts >= min_attempts)
                 .order_by(Delivery.id))
        return [{"brief_id": d.brief_id, "channel": d.channel, "attempts": d.attempts, "last_error": d.last_error}
                for d in session.execute(query).scalars()]
