import datetime as dt
import json
import time

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, insert

from bot.sales import dashboard
from bot.store import briefs as store
from bot.store import progress
from tests.helpers import handoff

EVER = (dt.date(2000, 1, 1), dt.date(2100, 1, 1))  # a date range holding every conversation


def slot(name, value):
    return {"event": "slot", "name": name, "value": value}


def add(url, events):
    """More events, as Rasa appends them: (sender, kind, data, unix time)."""
    if not events:
        return
    engine = create_engine(url, future=True)
    table = Table("events", MetaData(), autoload_with=engine)
    with engine.begin() as connection:
        connection.execute(insert(table), [{"sender_id": sender, "type_name": kind, "data": json.dumps(data),
                                            "timestamp": when} for sender, kind, data, when in events])
    engine.dispose()


def seed(url, events):
    """Rasa's `events` table (as its SQLTrackerStore creates it) holding these (sender, kind, data)."""
    engine = create_engine(url, future=True)
    table = Table("events", MetaData(), Column("id", Integer, primary_key=True),
                  Column("sender_id", String(255), nullable=False, index=True),
                  Column("type_name", String(255), nullable=False), Column("timestamp", Float),
                  Column("intent_name", String(255)), Column("action_name", String(255)), Column("data", Text))
    table.create(engine)
    engine.dispose()
    add(url, [(sender, kind, data, time.time() - 60) for sender, kind, data in events])
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def tracker(request, tmp_path, make_postgres_database):
    """An empty tracker database: the dashboard's SQL must count the same on both."""
    return f"sqlite:///{tmp_path / 'tracker.db'}" if request.param == "sqlite" else make_postgres_database()


def test_the_dashboard_counts_conversations_and_where_interviews_stopped(app_database, tracker):
    seed(tracker, [
        ("opened-only", "user", {"text": "/greet", "metadata": {"widget_opened": True}}),
        ("opened-only", "slot", slot("requested_slot", "struggle")),
        ("done", "user", {"text": "hi"}), ("done", "slot", slot("requested_slot", "cost_of_inaction")),
        ("done", "slot", slot("interview_done", True)),
        ("left", "user", {"text": "hi"}), ("left", "slot", slot("requested_slot", "struggle")),
        ("left", "slot", slot("requested_slot", "situation")), ("left", "slot", slot("requested_slot", "email")),
        ("visitor-1", "user", {"text": "hi"}), ("visitor-1", "slot", slot("requested_slot", "trigger")),
        # Real words flagged as the widget's opening are still the visitor's (transcript.opened_widget).
        ("flagged", "user", {"text": "we lose orders", "metadata": {"widget_opened": True}}),
        ("flagged", "slot", slot("requested_slot", "timeline")),
        ("no-reply", "slot", slot("requested_slot", "timeline")), ("no-reply", "action", {"name": "utter_greet"}),
    ])
    handoff("visitor-1")  # asked for a person at the trigger question: not a drop-off
    store.save_lead("done", "nurture", "passive_looking", False)
    stats, stopped = dashboard.figures(*EVER, tracker_url=tracker)
    assert stats == {"conversations started": 4, "interviews completed": 1, "qualified": 1, "handed off": 1,
                     "nurture": 1}
    assert stopped == {"struggle": 0, "situation": 1, "current_solution": 0, "desired_progress": 0, "trigger": 0,
                       "timeline": 1, "anxieties": 0, "cost_of_inaction": 0}


def test_the_counts_follow_new_events_read_in_batches(app_database, tracker, monkeypatch):
    monkeypatch.setattr(progress, "BATCH", 3)  # several batches, each picking up where the last stopped
    visitors = [f"visitor-{n}" for n in range(5)]
    seed(tracker, [event for visitor in visitors + ["stays"] for event in (
        (visitor, "user", {"text": "hi"}), (visitor, "slot", slot("requested_slot", "trigger")))])
    for visitor in visitors:
        handoff(visitor)
    handoff("never-talked")  # a brief whose conversation is gone from the tracker
    stats, stopped = dashboard.figures(*EVER, tracker_url=tracker)
    assert (stats["conversations started"], stats["handed off"], stopped["trigger"]) == (6, 5, 1)
    now = time.time()
    add(tracker, [("stays", "slot", slot("requested_slot", "timeline"), now - 60),
                  ("newcomer", "user", {"text": "hello"}, now - 60),
                  ("typing-now", "user", {"text": "hello"}, now),  # not settled yet: counted on a later pass
                  ("committed-late", "user", {"text": "hello"}, now - 60)])  # behind it: waits with it
    stats, stopped = dashboard.figures(*EVER, tracker_url=tracker)
    assert (stats["conversations started"], stopped["trigger"], stopped["timeline"]) == (7, 0, 1)
    progress.refresh(tracker_url=tracker, settle=0)  # half a minute later
    assert dashboard.figures(*EVER, tracker_url=tracker)[0]["conversations started"] == 9


def test_the_counts_are_of_the_conversations_and_leads_that_began_in_the_date_range(app_database, tracker):
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from bot.store.engine import engine
    from bot.store.models import Lead

    seed(tracker, [])
    day = 24 * 3600
    november = dt.datetime(2026, 11, 10, 12, tzinfo=dt.timezone.utc).timestamp()
    add(tracker, [("october", "user", {"text": "hi"}, november - 30 * day),
                  ("october", "user", {"text": "back again"}, november),  # began in October all the same
                  ("november", "user", {"text": "hi"}, november),
                  ("november", "slot", slot("requested_slot", "situation"), november + 60)])
    progress.refresh(tracker_url=tracker, settle=0)
    for sender, stage, month in (("october", "passive_looking", 10), ("november", "first_thought", 11)):
        store.save_lead(sender, "nurture", stage, False)
        with Session(engine(), future=True) as session, session.begin():
            session.execute(update(Lead).where(Lead.sender_id == sender).values(
                created_at=dt.datetime(2026, month, 10, 12)))
    stats, stopped = dashboard.figures(dt.date(2026, 11, 1), dt.date(2026, 11, 30), tracker_url=tracker)
    assert (stats["conversations started"], stats["nurture"], stopped["situation"]) == (1, 1, 1)
    stats, stopped = dashboard.figures(dt.date(2026, 10, 1), dt.date(2026, 10, 31), tracker_url=tracker)
    assert (stats["conversations started"], stats["nurture"], stopped["situation"]) == (1, 1, 0)
    assert dashboard.figures(dt.date(2026, 11, 11), dt.date(2026, 11, 30), tracker_url=tracker)[0] == {
        "conversations started": 0, "interviews completed": 0, "qualified": 0, "handed off": 0, "nurture": 0}


def test_a_fresh_install_without_conversations_shows_zeros(app_database, tmp_path):
    for tracker in (f"sqlite:///{tmp_path / 'missing' / 'tracker.db'}", app_database):  # no file; no table
        stats, stopped = dashboard.figures(*EVER, tracker_url=tracker)
        assert stats["conversations started"] == 0 and set(stopped.values()) == {0}


def test_replies_to_the_handoffs_of_a_date_range(database_url, monkeypatch):
    import datetime as dt

    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from bot.store.engine import engine
    from bot.store.models import Brief, BriefEvent

    monkeypatch.setenv("DATABASE_URL", database_url)
    quick, slow, silent, earlier = (handoff(f"reply-{n}") for n in range(4))
    at = dt.datetime
    with Session(engine(), future=True) as session, session.begin():
        for brief_id, created in ((quick, at(2026, 12, 2, 9, 0)), (slow, at(2026, 12, 4, 16, 0)),
                                  (silent, at(2026, 12, 3, 10, 0)), (earlier, at(2026, 11, 1, 10, 0))):
            session.execute(update(Brief).where(Brief.id == brief_id).values(created_at=created))
        session.add_all([
            BriefEvent(brief_id=quick, actor="ann@acme.io", kind="message", detail="Hi!", at=at(2026, 12, 2, 9, 30)),
            BriefEvent(brief_id=quick, actor="ann@acme.io", kind="message", detail="Again", at=at(2026, 12, 2, 9, 50)),
            BriefEvent(brief_id=slow, actor="ann@acme.io", kind="note", detail="call", at=at(2026, 12, 4, 16, 5)),
            # Friday 17:00 in Berlin to Tuesday 11:00: 1 + 9 + 2 business hours, more than one business day
            BriefEvent(brief_id=slow, actor="ann@acme.io", kind="status", detail="contacted",
                       at=at(2026, 12, 8, 10, 0)),
            BriefEvent(brief_id=silent, actor="ann@acme.io", kind="claimed", detail="", at=at(2026, 12, 3, 10, 1)),
            BriefEvent(brief_id=earlier, actor="ann@acme.io", kind="message", detail="Hi", at=at(2026, 11, 1, 10, 5))])
    week = dashboard.replies(dt.date(2026, 12, 1), dt.date(2026, 12, 7))
    assert week == {"handoffs": 3, "answered": 2, "median_minutes": (30 + 5400) / 2, "in_time_share": 1 / 3}
    assert dashboard.replies(dt.date(2026, 11, 1), dt.date(2026, 11, 1)) == {  # a Sunday: no business hours yet
        "handoffs": 1, "answered": 1, "median_minutes": 5.0, "in_time_share": 1.0}
    assert dashboard.replies(dt.date(2026, 10, 1), dt.date(2026, 10, 2)) == {
        "handoffs": 0, "answered": 0, "median_minutes": None, "in_time_share": None}


def test_the_dashboard_page_takes_a_date_range(web_app):
    from bot.sales import accounts
    from tests.helpers import Client

    accounts.add_user("ann@acme.io", "correct horse battery")
    handoff("reply-web")
    client = Client(web_app)
    client.sign_in()
    page = client.request("GET", "/inbox/dashboard")[2]
    assert '<span class="number">1</span> handoffs' in page and '<span class="number">0</span> answered' in page
    assert "answered within one business day (mon-fri 09:00–18:00, Europe/Berlin)" in page
    older = client.request("GET", "/inbox/dashboard?from=2020-01-01&to=2020-01-31")[2]
    assert '<span class="number">0</span> handoffs' in older and 'value="2020-01-31"' in older
    assert client.request("GET", "/inbox/dashboard?from=yesterday")[0] == 400
    assert client.request("GET", "/inbox/dashboard?from=2026-12-02&to=2026-12-01")[0] == 400
