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
    assert "In their words: “Our invoices go out late every month.” Why now:" in summary
    assert "dates: last tuesday, in 2 days, two weeks ago, by end of January" in summary
    assert "tools: spreadsheet, Excel, shared inbox" in summary and "team size: Three people" in summary


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


def test_the_headline_names_who_what_stage_why_now_and_when():
    line = brief.headline(ANSWERS, assess(ANSWERS, TODAY), CONTACT)
    assert line == ("Maria <b>Gonzalez</b>: “Our invoices go out late every month. Three people edit the same "
                    "spreadsheet.” (active looking; why now: “our CFO quit two weeks ago”; "
                    "timeline: “by end of January”)")


def test_suggested_questions_aim_first_at_what_the_bot_did_not_learn():
    answers = {**ANSWERS, "trigger": None}
    questions = brief.suggested_questions(answers, assess(answers, TODAY))
    assert questions[:2] == [brief.QUESTIONS_FOR_UNKNOWN["trigger"], brief.QUESTIONS_FOR_UNKNOWN["cost_of_inaction"]]
    assert "You mentioned “migrating ten years of data”" in questions[2]
    assert len(questions) <= brief.MAX_QUESTIONS


def test_build_carries_every_field_the_api_promises():
    fields = brief.build("abc", ANSWERS, assess(ANSWERS, TODAY), "qualified", CONTACT, [])
    assert fields["handoff_reason"] == "qualified" and fields["qualified"] is True
    assert fields["buying_stage"] == "active_looking"
    assert {k: fields[k] for k in ANSWERS} == ANSWERS
    assert set(fields["forces"]) == {"push", "pull", "anxiety", "habit"}
    assert fields["contact"] == CONTACT and fields["reasons"] and fields["suggested_questions"]
    assert fields["page_url"] is None and fields["referrer"] is None
