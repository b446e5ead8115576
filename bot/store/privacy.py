"""A visitor's personal data: everything held about them (export), erasing it at their request, and
deleting what is older than RETENTION_DAYS.

A visitor is known by their sender ids (one per conversation) and found by email through their leads,
briefs and the email they gave in a conversation. Their conversations are in Rasa's tracker database
(the `events` table, read and deleted here with SQLAlchemy, not Rasa); the rest is in the app database.
An erased brief stays as a tombstone, so the inbox's numbering and history still add up.
"""
from __future__ import annotations

import datetime as dt
import json
from contextlib import contextmanager
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

from sqlalchemy import MetaData, Table, delete, func, select, update
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session

from bot import config
from bot.clock import iso, unix, utcnow
from bot.conversation.slots import INTERVIEW_SLOTS
from bot.store import pending
from bot.store.briefs import crm_event
from bot.store.conversations import tracker_connection
from bot.store.engine import check_reachable, engine
from bot.store.models import (
    Brief,
    BriefEvent,
    BriefRead,
    CrmEvent,
    Delivery,
    InterviewProgress,
    Lead,
    Meeting,
    MeetingEmail,
    WidgetSocket,
)

# What salespeople wrote about or to the visitor; claims and status changes say nothing about them.
PERSONAL_EVENT_KINDS = ("note", "message", "contact")
ERASED = "erased"  # an erased brief's status: not work for anyone any more


@contextmanager
def _tracker(tracker_url: Optional[str]) -> Iterator[Tuple[Optional[Table], Optional[Connection]]]:
    """Rasa's `events` table and a connection in a transaction, or (None, None) while Rasa has not
    created the table (no conversation yet)."""
    url = make_url(tracker_url or config.tracker_db_url())
    if url.get_backend_name() != "sqlite":
        check_reachable(url, "tracker")  # a clear error naming the database, not a driver's traceback
    with tracker_connection(url) as connection:
        if connection is None:
            yield None, None
            return
        yield Table("events", MetaData(), autoload_with=connection), connection
        connection.commit()  # the connection began when it looked for the table; on an error it rolls back


def senders_with_email(email: str, url: Optional[str] = None, tracker_url: Optional[str] = None) -> List[str]:
    """Every sender id whose lead, brief contact or conversation holds this email (in any case)."""
    email = email.strip().lower()
    found = set()
    with Session(engine(url), future=True) as session:
        found.update(session.execute(select(Lead.sender_id).where(func.lower(Lead.email) == email)).scalars())
        for sender, contact in session.execute(select(Brief.sender_id, Brief.contact)):
            if str((contact or {}).get("email") or "").strip().lower() == email:
                found.add(sender)
    with _tracker(tracker_url) as (events, connection):
        if events is not None:
            # LIKE narrows the slot events down; their JSON decides.
            query = select(events.c.sender_id, events.c.data).where(
                events.c.type_name == "slot", func.lower(events.c.data).contains(email, autoescape=True))
            for sender, data in connection.execute(query):
                event = json.loads(data or "{}")
                if event.get("name") == "email" and str(event.get("value") or "").strip().lower() == email:
                    found.add(sender)
    return sorted(found)


def _delivery_json(delivery: Delivery) -> dict:
    return {"channel": delivery.channel, "created_at": iso(delivery.created_at), "attempts": delivery.attempts,
            "delivered_at": iso(delivery.delivered_at) if delivery.delivered_at else None,
            "last_error": delivery.last_error}


def export(sender_ids: Iterable[str], url: Optional[str] = None, tracker_url: Optional[str] = None) -> List[dict]:
    """Everything held about these senders: conversation events, lead, briefs with their history and
    notifications. A sender nothing is held about is left out."""
    senders = list(sender_ids)
    conversations: Dict[str, List[dict]] = {sender: [] for sender in senders}
    with _tracker(tracker_url) as (events, connection):
        if events is not None:
            query = select(events.c.sender_id, events.c.data).where(events.c.sender_id.in_(senders))
            for sender, data in connection.execute(query.order_by(events.c.id)):
                conversations[sender].append(json.loads(data or "{}"))
    visitors = []
    with Session(engine(url), future=True) as session:
        for sender in senders:
            lead = session.execute(select(Lead).where(Lead.sender_id == sender)).scalar_one_or_none()
            briefs = []
            for brief in session.execute(select(Brief).where(Brief.sender_id == sender).order_by(Brief.id)).scalars():
                history = session.execute(select(BriefEvent).where(BriefEvent.brief_id == brief.id)
                                          .order_by(BriefEvent.id)).scalars()
                deliveries = session.execute(select(Delivery).where(Delivery.brief_id == brief.id)
                                             .order_by(Delivery.id)).scalars()
                briefs.append({**brief.to_json(), "history": [event.to_json() for event in history],
                               "notifications": [_delivery_json(delivery) for delivery in deliveries]})
            if conversations[sender] or lead or briefs:
                visitors.append({"sender_id": sender, "conversation": conversations[sender],
                                 "lead": lead and _lead_json(lead), "briefs": briefs})
    return visitors


def _lead_json(lead: Lead) -> dict:
    return {"status": lead.status, "buying_stage": lead.buying_stage, "qualified": lead.qualified,
            "name": lead.name, "email": lead.email, "company": lead.company,
            "created_at": iso(lead.created_at), "updated_at": iso(lead.updated_at)}


def _tombstone(brief: Brief, today: dt.date) -> None:
    """Keeps the brief's row and what was computed without quoting anyone; empties the rest."""
    note = f"Erased on {today.isoformat()} at the visitor's request."
    for slot in INTERVIEW_SLOTS:
        setattr(brief, slot, None)
    brief.status = ERASED
    brief.forces = {name: {"rating": (force or {}).get("rating", 0), "evidence": []}
                    for name, force in (brief.forces or {}).items()}
    brief.reasons, brief.suggested_questions, brief.transcript = [], [], []  # reasons quote the visitor too
    brief.contact, brief.page_url, brief.referrer = None, None, None
    brief.headline, brief.summary = note, note


def _bulk(session: Session, statement) -> int:
    """A bulk UPDATE or DELETE; returns how many rows it touched."""
    return session.execute(statement, execution_options={"synchronize_session": False}).rowcount


def _delete_meetings(session: Session, brief_ids) -> None:
    """Calls booked from these briefs, with their emails (they name the visitor): the slots are free again."""
    meetings = select(Meeting.id).where(Meeting.brief_id.in_(brief_ids))
    _bulk(session, delete(MeetingEmail).where(MeetingEmail.meeting_id.in_(meetings)))
    _bulk(session, delete(Meeting).where(Meeting.brief_id.in_(brief_ids)))


def erase(sender_ids: Iterable[str], url: Optional[str] = None, tracker_url: Optional[str] = None,
          today: Optional[dt.date] = None) -> Dict[str, int]:
    """Deletes these senders' conversations and personal data, leaving a tombstone of each brief and
    cancelling its notifications not sent yet. Returns how much of each it erased."""
    senders = list(sender_ids)
    with Session(engine(url), future=True) as session, session.begin():
        briefs = list(session.execute(select(Brief).where(Brief.sender_id.in_(senders))).scalars())
        for brief in briefs:
            _tombstone(brief, today or utcnow().date())
        ids = [brief.id for brief in briefs]
        # Deleted, so the worker never sends them; a notification already sent holds nothing about them.
        cancelled = _bulk(session, delete(Delivery).where(Delivery.brief_id.in_(ids), Delivery.delivered_at.is_(None)))
        # CRM events hold copies of the brief: all go, and the CRM is told to erase its copy (docs/crm.md).
        _bulk(session, delete(CrmEvent).where(CrmEvent.brief_id.in_(ids)))
        _delete_meetings(session, ids)
        for brief in briefs:
            crm_event(session, brief, "brief.erased")
        notes = _bulk(session, delete(BriefEvent).where(BriefEvent.brief_id.in_(ids),
                                                        BriefEvent.kind.in_(PERSONAL_EVENT_KINDS)))
        # A lead with a brief stays, without contact details (the brief points to it); any other goes.
        leads = _bulk(session, update(Lead).where(Lead.sender_id.in_(senders)).values(name=None, email=None,
                                                                                      company=None))
        _bulk(session, delete(Lead).where(Lead.sender_id.in_(senders), ~Lead.briefs.any()))
        _bulk(session, delete(InterviewProgress).where(InterviewProgress.sender_id.in_(senders)))
        _bulk(session, delete(WidgetSocket).where(WidgetSocket.sender_id.in_(senders)))
    erased = {"conversation events": 0, "briefs": len(briefs), "leads": leads, "notes and messages": notes,
              "notifications cancelled": cancelled, "briefs waiting on disk": pending.forget(senders)}
    with _tracker(tracker_url) as (events, connection):
        if events is not None:
            erased["conversation events"] = connection.execute(
                delete(events).where(events.c.sender_id.in_(senders))).rowcount
    return erased


def delete_expired(days: int, now: Optional[dt.datetime] = None, url: Optional[str] = None,
                   tracker_url: Optional[str] = None) -> Dict[str, int]:
    """Deletes conversations whose last event is more than `days` old, briefs created more than `days`
    ago (with their notifications and history), and leads as old that no brief is left pointing to."""
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    with Session(engine(url), future=True) as session, session.begin():
        old = select(Brief.id).where(Brief.created_at < cutoff)
        _bulk(session, delete(Delivery).where(Delivery.brief_id.in_(old)))
        _bulk(session, delete(CrmEvent).where(CrmEvent.brief_id.in_(old)))
        _delete_meetings(session, old)
        _bulk(session, delete(BriefEvent).where(BriefEvent.brief_id.in_(old)))
        _bulk(session, delete(BriefRead).where(BriefRead.brief_id.in_(old)))
        briefs = _bulk(session, delete(Brief).where(Brief.created_at < cutoff))
        leads = _bulk(session, delete(Lead).where(Lead.updated_at < cutoff, ~Lead.briefs.any()))
    conversations = events_deleted = 0
    last = unix(cutoff)
    with _tracker(tracker_url) as (events, connection):
        if events is not None:
            stale = select(events.c.sender_id).group_by(events.c.sender_id).having(func.max(events.c.timestamp) < last)
            conversations = connection.execute(select(func.count()).select_from(stale.subquery())).scalar()
            events_deleted = connection.execute(delete(events).where(events.c.sender_id.in_(stale))).rowcount
    with Session(engine(url), future=True) as session, session.begin():  # their dashboard counts go too
        _bulk(session, delete(InterviewProgress).where(InterviewProgress.last_seen < last))
        _bulk(session, delete(WidgetSocket).where(WidgetSocket.seen_at < cutoff))
    return {"conversations": conversations, "conversation events": events_deleted, "briefs": briefs, "leads": leads}
