"""The salespeople's side of a brief: finding it, claiming it, moving it along, and who did what."""
from __future__ import annotations

from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.briefs import list_briefs
from bot.store.engine import engine
from bot.store.models import Brief, BriefEvent, Delivery

STATUSES = ("new", "claimed", "contacted", "won", "lost", "nurture")
MAX_NOTE = 5000


class NotFound(LookupError):
    pass


class ClaimedByOther(Exception):
    pass


def find(status: Optional[str] = None, stage: Optional[str] = None, words: str = "",
         url: Optional[str] = None) -> List[dict]:
    """Briefs, newest first, by status and stage; `words` must all appear in the name, company or struggle."""
    wanted = words.lower().split()

    def matches(brief: dict) -> bool:
        contact = brief["contact"] or {}
        said = " ".join(str(v) for v in (contact.get("name"), contact.get("company"), brief["struggle"]) if v)
        return all(word in said.lower() for word in wanted)

    return [brief for brief in list_briefs(status=status or None, stage=stage or None, url=url) if matches(brief)]


def _change(brief_id: int, actor: str, kind: str, detail: str, url: Optional[str], **fields) -> None:
    with Session(engine(url), future=True) as session, session.begin():
        brief = session.get(Brief, brief_id)
        if brief is None:
            raise NotFound(brief_id)
        for name, value in fields.items():
            setattr(brief, name, value)
        session.add(BriefEvent(brief_id=brief_id, actor=actor, kind=kind, detail=detail))


def claim(brief_id: int, actor: str, take_over: bool = False, url: Optional[str] = None) -> None:
    """Claims a brief. Taking it from a colleague must be explicit; a later status (won...) is kept."""
    with Session(engine(url), future=True) as session:
        brief = session.get(Brief, brief_id)
        if brief is None:
            raise NotFound(brief_id)
        holder, status = brief.claimed_by, brief.status
    if holder and holder != actor and not take_over:
        raise ClaimedByOther(f"{holder} has claimed this brief; take it over explicitly.")
    detail = f"taken over from {holder}" if holder and holder != actor else ""
    _change(brief_id, actor, "claimed", detail, url, claimed_by=actor,
            status="claimed" if status == "new" else status)


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
