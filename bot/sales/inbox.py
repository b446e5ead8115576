"""The salespeople's side of a brief: finding it, claiming it, moving it along, and who did what."""
from __future__ import annotations

import datetime as dt
from typing import Dict, List, Optional, Tuple

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import Session

from bot.clock import iso, utcnow
from bot.sales import accounts
from bot.store import briefs
from bot.store.engine import engine
from bot.store.models import Brief, BriefEvent, CrmEvent, Delivery, Meeting, MeetingEmail

STATUSES = ("new", "claimed", "contacted", "won", "lost", "nurture")
MAX_NOTE = 5000


class NotFound(LookupError):
    pass


class ClaimedByOther(Exception):
    pass


def find(status: Optional[str] = None, stage: Optional[str] = None, words: str = "", after: Optional[int] = None,
         before: Optional[int] = None, limit: int = briefs.PAGE, holder: Optional[str] = None,
         url: Optional[str] = None) -> briefs.Page:
    """A page of briefs for the inbox (listed fields only), newest first, by status and stage; `words` must
    all appear in the name, company or struggle; `holder`: claimed by this salesperson ("": by nobody)."""
    return briefs.page(status=status or None, stage=stage or None, words=words, after=after, before=before,
                       limit=limit, full=False, holder=holder, url=url)


def _change(brief_id: int, actor: str, kind: str, detail: str, url: Optional[str], **fields) -> None:
    with Session(engine(url), future=True) as session, session.begin():
        brief = session.get(Brief, brief_id)
        if brief is None:
            raise NotFound(brief_id)
        before = brief.status
        for name, value in fields.items():
            setattr(brief, name, value)
        session.add(BriefEvent(brief_id=brief_id, actor=actor, kind=kind, detail=detail))
        if brief.status != before:
            briefs.crm_event(session, brief, "brief.status_changed", previous_status=before, changed_by=actor)


def _holder(brief_id: int, url: Optional[str]) -> Tuple[Optional[str], str]:
    """Who holds the brief, and its status."""
    with Session(engine(url), future=True) as session:
        brief = session.get(Brief, brief_id)
        if brief is None:
            raise NotFound(brief_id)
        return brief.claimed_by, brief.status


def claim(brief_id: int, actor: str, take_over: bool = False, url: Optional[str] = None) -> None:
    """Claims a brief. Taking it from a colleague must be explicit; a later status (won...) is kept."""
    holder, status = _holder(brief_id, url)
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
            brief = session.get(Brief, brief_id)
            if brief.status != status:  # a new brief is now claimed
                briefs.crm_event(session, brief, "brief.status_changed", previous_status=status, changed_by=actor)
            return
    winner, _ = _holder(brief_id, url)
    if winner != actor:  # the same person clicking twice has simply claimed it
        raise ClaimedByOther(f"{winner} has just claimed this brief; take it over explicitly.")


def release(brief_id: int, actor: str, url: Optional[str] = None) -> None:
    """Gives a claimed brief back to the queue (a brief only claimed so far is new again)."""
    holder, status = _holder(brief_id, url)
    if holder is None:
        raise ValueError("Nobody has claimed this brief.")
    _change(brief_id, actor, "released", f"released by {actor}" if holder == actor else f"released from {holder}",
            url, claimed_by=None, status="new" if status == "claimed" else status)


def reassign(brief_id: int, to: str, actor: str, url: Optional[str] = None) -> None:
    """Gives the brief to another salesperson, who then holds it as if they had claimed it."""
    to = to.strip().lower()
    if not accounts.exists(to, url):
        raise ValueError(f"There is no salesperson {to!r}.")
    holder, status = _holder(brief_id, url)
    if holder == to:
        return
    _change(brief_id, actor, "reassigned", f"to {to}" + (f" from {holder}" if holder else ""), url,
            claimed_by=to, status="claimed" if status == "new" else status)


def set_status(brief_id: int, status: str, actor: str, url: Optional[str] = None) -> None:
    if status not in STATUSES:
        raise ValueError(f"Unknown status {status!r}: use one of {', '.join(STATUSES)}.")
    _change(brief_id, actor, "status", status, url, status=status)


def add_note(brief_id: int, text: str, actor: str, url: Optional[str] = None) -> None:
    text = text.strip()
    if not text or len(text) > MAX_NOTE:
        raise ValueError(f"A note needs 1 to {MAX_NOTE} characters.")
    _change(brief_id, actor, "note", text, url)


CONTACT_KINDS = ("email", "phone")


def set_contact(brief_id: int, kind: str, value: str, actor: str, url: Optional[str] = None) -> None:
    """Takes an email or phone number the visitor typed in the conversation as the brief's contact (the lead's
    too, for an email: a later visit is matched by it)."""
    if kind not in CONTACT_KINDS:
        raise ValueError(f"Unknown contact detail {kind!r}: use one of {', '.join(CONTACT_KINDS)}.")
    with Session(engine(url), future=True) as session, session.begin():
        brief = session.get(Brief, brief_id, with_for_update=True)
        if brief is None:
            raise NotFound(brief_id)
        brief.contact = {**(brief.contact or {}), kind: value}
        if kind == "email":
            brief.lead.email = value
        session.add(BriefEvent(brief_id=brief_id, actor=actor, kind="contact",
                               detail=f"{kind} taken from the conversation: {value}"))


def record_message(brief_id: int, text: str, actor: str, url: Optional[str] = None) -> None:
    _change(brief_id, actor, "message", text, url)


def record_hand_back(brief_id: int, actor: str, url: Optional[str] = None) -> None:
    _change(brief_id, actor, "handed_back", "", url)


def same_person(listed: List[dict], url: Optional[str] = None) -> Dict[int, List[int]]:
    """For each listed brief with a contact email, the ids of the other briefs with that email (any case),
    newest first: the inbox groups one person's briefs."""
    emails = {brief["id"]: ((brief.get("contact") or {}).get("email") or "").strip().lower() for brief in listed}
    wanted = {email for email in emails.values() if email}
    if not wanted:
        return {}
    email = func.lower(func.trim(Brief.contact["email"].as_string()))
    with Session(engine(url), future=True) as session:
        rows = session.execute(select(Brief.id, email).where(email.in_(wanted))
                               .order_by(Brief.created_at.desc(), Brief.id.desc())).all()
    found = {}
    for brief_id, address in emails.items():
        others = [other for other, their in rows if their == address and other != brief_id]
        if address and others:
            found[brief_id] = others
    return found


WAITING_LIMIT = 20


def waiting(now: Optional[dt.datetime] = None, url: Optional[str] = None,
            wrote: Optional[Dict[int, dt.datetime]] = None) -> List[dict]:
    """Open briefs of visitors waiting for a person, longest waiting first: who asked for one and has had no
    salesperson's message yet (waiting since the handoff), and who wrote after the handoff without a salesperson's
    message since (`wrote`: brief id -> the first such message, bot.sales.live.unanswered). Each has
    `waiting_since`, `waited` (words) and `wrote` (waiting because they wrote); the inbox shows them first."""
    now, wrote = now or utcnow(), wrote or {}
    columns = [Brief.__table__.c[name] for name in briefs.LISTED]
    still_open = Brief.status.in_(("new", "claimed"))
    written = select(BriefEvent.brief_id).where(BriefEvent.kind == "message")
    asked = and_(Brief.handoff_reason == "visitor_requested_human", Brief.id.not_in(written))
    with Session(engine(url), future=True) as session:
        # Of those who asked, no more than can be shown, the longest waiting first; those who wrote are few.
        found = [(row, row.created_at, False) for row in session.execute(
            select(*columns).where(still_open, asked).order_by(Brief.created_at, Brief.id).limit(WAITING_LIMIT))]
        if wrote:
            found += [(row, wrote[row.id], True) for row in session.execute(
                select(*columns).where(still_open, ~asked, Brief.id.in_(list(wrote))))]
    found.sort(key=lambda shown: (shown[1], shown[0].id))
    return [{**dict(row._mapping), "created_at": iso(row.created_at), "waiting_since": iso(since),
             "waited": waited(now - since), "wrote": wrote_after} for row, since, wrote_after in found[:WAITING_LIMIT]]


def waited(how_long: dt.timedelta) -> str:
    """"4 min", "3 h", "2 days": how long someone has been waiting, as a salesperson reads it at a glance."""
    minutes = max(0, int(how_long.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


def history(brief_id: int, url: Optional[str] = None) -> List[dict]:
    with Session(engine(url), future=True) as session:
        query = select(BriefEvent).where(BriefEvent.brief_id == brief_id).order_by(BriefEvent.at, BriefEvent.id)
        return [event.to_json() for event in session.execute(query).scalars()]


def failing_deliveries(min_attempts: int = 3, url: Optional[str] = None) -> List[dict]:
    """Notifications and CRM webhook calls that keep failing, for the inbox to show."""
    failing = []
    with Session(engine(url), future=True) as session:
        for outbox in (Delivery, CrmEvent):
            query = (select(outbox).where(outbox.delivered_at.is_(None), outbox.attempts >= min_attempts)
                     .order_by(outbox.id))
            failing += [{"brief_id": row.brief_id, "channel": getattr(row, "channel", "crm"),
                         "attempts": row.attempts, "last_error": row.last_error}
                        for row in session.execute(query).scalars()]
        query = (select(MeetingEmail, Meeting.brief_id).join(Meeting, Meeting.id == MeetingEmail.meeting_id)
                 .where(MeetingEmail.delivered_at.is_(None), MeetingEmail.attempts >= min_attempts)
                 .order_by(MeetingEmail.id))
        failing += [{"brief_id": brief_id, "channel": "meeting email", "attempts": row.attempts,
                     "last_error": row.last_error} for row, brief_id in session.execute(query)]
    return failing
