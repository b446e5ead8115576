"""Custom actions that store nothing: reading the opening, the forms' answers, assessing, product questions."""
import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import actions
from bot.conversation import product
from tests.actions_harness import DOMAIN, QUALIFIED, run, slot_events, tracker


def test_read_opening_fills_what_the_first_message_already_says():
    text = "We just lost our biggest client. We need something by next month."
    _, events = run(actions.ActionReadOpening(), tracker(text))
    assert slot_events(events) == {"struggle": text, "trigger": "We just lost our biggest client.",
                                   "timeline": "We need something by next month."}


def test_read_opening_never_overwrites_an_answer():
    said = "Invoices go out late every month and we need this fixed by friday"
    _, events = run(actions.ActionReadOpening(), tracker(said, slots={"struggle": "late invoices"}))
    assert slot_events(events) == {"timeline": "Invoices go out late every month and we need this fixed by friday"}


def test_interview_answers_are_kept_verbatim():
    said = 'our "ops" <b>lead</b> quit'
    state = tracker(said, slots={"requested_slot": "trigger", "trigger": said}, events=[], active_loop="interview_form")
    state.events.append({"event": "slot", "name": "trigger", "value": 'our "ops" <b>lead</b> quit'})
    _, events = run(actions.ValidateInterviewForm(), state)
    assert slot_events(events)["trigger"] == 'our "ops" <b>lead</b> quit'
    assert slot_events(events)["skipped_slots"] == []


def test_i_dont_know_moves_on_and_marks_the_question_skipped():
    state = tracker("no idea", intent="dont_know", slots={"requested_slot": "trigger", "trigger": "no idea"},
                    active_loop="interview_form")
    state.events.append({"event": "slot", "name": "trigger", "value": "no idea"})
    _, events = run(actions.ValidateInterviewForm(), state)
    assert slot_events(events) == {"trigger": "no idea", "skipped_slots": ["trigger"],
                                   "requested_slot": "struggle"}  # the form goes on with what is still open


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
    state = contact_state("Tom Becker", "inform", "contact_consent", "Tom Becker")
    _, events = run(actions.ValidateContactForm(), state)
    assert slot_events(events)["contact_consent"] is None


def test_two_answers_in_one_turn_are_both_kept_and_both_skips_remembered():
    state = tracker("no idea", intent="dont_know", slots={"requested_slot": "trigger"},
                    active_loop="interview_form")
    state.events += [{"event": "slot", "name": "trigger", "value": "no idea"},
                     {"event": "slot", "name": "timeline", "value": "no idea"}]
    state.slots.update(trigger="no idea", timeline="no idea")
    _, events = run(actions.ValidateInterviewForm(), state)
    assert slot_events(events)["skipped_slots"] == ["trigger", "timeline"]
    assert slot_events(events)["trigger"] == slot_events(events)["timeline"] == "no idea"


def test_answering_a_skipped_question_later_unskips_it():
    state = tracker("by March", slots={"requested_slot": "timeline", "timeline": "by March",
                                       "skipped_slots": ["trigger", "timeline"]}, active_loop="interview_form")
    state.events.append({"event": "slot", "name": "timeline", "value": "by March"})
    _, events = run(actions.ValidateInterviewForm(), state)
    assert slot_events(events) == {"timeline": "by March", "skipped_slots": ["trigger"], "requested_slot": "struggle"}


def test_a_name_misread_as_a_question_is_taken_as_the_name():
    state = tracker("Dr. Anke Weiss", intent="ask_demo", confidence=0.5,
                    slots={"requested_slot": "name", "contact_consent": True}, active_loop="contact_form")
    _, events = run(actions.ValidateContactForm(), state)
    assert slot_events(events)["name"] == "Dr. Anke Weiss"


def test_after_declining_nothing_else_said_that_turn_is_kept_as_contact_details():
    state = contact_state("no, I'm Tom from Northwind", "deny", "contact_consent", False, {"name": "Tom"})
    state.events.append({"event": "slot", "name": "name", "value": "Tom"})
    _, events = run(actions.ValidateContactForm(), state)
    assert slot_events(events) == {"contact_consent": False, "requested_slot": None}


def test_an_email_the_visitor_does_not_know_moves_on_without_a_complaint():
    _, events = run(actions.ValidateContactForm(),
                    contact_state("not sure, skip it", "dont_know", "email", "not sure, skip it",
                                  {"contact_consent": True}))
    assert slot_events(events)["email_rejected"] is False
    assert "email" in slot_events(events)["skipped_slots"]


def test_assess_sets_stage_and_qualification_and_what_to_play_back():
    _, events = run(actions.ActionAssess(), tracker(slots=QUALIFIED))
    told = slot_events(events).pop("playback_summary")
    assert slot_events(events) | {"playback_summary": None} == {
        "buying_stage": "active_looking", "qualified": True, "nurture_reason": None, "interview_done": True,
        "playback_summary": None}
    assert f"“{QUALIFIED['struggle']}”" in told and f"“{QUALIFIED['timeline']}”" in told


def test_a_visitor_who_is_not_qualified_hears_nothing_played_back():
    _, events = run(actions.ActionAssess(), tracker(slots={**QUALIFIED, "timeline": "no rush, maybe next year"}))
    assert slot_events(events)["qualified"] is False and slot_events(events)["playback_summary"] is None


PLAYED_BACK = {**QUALIFIED, "qualified": True, "buying_stage": "active_looking", "playback_summary": "• …"}


def test_the_story_is_played_back_before_the_contact_question_only_to_qualified_visitors():
    form = actions.ValidateContactForm()

    def asked_first(slots):
        state = tracker("we'd lose another client", slots=slots, active_loop="contact_form")
        return asyncio.run(form.required_slots(form.domain_slots(DOMAIN), CollectingDispatcher(), state, DOMAIN))[0]

    assert asked_first(PLAYED_BACK) == "playback"
    assert asked_first({**PLAYED_BACK, "qualified": False, "playback_summary": None}) == "contact_consent"


def test_a_correction_replaces_the_answer_it_is_about_and_reassesses_the_visitor():
    said = "no, the deadline is gone, we will look at it again sometime next year"
    messages, events = run(actions.ValidateContactForm(),
                           contact_state(said, "deny", "playback", None, PLAYED_BACK))
    changed = slot_events(events)
    assert changed["playback"] == {"result": "corrected", "slot": "timeline", "before": QUALIFIED["timeline"],
                                   "said": said}
    assert changed["timeline"] == said and changed["qualified"] is False
    assert changed["buying_stage"] in ("first_thought", "passive_looking")
    assert [message["response"] for message in messages] == ["utter_playback_corrected"]


def test_a_bare_no_is_asked_once_what_was_wrong_then_the_form_moves_on():
    _, events = run(actions.ValidateContactForm(), contact_state("nope", "deny", "playback", None, PLAYED_BACK))
    assert slot_events(events) == {"playback": None, "playback_wrong": True}  # the form asks again: what was wrong
    _, events = run(actions.ValidateContactForm(),
                    contact_state("no", "deny", "playback", None, {**PLAYED_BACK, "playback_wrong": True}))
    assert slot_events(events) == {"playback": {"result": "skipped"}}


def test_a_question_the_company_did_not_answer_gets_the_fallback():
    messages, _ = run(actions.ActionAnswerProductQuestion(), tracker("?", intent="ask_unknown_thing"))
    assert [message["response"] for message in messages] == ["utter_out_of_scope"]


@pytest.mark.parametrize("intent", sorted(product.facts()["answers"]))
def test_product_questions_are_answered_from_the_product_file(intent):
    messages, events = run(actions.ActionAnswerProductQuestion(), tracker("?", intent=intent))
    assert [message["text"] for message in messages] == [product.answer(intent)]
    assert events == []


def test_the_action_server_registers_exactly_the_domains_custom_actions():
    from rasa_sdk.executor import ActionExecutor

    from tests.actions_harness import DOMAIN

    executor = ActionExecutor()
    executor.register_package("actions")  # what `bot run` makes rasa-sdk do at start-up
    custom = {name for name in DOMAIN["actions"] if name.startswith(("action_", "validate_"))}
    assert set(executor.actions) == custom


def test_a_strong_push_without_a_deadline_gets_one_question_about_a_date():
    form = actions.ValidateInterviewForm()

    def asks(slots):
        required = asyncio.run(form.required_slots(form.domain_slots(DOMAIN), CollectingDispatcher(),
                                                   tracker(slots=slots), DOMAIN))
        return "target_date" in required

    hurting = {**QUALIFIED, "trigger": "our CFO quit", "timeline": "hard to say"}
    assert asks(hurting)
    assert not asks({**hurting, "timeline": "no rush at all"})  # they said there is no rush
    assert not asks({**hurting, "cost_of_inaction": None})  # not every question answered yet
    assert asks({**hurting, "timeline": "no rush at all", "target_date": "March"})  # once answered, it stays


def test_the_email_before_a_requested_handoff_is_taken_or_skipped_never_asked_again():
    asked = {"requested_slot": "email", "person_requested": True}
    state = tracker("sure, it's ann@acme.io", slots=asked, active_loop="handoff_form")
    _, events = run(actions.ValidateHandoffForm(), state)
    assert slot_events(events)["email"] == "ann@acme.io" and slot_events(events)["contact_consent"] is True
    state = tracker("skip that", intent="dont_know", slots=asked, active_loop="handoff_form")
    _, events = run(actions.ValidateHandoffForm(), state)
    assert slot_events(events)["skipped_slots"] == ["email"] and "contact_consent" not in slot_events(events)
    opening = tracker("can I talk to a person", intent="request_human", slots={"person_requested": True},
                      active_loop="handoff_form")
    _, events = run(actions.ValidateHandoffForm(), opening)
    assert "email" not in slot_events(events)  # the request itself is not the answer


def followed_by(events):
    return next((event["name"] for event in events if event["event"] == "followup"), None)


def test_a_first_message_read_as_stop_without_saying_so_opens_the_interview():
    messages, events = run(actions.ActionGoodbye(), tracker("Evening, sorry for the late message", "stop",
                                                            slots={"interview_done": False}))
    assert messages[0]["response"] == "utter_greet"
    assert followed_by(events) == "interview_form"
    messages, events = run(actions.ActionGoodbye(), tracker("ok bye, not interested", "stop"))
    assert [m["response"] for m in messages] == ["utter_goodbye"] and events == []


def test_after_declining_contact_a_change_of_mind_read_as_a_question_reopens_contact():
    said = "Actually, on second thought, do send me the guides"
    messages, events = run(actions.ActionAnswerProductQuestion(),
                           tracker(said, "ask_onboarding", slots={"contact_consent": False, "interview_done": True}))
    assert messages == [] and slot_events(events)["contact_consent"] is True
    assert followed_by(events) == "contact_form"


def test_an_unsure_support_problem_is_kept_and_asked_about_once():
    said = "Our customers can't log in to the booking portal we built"
    state = tracker(said, "existing_customer", slots={"requested_slot": "struggle"}, active_loop="interview_form")
    _, events = run(actions.ValidateInterviewForm(), state)
    assert slot_events(events)["struggle"] == said and slot_events(events)["customer_unsure"] is True
    assert slot_events(events)["requested_slot"] == "is_customer"
    answered = tracker("Yes, we've had it since spring", "affirm", active_loop="interview_form",
                       slots={"requested_slot": "is_customer", "customer_unsure": True, "struggle": said})
    messages, events = run(actions.ValidateInterviewForm(), answered)
    assert messages[0]["text"] == product.answer("existing_customer")
    assert any(event["event"] == "active_loop" and event["name"] is None for event in events)
    assert followed_by(events) == "action_listen"  # the form ends here, no further question


OFFER = [{"label": "Tue 1 Dec, 10:00", "start": "2026-12-01T15:00:00+00:00"}]


def offer_state(text, intent, asked_before=1):
    asked = [{"event": "bot", "text": "Would you rather book…",
              "metadata": {"utter_action": "utter_ask_meeting_start"}}]
    return tracker(text, intent=intent, slots={"requested_slot": "meeting_start", "booking_offer": OFFER},
                   events=asked * asked_before, active_loop="booking_form")


def test_any_reply_to_the_offered_times_ends_the_booking_question():
    for said, intent in (("Tue 1 Dec, 10:00", "inform"), ("Another time", "inform"), ("no thanks", "deny"),
                         ("just get someone to email me", "request_human")):
        assert slot_events(run(actions.ValidateBookingForm(), offer_state(said, intent))[1]) == {"meeting_start": said}


def test_a_bare_yes_or_a_question_gets_the_times_once_more_then_counts_as_a_reply():
    assert slot_events(run(actions.ValidateBookingForm(), offer_state("yes", "affirm"))[1]) == {"meeting_start": None}
    messages, events = run(actions.ValidateBookingForm(), offer_state("is there a free trial?", "ask_free_trial"))
    assert slot_events(events) == {"meeting_start": None}
    assert [message["text"] for message in messages] == [product.answer("ask_free_trial")]
    again = offer_state("yes", "affirm", asked_before=2)
    assert slot_events(run(actions.ValidateBookingForm(), again)[1]) == {"meeting_start": "yes"}


def test_all_contact_details_in_one_message_fill_every_question_they_answer():
    said = "Priya Raman / priya@raman-labs.com / Raman Labs"
    state = contact_state(said, "inform", "name", said, {"contact_consent": True})
    _, events = run(actions.ValidateContactForm(), state)
    assert slot_events(events) | {"requested_slot": None} == {
        "name": "Priya Raman", "email": "priya@raman-labs.com", "company": "Raman Labs", "email_rejected": False,
        "requested_slot": None}


def test_an_email_spelled_out_against_robots_is_taken():
    said = "it's priya at raman-labs dot com"
    state = contact_state(said, "inform", "email", said, {"contact_consent": True})
    _, events = run(actions.ValidateContactForm(), state)
    assert slot_events(events)["email"] == "priya@raman-labs.com"


def test_a_question_where_the_email_was_asked_is_answered_not_called_an_invalid_address():
    said = "can I give you my phone number instead?"
    state = contact_state(said, "inform", "email", said, {"contact_consent": True, "name": "Lee"})
    state.events.insert(-2, {"event": "bot", "metadata": {"utter_action": "utter_ask_email"}})
    messages, events = run(actions.ValidateContactForm(), state)
    assert [message["response"] for message in messages] == ["utter_explain_why"]
    assert slot_events(events) == {"email": None, "email_rejected": False, "requested_slot": "email"}
    state.events.insert(-2, {"event": "bot", "metadata": {"utter_action": "utter_ask_email"}})  # asked again
    messages, events = run(actions.ValidateContactForm(), state)
    assert messages == [] and slot_events(events)["email_rejected"] is False  # no third time: skipped
    assert "email" in slot_events(events)["skipped_slots"]


def _handed_back(slots):
    messages, events = run(actions.ActionHandBack(), tracker("", slots=slots))
    said = [message.get("text") or message.get("response") for message in messages]
    return said, events, slot_events(events)


def test_handed_back_mid_interview_the_bot_asks_the_open_question_as_the_form_would():
    slots = {"struggle": QUALIFIED["struggle"], "interview_done": True, "interview_interrupted": True,
             "person_requested": True}
    said, events, changed = _handed_back(slots)
    assert said == [product.message("handed_back_resume"), "utter_ask_situation"]
    assert events[0] == {"event": "resume", "timestamp": None}
    assert {"event": "active_loop", "name": "interview_form", "timestamp": None} in events
    assert changed == {"person_requested": False, "interview_interrupted": False, "interview_done": False,
                       "requested_slot": "situation"}
    assert events[-1]["event"] == "action" and events[-1]["name"] == "action_listen"  # the bot listens next
    # Unsure whether they are a customer: that was the open question, and it is asked first again.
    said, _, changed = _handed_back({**slots, "customer_unsure": True})
    assert said[1:] == ["utter_ask_is_customer"] and changed["requested_slot"] == "is_customer"
    # Every question answered, the date question pending: the date is asked.
    answered = {**QUALIFIED, "trigger": "our CFO quit", "timeline": "no idea", "interview_done": True,
                "interview_interrupted": True}
    said, _, changed = _handed_back(answered)
    assert said[1:] == ["utter_ask_target_date"] and changed["requested_slot"] == "target_date"


def test_handed_back_after_the_interview_the_bot_says_it_is_back_and_opens_no_form():
    for slots in ({**QUALIFIED, "interview_done": True, "interview_interrupted": False},
                  {"struggle": QUALIFIED["struggle"], "interview_done": True}):  # a handoff from before this slot
        said, events, changed = _handed_back(slots)
        assert said == [product.message("handed_back")]
        assert not any(event["event"] == "active_loop" for event in events) and "requested_slot" not in changed
