"""Every custom action, run as the action server runs it: rasa-sdk's Tracker and CollectingDispatcher."""
import asyncio
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import actions
from bot import product, storage

DOMAIN = yaml.safe_load((Path(__file__).resolve().parent.parent / "domain.yml").read_text())
QUALIFIED = {
    "struggle": "Our invoices go out late every month because three people edit the same spreadsheet",
    "situation": "last tuesday we sent a client the wrong amount and lost the account",
    "current_solution": "Excel and a shared inbox",
    "desired_progress": "close the month in 2 days instead of 8",
    "trigger": "our CFO quit two weeks ago and the auditors arrive soon",
    "timeline": "within the next two months",
    "anxieties": "migrating ten years of data",
    "cost_of_inaction": "we'd lose another client",
}


def user(text, intent, confidence=0.99):
    return {"event": "user", "text": text, "timestamp": 1790000000.0,
            "parse_data": {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}}


def tracker(text="", intent="inform", confidence=0.99, slots=None, events=None, active_loop=None,
            sender_id="visitor-1"):
    message = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}
    # A form's validation action sees the form itself as the latest action, as Rasa sends it.
    return Tracker(sender_id, dict(slots or {}), message, list(events or []) + [user(text, intent, confidence)],
                   False, None, {"name": active_loop} if active_loop else {}, active_loop or "action_listen")


def run(action, state):
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, state, DOMAIN)
    events = asyncio.run(result) if asyncio.iscoroutine(result) else result
    return dispatcher.messages, events


def slot_events(events):
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


def test_read_opening_fills_what_the_first_message_already_says():
    text = "We just lost our biggest client. We need something by next month."
    _, events = run(actions.ActionReadOpening(), tracker(text))
    assert slot_events(events) == {"struggle": text, "trigger": "We just lost our biggest client.",
                                   "timeline": "We need something by next month."}


def test_read_opening_never_overwrites_an_answer():
    _, events = run(actions.ActionReadOpening(), tracker("by friday", slots={"struggle": "late invoices"}))
    assert slot_events(events) == {"timeline": "by friday"}


def test_interview_answers_are_kept_verbatim():
    state = tracker('our "ops" <b>lead</b> quit', slots={"requested_slot": "trigger", "trigger": 'our "ops" <b>lead</b> quit'},
                    events=[], active_loop="interview_form")
    state.events.append({"event": "slot", "name": "trigger", "value": 'our "ops" <b>lead</b> quit'})
    _, events = run(actions.ValidateInterviewForm(), state)
    assert slot_events(events)["trigger"] == 'our "ops" <b>lead</b> quit'
    assert slot_events(events)["skipped_slots"] == []


def test_i_dont_know_moves_on_and_marks_the_question_skipped():
    state = tracker("no idea", intent="dont_know", slots={"requested_slot": "trigger", "trigger": "no idea"},
                    active_loop="interview_form")
    state.events.append({"event": "slot", "name": "trigger", "value": "no idea"})
    _, events = run(actions.ValidateInterviewForm(), state)
    assert slot_events(events) == {"trigger": "no idea", "skipped_slots": ["trigger"]}


def test_an_answer_mistaken_for_a_question_is_taken_as_the_answer():
    state = tracker("a bit more clarity", intent="ask_pricing", confidence=0.55,
                    slots={"requested_slot": "desired_progress"}, active_loop="interview_form")
    _, events = run(actions.ValidateInterviewForm(), state)
    assert slot_events(events)["desired_progress"] == "a bit more clarity"


def test_a_real_question_is_not_taken_as_an_answer():
    state = tracker("how much does it cost?", intent="ask_pricing", confidence=0.97,
                    slots={"requested_slot": "desired_progress"}, active_loop="interview_form")
    _, events = run(actions.ValidateInterviewForm(), state)
    assert "desired_progress" not in slot_events(events)


def contact_state(text, intent, slot, value, slots=None):
    state = tracker(text, intent=intent, slots={"requested_slot": slot, slot: value, **(slots or {})},
                    active_loop="contact_form")
    state.events.append({"event": "slot", "name": slot, "value": value})
    return state


def test_an_invalid_email_is_rejected_so_the_form_asks_again():
    _, events = run(actions.ValidateContactForm(),
                    contact_state("maria@bright", "inform", "email", "maria@bright", {"contact_consent": True}))
    assert slot_events(events)["email"] is None and slot_events(events)["email_rejected"] is True


def test_a_valid_email_is_accepted():
    _, events = run(actions.ValidateContactForm(),
                    contact_state("it's Maria@BrightDental.com", "inform", "email", "it's Maria@BrightDental.com",
                                  {"contact_consent": True}))
    assert slot_events(events)["email"] == "Maria@brightdental.com"
    assert slot_events(events)["email_rejected"] is False


def test_declining_contact_ends_the_form_without_asking_for_details():
    _, events = run(actions.ValidateContactForm(), contact_state("no thanks", "deny", "contact_consent", False))
    assert slot_events(events) == {"contact_consent": False, "requested_slot": None}


def test_an_unclear_reply_to_the_consent_question_asks_it_again():
    _, events = run(actions.ValidateContactForm(), contact_state("Tom Becker", "inform", "contact_consent", "Tom Becker"))
    assert slot_events(events)["contact_consent"] is None


def test_assess_sets_stage_and_qualification():
    _, events = run(actions.ActionAssess(), tracker(slots=QUALIFIED))
    assert slot_events(events) == {"buying_stage": "active_looking", "qualified": True, "interview_done": True}


def test_store_lead_keeps_nurture_visitors(app_database):
    slots = {**QUALIFIED, "timeline": "no rush, maybe next year"}
    run(actions.ActionStoreLead(), tracker(slots=slots, sender_id="early-bird"))
    assert storage.get_lead("early-bird")["status"] == "nurture"
    assert storage.list_briefs() == []


def test_store_lead_keeps_qualified_visitors_who_declined_without_contact(app_database):
    slots = {**QUALIFIED, "contact_consent": False, "name": "never asked"}
    run(actions.ActionStoreLead(), tracker(slots=slots, sender_id="declined"))
    lead = storage.get_lead("declined")
    assert lead["status"] == "no_contact" and lead["qualified"] is True
    assert lead["contact"] == {"name": None, "email": None, "company": None}


def test_store_lead_keeps_contact_details_a_nurture_visitor_gave(app_database):
    slots = {**QUALIFIED, "timeline": "no rush", "contact_consent": True, "name": "Jo", "email": "jo@acme.io",
             "company": "Acme"}
    run(actions.ActionStoreLead(), tracker(slots=slots, sender_id="nurture-with-contact"))
    lead = storage.get_lead("nurture-with-contact")
    assert lead["status"] == "nurture"
    assert lead["contact"] == {"name": "Jo", "email": "jo@acme.io", "company": "Acme"}


def test_handoff_on_request_stores_what_is_known_and_pauses(app_database):
    history = [user("our clinic double books patients", "inform"),
               {"event": "bot", "text": "Tell me about the last time that happened.", "timestamp": 1790000001.0}]
    state = tracker("can I talk to a person", intent="request_human", active_loop="interview_form",
                    slots={"struggle": "our clinic double books patients", "requested_slot": "situation",
                           "name": "not asked"}, events=history, sender_id="clinic")
    messages, events = run(actions.ActionHandoff(), state)
    assert [event["event"] for event in events] == ["slot", "active_loop", "pause"]
    assert [message["text"] for message in messages] == [product.message("handoff")]
    [stored] = storage.list_briefs(sender_id="clinic")
    assert stored["handoff_reason"] == "visitor_requested_human"
    assert stored["struggle"] == "our clinic double books patients" and stored["situation"] is None
    assert stored["contact"] is None
    assert [line["speaker"] for line in stored["transcript"]] == ["visitor", "bot", "visitor"]


def test_handoff_after_the_contact_form_is_qualified_with_contact(app_database):
    slots = {**QUALIFIED, "contact_consent": True, "name": "Maria", "email": "maria@brightdental.com",
             "company": "Bright Dental"}
    _, events = run(actions.ActionHandoff(), tracker("Bright Dental", slots=slots, sender_id="maria"))
    assert [event["event"] for event in events] == ["slot", "active_loop", "pause"]
    [stored] = storage.list_briefs(sender_id="maria")
    assert stored["handoff_reason"] == "qualified" and stored["qualified"] is True
    assert stored["contact"] == {"name": "Maria", "email": "maria@brightdental.com", "company": "Bright Dental"}


def test_a_handoff_that_cannot_be_stored_is_retried_then_admitted_and_the_bot_stays(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nowhere")
    messages, events = run(actions.ActionHandoff(), tracker("get me a person", intent="request_human",
                                                            slots={"struggle": "x"}, sender_id="unlucky"))
    assert [message["text"] for message in messages] == [product.message("handoff_failed")]
    assert "pause" not in [event["event"] for event in events]


def test_a_question_the_company_did_not_answer_gets_the_fallback():
    messages, _ = run(actions.ActionAnswerProductQuestion(), tracker("?", intent="ask_unknown_thing"))
    assert [message["response"] for message in messages] == ["utter_out_of_scope"]


@pytest.mark.parametrize("intent", sorted(product.facts()["answers"]))
def test_product_questions_are_answered_from_the_product_file(intent):
    messages, events = run(actions.ActionAnswerProductQuestion(), tracker("?", intent=intent))
    assert [message["text"] for message in messages] == [product.answer(intent)]
    assert events == []
