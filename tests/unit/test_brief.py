import datetime as dt
import re

from bot.conversation import brief
from bot.conversation.qualify import assess

TODAY = dt.date(2026, 11, 26)
ANSWERS = {
    "struggle": "Our invoices go out late every month. Three people edit the same spreadsheet.",
    "situation": "last tuesday we sent a client the wrong amount and lost the account",
    "current_solution": "Excel and a shared inbox",
    "desired_progress": "close the month in 2 days instead of 8",
    "trigger": "our CFO quit two weeks ago",
    "timeline": "by end of January",
    "anxieties": "migrating ten years of data",
    "cost_of_inaction": None,
}
CONTACT = {"name": "Maria <b>Gonzalez</b>", "email": "maria@brightdental.com", "company": "Bright Dental"}


def test_the_summary_quotes_the_visitor_and_invents_nothing():
    summary = brief.summary(ANSWERS, assess(ANSWERS, TODAY), CONTACT)
    said = " ".join(value for value in ANSWERS.values() if value)
    for quote in re.findall(r"“(.*?)”", summary):
        assert quote in said
    assert summary.startswith("Maria <b>Gonzalez</b> (Bright Dental) is actively looking.")
    # A short answer is kept whole, not cut to its first sentence.
    assert "In their words: “Our invoices go out late every month. Three people edit the same spreadsheet.”" in summary
    assert "dates: last tuesday, in 2 days, two weeks ago, by end of January" in summary
    assert "Incumbent: Excel, shared inbox." in summary and "other tools: spreadsheet" in summary
    assert "team size: Three people" in summary


LONG_STRUGGLE = ("Hi there! Our dispatchers re-type every order from email into the planning tool, which takes the "
                 "whole morning. Last month we lost 3 drivers because routes were wrong twice a week. Also the "
                 "coffee machine is broken.")


def test_a_long_answer_is_quoted_by_its_strongest_sentences_without_the_greeting():
    answers = {**ANSWERS, "struggle": LONG_STRUGGLE}
    summary = brief.summary(answers, assess(answers, TODAY))
    assert "Hi there" not in summary and "coffee machine" not in summary
    assert "Last month we lost 3 drivers because routes were wrong twice a week." in summary


def test_tools_are_named_once_and_the_current_solution_is_the_incumbent():
    answers = {**ANSWERS, "current_solution": "Spreadsheets and Excel", "struggle": "the spreadsheet is a mess"}
    assert brief.tools(answers) == {"incumbent": ["Spreadsheets", "Excel"], "others": []}


def test_unknown_fields_say_so():
    answers = {**ANSWERS, "trigger": None, "timeline": None}
    summary = brief.summary(answers, assess(answers, TODAY))
    assert summary.startswith("The visitor is")
    assert "Why now: not stated." in summary and "Timeline: not stated." in summary


def test_one_sentence_that_answers_two_questions_is_quoted_once():
    answers = {**ANSWERS, "trigger": "We need it by friday because the auditor called.",
               "timeline": "We need it by friday because the auditor called."}
    summary = brief.summary(answers, assess(answers, TODAY))
    assert summary.count("the auditor called") == 1


def test_the_headline_names_who_what_stage_and_when_in_140_characters():
    line = brief.headline(ANSWERS, assess(ANSWERS, TODAY), CONTACT)
    assert line == ("Maria <b>Gonzalez</b>: “Our invoices go out late every month.” (active looking; "
                    "timeline: “by end of January”)")
    answers = {**ANSWERS, "struggle": LONG_STRUGGLE}
    line = brief.headline(answers, assess(answers, TODAY), CONTACT)
    assert len(line) <= 140 and "Last month we lost 3 drivers" in line


def test_suggested_questions_follow_what_was_said_then_what_the_bot_did_not_learn():
    answers = {**ANSWERS, "trigger": None}
    questions = brief.suggested_questions(answers, assess(answers, TODAY), TODAY)
    assert questions[0].startswith("You said “by end of January”")
    assert any(question.startswith("You mentioned “migrating ten years of data”") for question in questions)
    assert brief.QUESTIONS_FOR_UNKNOWN["trigger"] in questions and len(questions) <= brief.MAX_QUESTIONS


def test_a_renewal_brings_exit_terms_and_timing_and_no_question_pastes_a_whole_answer():
    answers = {**ANSWERS, "trigger": "Our contract with RoutePro renews on January 15 and we don't want another year",
               "anxieties": "Whether our drivers, who are mostly on old Android phones with little data, will "
                            "actually use another app when they already ignore the current one"}
    questions = brief.suggested_questions(answers, assess(answers, TODAY), TODAY)
    assert "exit terms" in questions[0] and "notice" in questions[0]
    assert not any(answers["anxieties"] in question or answers["trigger"] in question for question in questions)


def test_build_carries_every_field_the_api_promises():
    fields = brief.build("abc", ANSWERS, assess(ANSWERS, TODAY), "qualified", CONTACT, [])
    assert fields["handoff_reason"] == "qualified" and fields["qualified"] is True
    assert fields["buying_stage"] == "active_looking"
    assert {k: fields[k] for k in ANSWERS} == ANSWERS
    assert set(fields["forces"]) == {"push", "pull", "anxiety", "habit"}
    assert fields["contact"] == CONTACT and fields["reasons"] and fields["suggested_questions"]
    assert fields["page_url"] is None and fields["referrer"] is None


def test_a_brief_stays_bounded_whatever_reached_the_slots():
    answers = {"struggle": "our exports fail " * 500, "timeline": "by friday"}
    events = [{"event": "user", "text": f"message {n}", "timestamp": 1_700_000_000 + n} for n in range(1000)]
    fields = brief.build("long-winded", answers, assess(answers, dt.date(2026, 11, 26)), "qualified", None, events)
    assert len(fields["struggle"]) == 2001 and fields["struggle"].startswith("our exports fail our exports")
    assert len(fields["transcript"]) == 400 and fields["transcript"][-1]["text"] == "message 999"
