

from bot.sales import dashboard
from bot.store import briefs as store
from tests.helpers import handoff, seed_tracker


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
    store.save_lead("done", "nurture", "passive_looking", False)
    stats, stopped = dashboard.figures(tracker_url=tracker)
    assert stats == {"conversations started": 3, "interviews completed": 1, "qualified": 1, "handed off": 1,
                     "nurture": 1}
    assert stopped == {"struggle": 0, "situation": 1, "current_solution": 0, "desired_progress": 0, "trigger": 0,
                       "timeline": 0, "anxieties": 0, "cost_of_inaction": 0}


def test_a_fresh_install_without_conversations_shows_zeros(app_database, tmp_path):
    for tracker in (f"sqlite:///{tmp_path / 'missing' / 'tracker.db'}", app_database):  # no file; no table
        stats, stopped = dashboard.figures(tracker_url=tracker)
        assert stats["conversations started"] == 0 and set(stopped.values()) == {0}
