"""The story played back before the contact question: what is quoted, and how the visitor's reply is read."""
import datetime as dt

import pytest

from bot.conversation import playback

TODAY = dt.date(2026, 11, 29)


def test_the_story_is_played_back_in_the_visitors_words_struggle_why_now_and_when():
    told = playback.summary({"struggle": "Our  rota lives\nin three spreadsheets", "situation": "last week…",
                             "trigger": "two nurses quit on Friday", "timeline": "before Christmas"})
    assert told.splitlines() == ["• What's going on: “Our rota lives in three spreadsheets”",
                                 "• Why now: “two nurses quit on Friday”", "• When: “before Christmas”"]


def test_an_answer_already_quoted_is_not_played_back_twice_and_unknowns_are_left_out():
    opening = "We lost our biggest client because deliveries were missed. We need a fix by next month."
    told = playback.summary({"struggle": opening, "trigger": "We lost our biggest client because deliveries were "
                             "missed.", "timeline": None})
    assert told.count("\n") == 0 and "What's going on" in told
    assert playback.summary({"struggle": None, "trigger": None, "timeline": None}) is None


def test_a_long_answer_is_played_back_by_its_strongest_sentences():
    struggle = "Well. " * 20 + "Last quarter we lost 40k because invoices went out late."
    line = playback.summary({"struggle": struggle})
    assert "lost 40k" in line and len(line) < 200


@pytest.mark.parametrize("reply, intent", [
    ("yes, that about covers it", "affirm"), ("Spot on.", "affirm"), ("correct", "inform"),
    ("you nailed it", "inform"), ("yeah pretty much", "affirm"), ("👍 yes", "affirm"),
])
def test_a_yes_confirms(reply, intent):
    assert playback.read(reply, intent, asked_what=False) == playback.CONFIRMED


@pytest.mark.parametrize("reply", ["no", "Nope", "not quite", "hmm, not really", "that's not right"])
def test_a_bare_no_asks_what_was_wrong_once_then_moves_on(reply):
    assert playback.read(reply, "deny", asked_what=False) == playback.ASK_WHAT
    assert playback.read(reply, "deny", asked_what=True) == playback.SKIPPED


@pytest.mark.parametrize("reply, intent", [
    ("skip", "inform"), ("can we move on", "inform"), ("never mind that", "inform"), ("no idea", "dont_know"),
    ("what do you mean?", "out_of_scope"), ("", "inform"),
])
def test_skipping_or_a_question_moves_on_and_changes_nothing(reply, intent):
    assert playback.read(reply, intent, asked_what=False) == playback.SKIPPED


@pytest.mark.parametrize("reply", [
    "no, the deadline is March", "yes but it's more about payroll than invoices",
    "Mostly right, except the auditors come in February", "the real issue is staff turnover",
])
def test_anything_with_content_that_is_not_a_plain_yes_is_a_correction(reply):
    assert playback.read(reply, "inform", asked_what=False) == playback.CORRECTED
    assert playback.read(reply, "inform", asked_what=True) == playback.CORRECTED


@pytest.mark.parametrize("reply, slot", [
    ("no, the deadline is March", "timeline"),
    ("we need it within four weeks actually", "timeline"),
    ("not quite, it started because our biggest client complained", "trigger"),
    ("the reason is the new regulation", "trigger"),
    ("it's more about payroll than invoices", "struggle"),
])
def test_a_correction_replaces_the_answer_it_is_about(reply, slot):
    assert playback.corrected_slot(reply, TODAY) == slot
