"""Leads and handoff briefs: stored at the end of a conversation, read by the API, the CLI and the inbox."""
from __future__ import annotations

from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import config
from bot.store.engine import engine
from bot.store.models import Brief, Delivery, Lead


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
        )
        brief = Brief(lead=lead, status="new", **brief_fields)
        session.add(brief)
        session.flush()
        # Notifications go out through the outbox, written in the same transaction: never lost.
        session.add_all([Delivery(brief_id=brief.id, channel=channel) for channel in config.notification_channels()])
        return brief.id


def save_lead(sender_id: str, status: str, buying_stage: str, qualified: bool,
              contact: Optional[dict] = None, url: Optional[str] = None) -> int:
    """Store a lead without a handoff (nurture, or qualified but declined contact)."""
    contact = contact or {}
    with Session(engine(url), future=True) as session, session.begin():
        lead = _upsert_lead(session, sender_id, status, buying_stage=buying_stage, qualified=qualified,
                            name=contact.get("name"), email=contact.get("email"), company=contact.get("company"))
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


def list_briefs(sender_id: Optional[str] = None, status: Optional[str] = None, stage: Optional[str] = None,
                url: Optional[str] = None) -> List[dict]:
    """Briefs, newest first."""
    query = select(Brief).order_by(Brief.created_at.desc(), Brief.id.desc())
    if sender_id is not None:
        query = query.where(Brief.sender_id == sender_id)
    if status is not None:
        query = query.where(Brief.status == status)
    if stage is not None:
        query = query.where(Brief.buying_stage == stage)
    with Session(engine(url), future=True) as session:
        return [brief.to_json() for brief in session.execute(query).scalars()]


def get_brief(brief_id: int, url: Optional[str] = None) -> Optional[dict]:
    with Session(engine(url), future=True) as session:
        brief = session.get(Brief, brief_id)
        return brief.to_json() if brief else None
