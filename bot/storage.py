"""Leads and handoff briefs in SQL (SQLite by default, PostgreSQL by DATABASE_URL)."""
from __future__ import annotations

import functools
from typing import List, Optional

from sqlalchemy import (JSON, Boolean, Column, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint,
                        create_engine, inspect, select, text)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, declarative_base, relationship

from bot import config
from bot.clock import iso, utcnow
from bot.db import check_reachable
from bot.slots import INTERVIEW_SLOTS

Base = declarative_base()


class Lead(Base):
    """One visitor's conversation as a sales lead: `nurture`, `no_contact` or `handed_off`."""

    __tablename__ = "leads"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), unique=True, nullable=False, index=True)
    status = Column(String(32), nullable=False)
    buying_stage = Column(String(32))
    qualified = Column(Boolean)
    name = Column(Text)
    email = Column(Text)
    company = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    briefs = relationship("Brief", back_populates="lead")


class Brief(Base):
    __tablename__ = "briefs"
    id = Column(Integer, primary_key=True)
    lead_id = Column(Integer, ForeignKey("leads.id"), nullable=False)
    sender_id = Column(String(255), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    status = Column(String(32), nullable=False, default="new", index=True)
    handoff_reason = Column(String(64), nullable=False)
    qualified = Column(Boolean, nullable=False)
    buying_stage = Column(String(32), nullable=False)
    struggle = Column(Text)
    situation = Column(Text)
    current_solution = Column(Text)
    desired_progress = Column(Text)
    trigger = Column(Text)
    timeline = Column(Text)
    anxieties = Column(Text)
    cost_of_inaction = Column(Text)
    forces = Column(JSON, nullable=False)
    reasons = Column(JSON, nullable=False)
    contact = Column(JSON)
    headline = Column(Text, nullable=False)
    summary = Column(Text, nullable=False)
    suggested_questions = Column(JSON, nullable=False)
    transcript = Column(JSON, nullable=False)
    page_url = Column(Text)  # where the visitor chatted, as the widget reported it
    referrer = Column(Text)
    claimed_by = Column(String(320))
    lead = relationship("Lead", back_populates="briefs")

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "lead_id": self.lead_id,
            "sender_id": self.sender_id,
            "created_at": iso(self.created_at),
            "status": self.status,
            "handoff_reason": self.handoff_reason,
            "qualified": self.qualified,
            "buying_stage": self.buying_stage,
            **{slot: getattr(self, slot) for slot in INTERVIEW_SLOTS},
            "forces": self.forces,
            "reasons": self.reasons,
            "contact": self.contact,
            "headline": self.headline,
            "summary": self.summary,
            "suggested_questions": self.suggested_questions,
            "transcript": self.transcript,
            "page_url": self.page_url,
            "referrer": self.referrer,
            "claimed_by": self.claimed_by,
        }


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String(320), unique=True, nullable=False)
    password_hash = Column(String(255), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class SignIn(Base):
    __tablename__ = "sign_ins"
    token_hash = Column(String(64), primary_key=True)
    user_id = Column(Integer, ForeignKey("users.id"), nullable=False)
    csrf_token = Column(String(64), nullable=False)
    expires_at = Column(DateTime, nullable=False)


class BriefEvent(Base):
    """Who did what to a brief, and when: claimed, status changed, note added, wrote to the visitor."""

    __tablename__ = "brief_events"
    id = Column(Integer, primary_key=True)
    brief_id = Column(Integer, ForeignKey("briefs.id"), nullable=False, index=True)
    at = Column(DateTime, nullable=False, default=utcnow)
    actor = Column(String(320), nullable=False)
    kind = Column(String(32), nullable=False)
    detail = Column(Text, nullable=False, default="")

    def to_json(self) -> dict:
        return {"at": iso(self.at), "actor": self.actor, "kind": self.kind, "detail": self.detail}


class Delivery(Base):
    """One notification of one brief on one channel: retried until delivered, never sent twice."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("brief_id", "channel"),)
    id = Column(Integer, primary_key=True)
    brief_id = Column(Integer, ForeignKey("briefs.id"), nullable=False)
    channel = Column(String(16), nullable=False)  # "slack" or "email"
    created_at = Column(DateTime, nullable=False, default=utcnow)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime, nullable=False, default=utcnow)
    delivered_at = Column(DateTime)
    last_error = Column(Text)


def engine(url: Optional[str] = None) -> Engine:
    """The app database's engine (DATABASE_URL by default), with its tables created."""
    return _engine(url or config.database_url())


@functools.lru_cache(maxsize=None)
def _engine(url: str) -> Engine:
    check_reachable(url, "app")
    created = create_engine(url, future=True, pool_pre_ping=True)
    Base.metadata.create_all(created)
    _add_missing_columns(created)
    return created


def _add_missing_columns(engine_: Engine) -> None:
    """Columns added to a model after its table was created (all nullable): added in place, so a
    database from an earlier version keeps its data."""
    existing = inspect(engine_)
    with engine_.begin() as connection:
        for table in Base.metadata.sorted_tables:
            present = {column["name"] for column in existing.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present:
                    kind = column.type.compile(dialect=engine_.dialect)
                    connection.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))


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
