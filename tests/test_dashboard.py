import json

from sqlalchemy import create_engine, text

from bot import dashboard, storage
from tests.test_notify import handoff


def seed_tracker(url, events):
    engine = create_engine(url, future=True)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), "
                                "type_name VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), "
                                "action_name VARCHAR(255), data TEXT)"))
        for sender, kind, data in events:
            connection.execute(text("INSERT INTO events (sender_id, type_name, data) VALUES (:s, :k, :d)"),
                               {"s": sender, "k": kind, "d": json.dumps(data)})
    engine.dispose()


def slot(name, value):
    return {"event": "slot", "name": name, "value": value}


def test_the_dashboard_counts_conversations_and_where_interviews_stopped(app_database, tmp_path):
    tracker = f"sqlite:///{tmp_path / 'tracker.db'}"
    seed_tracker(tracker, [
        ("opened-only", "user", {"text": "/greet", "metadata": {"widget_opened": True}}),
        ("opened-only", "slot", slot("requested_slot", "struggle")),
        ("done", "user", {"text": "hi"}), ("done", "slot", slot("requested_slot", "cost_of_inaction")),
        ("done", "slot", slot("interview_done", True)),
        ("left", "user", {"text": "hi"}), ("left", "slot", slot("requested_slot", "struggle")),
        ("left", "slot", slot("requested_slot", "situation")),
        ("visitor-1", "user", {"text": "hi"}), ("visitor-1", "slot", slot("requested_slot", "trigger")),
    ])
    handoff("visitor-1")  # asked for a person at the trigger question: not a drop-off
    storage.save_lead("done", "nurture", "passive_looking", False)
    stats, stopped = dashboard.figures(tracker_url=tracker)
    assert stats == {"conversations started": 3, "interviews completed": 1, "qualified": 1, "handed off": 1,
                     "nurture": 1}
    assert stopped == {"struggle": 0, "situation": 1, "current_solution": 0, "desired_progress": 0, "trigger": 0,
                       "timeline": 0, "anxieties": 0, "cost_of_inaction": 0}


def test_a_fresh_install_without_conversations_shows_zeros(app_database, tmp_path):
    for tracker in (f"sqlite:///{tmp_path / 'missing' / 'tracker.db'}", app_database):  # no file; no table
        stats, stopped = dashboard.figures(tracker_url=tracker)
        assert stats["conversations started"] == 0 and set(stopped.values()) == {0}
