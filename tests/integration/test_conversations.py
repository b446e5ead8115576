"""Trainer tools on a tracker store seeded the way Rasa writes it."""
import datetime as dt

import yaml

from bot.store import conversations
from bot.trainer import review
from tests.helpers import handoff, seed_tracker


def user(text, intent, confidence, ranking=None, **metadata):
    return {"event": "user", "text": text, "metadata": metadata,
            "parse_data": {"intent": {"name": intent, "confidence": confidence},
                           "intent_ranking": ranking or [{"name": intent, "confidence": confidence}]}}


def seed(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    seed_tracker(url, [
        ("early", "user", user("/greet", "greet", 1.0, widget_opened=True)),
        ("early", "user", user("we keep losing orders", "inform", 0.97)),
        ("early", "slot", {"event": "slot", "name": "requested_slot", "value": "situation"}),
        ("early", "user", user("bleep bloop", "nlu_fallback", 0.31,
                               [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "out_of_scope",
                                                                               "confidence": 0.31}])),
        ("early", "action", {"event": "action", "name": "utter_out_of_scope"}),
        ("handed", "user", user("get me a person", "request_human", 0.99)),
        ("handed", "user", user("pricing for 20 people", "ask_pricing", 0.45,
                                [{"name": "ask_pricing", "confidence": 0.45}, {"name": "inform", "confidence": 0.4}])),
    ])
    return url


def test_conversations_are_listed_with_their_outcome_and_filtered(app_database, tmp_path):
    url = seed(tmp_path)
    handoff("handed")
    found = {c.sender_id: c for c in conversations.conversations(tracker_url=url)}
    assert found["early"].outcome == "dropped_at:situation" and found["early"].fallbacks == 2
    assert found["early"].messages == 2  # the widget's greeting request is not the visitor's
    assert found["handed"].outcome == "handed_off"
    assert [c.sender_id for c in conversations.conversations(outcome="fallback", tracker_url=url)] == ["early"]
    assert [c.sender_id for c in conversations.conversations(outcome="dropped", tracker_url=url)] == ["early"]
    assert conversations.conversations(since=dt.date(2999, 1, 1), tracker_url=url) == []


def test_review_groups_the_worst_understood_messages_by_likely_intent(tmp_path):
    url = seed(tmp_path)
    groups = review.review(tracker_url=url)
    assert list(groups) == ["ask_pricing", "out_of_scope"]
    assert [m.text for m in groups["out_of_scope"]] == ["bleep bloop"]
    assert groups["ask_pricing"][0].confidence == 0.45


def test_misunderstood_messages_become_nlu_examples_rasa_can_read(tmp_path):
    url = seed(tmp_path)
    text = review.nlu_examples(review.misunderstood(tracker_url=url))
    data = yaml.safe_load(text)
    assert data["nlu"] == [{"intent": "ask_pricing", "examples": "- pricing for 20 people\n"},
                           {"intent": "out_of_scope", "examples": "- bleep bloop\n"}]


def test_the_readable_transcript_shows_intents_confidences_and_slots(tmp_path):
    url = seed(tmp_path)
    [early] = conversations.conversations(sender_id="early", tracker_url=url, url=f"sqlite:///{tmp_path / 'a.db'}")
    lines = review.readable(early)
    assert "visitor: we keep losing orders    [inform 0.97]" in lines
    assert "    action utter_out_of_scope" in lines and not any("/greet" in line for line in lines)
    assert '    slot requested_slot = "situation"' not in lines  # the form's bookkeeping is left out
