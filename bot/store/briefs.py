"""Leads and handoff briefs: stored at the end of a conversation, read by the API, the CLI and the inbox."""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from bot import config
from bot.clock import iso
from bot.conversation.slots import INTERVIEW_SLOTS
from bot.store.engine import engine
from bot.store.models import Brief, CrmEvent, Delivery, Lead


def _upsert_lead(session: Session, sender_id: str, status: str, **fields) -> Lead:
    lead = session.execute(select(Lead).where(Lead.sender_id == sender_id)).scalar_one_or_none()
    if lead is None:
        lead = Lead(sender_id=sender_id, status=status)
        session.add(lead)
    lead.status = status
    for name, value in fields.items():
        setattr(lead, name, value)
    return lead


def save_handoff(brief_fields: dict, url: Optional[str] = None) -> int:
    """Store the brief and its lead in one transaction; returns the brief's id."""
    contact = brief_fields.get("contact") or {}
    with Session(engine(url), future=True) as session, session.begin():
        lead = _upsert_lead(
            session, brief_fields["sender_id"], "handed_off",
            buying_stage=brief_fields["buying_stage"], qualified=brief_fields["qualified"],
            name=contact.get("name"), email=contact.get("email"), company=contact.get("company"),
            checks=brief_fields.get("checks"),
        )
        brief = Brief(lead=lead, status="new", **brief_fields)
        session.add(brief)
        session.flush()
        # Notifications go out through the outbox, written in the same transaction: never lost.
        session.add_all([Delivery(brief_id=brief.id, channel=channel) for channel in config.notification_channels()])
        crm_event(session, brief, "brief.created")
        return brief.id


def crm_event(session: Session, brief: Brief, kind: str, **details: object) -> None:
    """Tells the CRM (CRM_WEBHOOK_URL, if set) about the brief as it is now, with the same transaction."""
    if config.crm_webhook_url():
        session.add(CrmEvent(brief_id=brief.id, kind=kind, payload={"brief": brief.to_json(), **details}))


def save_lead(sender_id: str, status: str, buying_stage: str, qualified: bool,
              contact: Optional[dict] = None, checks: Optional[dict] = None, url: Optional[str] = None) -> int:
    """Store a lead without a handoff (nurture, or qualified but declined contact)."""
    contact = contact or {}
    with Session(engine(url), future=True) as session, session.begin():
        lead = _upsert_lead(session, sender_id, status, buying_stage=buying_stage, qualified=qualified,
                            name=contact.get("name"), email=contact.get("email"), company=contact.get("company"),
                            checks=checks)
        session.flush()
        return lead.id


def get_lead(sender_id: str, url: Optional[str] = None) -> Optional[dict]:
    with Session(engine(url), future=True) as session:
        lead = session.execute(select(Lead).where(Lead.sender_id == sender_id)).scalar_one_or_none()
        if lead is None:
            return None
        return {"id": lead.id, "sender_id": lead.sender_id, "status": lead.status,
                "buying_stage": lead.buying_stage, "qualified": lead.qualified,
                "contact": {"name": lead.name, "email": lead.email, "company": lead.company}}


PAGE = 50  # briefs per page in the inbox and the API, unless asked otherwise
MAX_PAGE = 200  # the most an API client may ask for
CHUNK = 1000  # the most one read holds in memory (the CSV export reads this many listed briefs at a time)

# What a list of briefs shows (the inbox, the CSV): everything but the long JSON (transcript, forces...).
LISTED = ("id", "sender_id", "created_at", "status", "claimed_by", "handoff_reason", "qualified", "buying_stage",
          *INTERVIEW_SLOTS, "contact", "summary", "page_url")


@dataclass
class Page:
    """Briefs newest first, with the cursors of the pages around them (None where there is none)."""

    briefs: List[dict]
    newer: Optional[int] = None  # pass as `before` for the page of newer briefs
    older: Optional[int] = None  # pass as `after` for the page of older briefs


def _matching(query: Select, sender_id: Optional[str], status: Optional[str], stage: Optional[str],
              words: str, holder: Optional[str] = None) -> Select:
    """`holder`: the salesperson who claimed them, or "" for briefs nobody has claimed."""
    if holder is not None:
        query = query.where(Brief.claimed_by == holder if holder else Brief.claimed_by.is_(None))
    if sender_id is not None:
        query = query.where(Brief.sender_id == sender_id)
    if status is not None:
        query = query.where(Brief.status == status)
    if stage is not None:
        query = query.where(Brief.buying_stage == stage)
    said = [Brief.contact["name"].as_string(), Brief.contact["company"].as_string(), Brief.struggle]
    for word in words.lower().split():  # every word, in any of the three
        query = query.where(or_(*(func.lower(column).contains(word, autoescape=True) for column in said)))
    return query


def page(sender_id: Optional[str] = None, status: Optional[str] = None, stage: Optional[str] = None,
         words: str = "", after: Optional[int] = None, before: Optional[int] = None, limit: int = PAGE,
         full: bool = True, holder: Optional[str] = None, url: Optional[str] = None) -> Page:
    """One page of briefs, newest first: those older than brief `after`, or newer than brief `before`, or
    the newest. `words` must all appear in the name, company or struggle. `full=False` gives the LISTED
    fields only. Pages are keyed by (created_at, id), so briefs arriving meanwhile shift nothing."""
    limit = max(1, min(limit, CHUNK))
    before = before if after is None else None
    columns = [Brief] if full else [Brief.__table__.c[name] for name in LISTED]  # Core rows: twice as fast
    query = _matching(select(*columns), sender_id, status, stage, words, holder)
    with Session(engine(url), future=True) as session:
        cursor = after if after is not None else before
        if cursor is not None:
            at = session.execute(select(Brief.created_at).where(Brief.id == cursor)).scalar_one_or_none()
            if at is None:
                return Page([])
            key = tuple_(Brief.created_at, Brief.id)
            query = query.where(key < (at, cursor) if after is not None else key > (at, cursor))
        if before is not None:  # walk up from the cursor, then show newest first like every page
            query = query.order_by(Brief.created_at, Brief.id)
        else:
            query = query.order_by(Brief.created_at.desc(), Brief.id.desc())
        rows = session.execute(query.limit(limit + 1)).all()  # one more tells whether there is more
        more, rows = len(rows) > limit, rows[:limit]
        if before is not None:
            rows.reverse()
        found = [row[0].to_json() if full else _listed(row) for row in rows]
    if not found:
        return Page([])
    if before is not None:
        return Page(found, newer=found[0]["id"] if more else None, older=found[-1]["id"])
    return Page(found, newer=found[0]["id"] if after is not None else None, older=found[-1]["id"] if more else None)


def _listed(row: Row) -> dict:
    listed = dict(row._mapping)
    listed["created_at"] = iso(listed["created_at"])
    return listed


def list_briefs(sender_id: Optional[str] = None, status: Optional[str] = None, stage: Optional[str] = None,
                url: Optional[str] = None) -> List[dict]:
    """Every matching brief, newest first, in full (the CLI); read a page at a time."""
    found, after = [], None
    while True:
        chunk = page(sender_id, status, stage, after=after, limit=MAX_PAGE, url=url)
        found += chunk.briefs
        if chunk.older is None:
            return found
        after = chunk.older


def get_brief(brief_id: int, url: Optional[str] = None) -> Optional[dict]:
    with Session(engine(url), future=True) as session:
        brief = session.get(Brief, brief_id)
        return brief.to_json() if brief else None
