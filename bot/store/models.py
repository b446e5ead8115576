"""The app database's tables: leads, briefs and what salespeople did with them, accounts, notifications and
CRM webhook calls."""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import declarative_base, relationship

from bot.clock import iso, utcnow
from bot.conversation.slots import INTERVIEW_SLOTS

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
    checks = Column(JSON)  # qualify.CHECKS when the lead was assessed: a nurtured visitor who buys later weighs them
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    briefs = relationship("Brief", back_populates="lead")


class Brief(Base):
    __tablename__ = "briefs"
    # Pages of the inbox and the API (newest first, all, by status or by stage) read an index, not the table.
    __table_args__ = (
        Index("ix_briefs_newest", "created_at", "id"),
        Index("ix_briefs_status_newest", "status", "created_at", "id"),
        Index("ix_briefs_stage_newest", "buying_stage", "created_at", "id"),
    )
    id = Column(Integer, primary_key=True)
    lead_id = Column(Integer, ForeignKey("leads.id"), nullable=False)
    sender_id = Column(String(255), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    status = Column(String(32), nullable=False, default="new")
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
    checks = Column(JSON)  # qualify.CHECKS: met or not (briefs from before 2026-11-29 have none)
    contact = Column(JSON)
    # The story played back before the contact question: {result: confirmed | corrected | skipped} and, corrected,
    # the slot, its answer before and what the visitor said (None: not played back, e.g. a person was asked for).
    playback = Column(JSON)
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
            "checks": self.checks,
            "contact": self.contact,
            "playback": self.playback,
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
    # When visitors may book a call with this salesperson (bot/sales/booking.py): an IANA time zone and weekly
    # hours in it, {"mon": [["09:00", "12:00"], ["13:00", "17:00"]], ...}; none: not bookable.
    time_zone = Column(String(64))
    availability = Column(JSON)


class Meeting(Base):
    """A 30-minute call a visitor booked in the chat with one salesperson (bot/sales/booking.py). A booked slot of
    a salesperson is theirs alone: the partial unique index refuses a second booking at the same moment, whichever
    process tries it; a cancelled meeting frees its slot."""

    __tablename__ = "meetings"
    __table_args__ = (Index("one_booked_meeting_per_slot", "salesperson", "starts_at", unique=True,
                            sqlite_where=text("status = 'booked'"), postgresql_where=text("status = 'booked'")),)
    id = Column(Integer, primary_key=True)
    brief_id = Column(Integer, ForeignKey("briefs.id"), nullable=False, index=True)
    salesperson = Column(String(320), nullable=False)
    starts_at = Column(DateTime, nullable=False)  # UTC
    minutes = Column(Integer, nullable=False, default=30)
    visitor_email = Column(Text, nullable=False)
    visitor_name = Column(Text)
    visitor_time_zone = Column(String(64), nullable=False, default="UTC")  # as the widget reported it
    status = Column(String(16), nullable=False, default="booked")  # booked | cancelled
    sequence = Column(Integer, nullable=False, default=0)  # the invitation's revision (moved: +1)
    token_hash = Column(String(64), nullable=False, unique=True)  # of the secret in the visitor's cancel/move link
    created_at = Column(DateTime, nullable=False, default=utcnow)

    def to_json(self) -> dict:
        return {"id": self.id, "brief_id": self.brief_id, "salesperson": self.salesperson,
                "starts_at": iso(self.starts_at), "minutes": self.minutes, "visitor_time_zone": self.visitor_time_zone,
                "status": self.status, "created_at": iso(self.created_at),
                "past": self.starts_at <= utcnow()}  # begun or over: no longer cancelled or moved


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


class BriefRead(Base):
    """When a salesperson last opened a brief: the visitor's messages after that are unread for them."""

    __tablename__ = "brief_reads"
    __table_args__ = (UniqueConstraint("brief_id", "reader"),)
    id = Column(Integer, primary_key=True)
    brief_id = Column(Integer, ForeignKey("briefs.id"), nullable=False)
    reader = Column(String(320), nullable=False)
    read_at = Column(DateTime, nullable=False, default=utcnow)


class WidgetSocket(Base):
    """A visitor's widget connected to a Rasa server (channels/visitors.py, bot/store/presence.py): whether they are
    on the page now and when they were last there. The server holding the socket keeps `seen_at` fresh."""

    __tablename__ = "widget_sockets"
    id = Column(Integer, primary_key=True)
    socket = Column(String(64), nullable=False, index=True)  # python-socketio's id for it (random, per server)
    sender_id = Column(String(255), nullable=False, index=True)
    opened_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    seen_at = Column(DateTime, nullable=False, default=utcnow)
    closed_at = Column(DateTime, index=True)


class Outbox:
    """A message to send once the transaction that wrote it has committed (bot/sales/notify.py sends it):
    retried with growing waits until the other end accepts it, leased so that two workers never send it
    at once."""

    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime, nullable=False, default=utcnow)
    delivered_at = Column(DateTime)
    last_error = Column(Text)


class Delivery(Outbox, Base):
    """One notification of one brief on one channel."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("brief_id", "channel"),)
    brief_id = Column(Integer, ForeignKey("briefs.id"), nullable=False)
    channel = Column(String(16), nullable=False)  # "slack" or "email"


class MeetingEmail(Outbox, Base):
    """One email about a meeting to one person (the visitor or the salesperson): the invitation, its update when
    moved, its cancellation; written whole (with its ICS) in the transaction that changed the meeting."""

    __tablename__ = "meeting_emails"
    meeting_id = Column(Integer, ForeignKey("meetings.id"), nullable=False, index=True)
    recipient = Column(Text, nullable=False)
    subject = Column(Text, nullable=False)
    body = Column(Text, nullable=False)
    ics = Column(Text, nullable=False)
    method = Column(String(16), nullable=False)  # the iCalendar METHOD: REQUEST or CANCEL


class CrmEvent(Outbox, Base):
    """One call of the CRM webhook (CRM_WEBHOOK_URL): a new brief or a change of its status, with the brief as
    the brief API gave it at that moment (docs/crm.md)."""

    __tablename__ = "crm_events"
    brief_id = Column(Integer, ForeignKey("briefs.id"), nullable=False, index=True)
    kind = Column(String(32), nullable=False)  # "brief.created" or "brief.status_changed"
    payload = Column(JSON, nullable=False)  # {"brief": ..., "previous_status": ...}

    def message(self) -> dict:
        """The webhook's JSON body: the event, its id (the same on every retry) and what it is about."""
        return {"id": self.id, "event": self.kind, "created_at": iso(self.created_at), **self.payload}


class InterviewProgress(Base):
    """How far one conversation got, kept up to date from the tracker's new events (bot/store/progress.py):
    the dashboard counts these rows instead of reading every event."""

    __tablename__ = "interview_progress"
    sender_id = Column(String(255), primary_key=True)
    talked = Column(Boolean, nullable=False, default=False)  # said something besides opening the widget
    completed = Column(Boolean, nullable=False, default=False)
    last_question = Column(String(64))  # the last interview question asked
    first_seen = Column(Float)  # the first event's Unix time (the dashboard's date range)
    last_seen = Column(Float)  # the newest event's Unix time (retention)
    # What went wrong (bot/conversation/troubles.py): as read so far, and the dashboard's counts of it.
    troubles = Column(JSON)
    repeated_question = Column(Boolean)
    sent_to_support = Column(Boolean)
    gave_email = Column(Boolean)


class ProgressCursor(Base):
    """The last tracker event already counted into interview_progress, per tracker database."""

    __tablename__ = "progress_cursors"
    tracker = Column(String(255), primary_key=True)
    last_event_id = Column(Integer, nullable=False)
