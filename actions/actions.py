"""Rasa custom actions: they only translate between Rasa's tracker and the `bot` package."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from abc import abstractmethod
from typing import Any, Dict, List, Text, Tuple

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    ConversationResumed,
    EventType,
    FollowupAction,
    SlotSet,
)
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot import config, safety
from bot.conversation import brief, contact, interview, playback, product, qualify, troubles
from bot.conversation.slots import (
    BOOKING_BRIEF_SLOT,
    BOOKING_OFFER_SLOT,
    CONTACT_REOPENED_SLOT,
    CONTACT_SLOTS,
    CUSTOMER_UNSURE_SLOT,
    EMAIL_OFFERED_SLOT,
    INTERVIEW_INTERRUPTED_SLOT,
    INTERVIEW_SLOTS,
    INTRODUCTION_SLOT,
    IS_CUSTOMER_SLOT,
    MEETING_SLOT,
    NEEDS_EMAIL_SLOT,
    PERSON_REQUESTED_SLOT,
    PLAYBACK_SLOT,
    PLAYBACK_SUMMARY_SLOT,
    PLAYBACK_WRONG_SLOT,
    SKIPPED_SLOT,
    TARGET_DATE_SLOT,
)
from bot.sales import booking
from bot.store import briefs, pending

logger = logging.getLogger(__name__)


def _intent(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


def _assessment(tracker: Tracker) -> qualify.Assessment:
    return qualify.assess(interview.answers(tracker.current_slot_values()))


class ActionReadOpening(Action):
    """A first message that already tells the struggle, why now or when fills those slots."""

    def name(self) -> Text:
        return "action_read_opening"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        return _read_opening(dispatcher, tracker)


def _read_opening(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """The slots an opening message fills (never overwriting an answer). A message that is not the struggle (a
    greeting, an introduction, a question) is greeted first, with who we are, and its question answered."""
    text, intent = tracker.latest_message.get("text") or "", _intent(tracker)
    if tracker.get_slot(PERSON_REQUESTED_SLOT) is None and interview.opens_asking_for_a_person(text, intent):
        return [SlotSet(INTRODUCTION_SLOT, text), SlotSet(PERSON_REQUESTED_SLOT, True),
                FollowupAction("action_handoff")]
    filled = interview.read_opening(text)
    tells_struggle = "struggle" in filled
    if not tells_struggle:
        dispatcher.utter_message(response="utter_greet")  # says it is a bot: "are you a bot?" is answered
    asks = interview.asks_question(text)
    if intent in interview.QUESTION_INTENTS and asks and (tells_struggle or intent != "ask_is_bot"):
        _reply_to_question(dispatcher, intent)
    elif asks and interview.asked_about(text, intent):  # "…do you integrate with Outlook?" read as an answer
        _reply_to_question(dispatcher, interview.asked_about(text, intent))
    elif intent in ("out_of_scope", "nlu_fallback") and asks and not tells_struggle:
        dispatcher.utter_message(response="utter_out_of_scope")
    return [SlotSet(slot, value) for slot, value in filled.items() if tracker.get_slot(slot) is None]


def _opening(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """A message that only looked like something else (a person, stop, support) opens the interview."""
    events = _read_opening(dispatcher, tracker)
    return events if any(event["event"] == "followup" for event in events) else events + [
        FollowupAction("interview_form")]


def _times_asked(tracker: Tracker, slot: str) -> int:
    """How many times in a row the bot has asked for `slot` (answering an interruption in between does
    not break the row; asking another question does)."""
    count = 0
    for event in reversed(tracker.events):
        asked = (event.get("metadata") or {}).get("utter_action") if event.get("event") == "bot" else None
        if asked == f"utter_ask_{slot}":
            count += 1
        elif asked and asked.startswith("utter_ask_"):
            break
    return count


def _offered_a_person(tracker: Tracker) -> bool:
    """Whether the bot's last turn said "if you'd rather talk to a human now, just say so" (utter_is_bot)."""
    users = 0
    for event in reversed(tracker.events):
        users += event.get("event") == "user"
        if users == 2:
            return False
        if users == 1 and event.get("event") == "bot" and \
                (event.get("metadata") or {}).get("utter_action") == "utter_is_bot":
            return True
    return False


def _reading(tracker: Tracker, slot: str) -> str:
    """How the latest message reads while `slot`'s question is open (interview.read_reply)."""
    return interview.read_reply(slot, tracker.latest_message.get("text") or "", _intent(tracker),
                                _times_asked(tracker, slot), product.facts()["product"])


def _reply_to_question(dispatcher: CollectingDispatcher, intent: str) -> None:
    """Answers the question a message asked besides answering the bot's."""
    if intent in ("ask_is_bot", "ask_why"):
        dispatcher.utter_message(response={"ask_is_bot": "utter_is_bot", "ask_why": "utter_explain_why"}[intent])
    elif product.answer(intent) is not None:
        dispatcher.utter_message(text=product.answer(intent))


class FreeTextFormValidation(FormValidationAction):
    """A form of free-text answers, keyed on the question just asked (`requested_slot`).

    Extraction follows the robustness contract (interview.read_reply): the open question's answer wins
    unless the message is clearly something else, and after one re-ask the next message is the answer,
    so no question loops. Validation: every answer given this turn goes through `validate_answer`.
    These two overrides replace rasa-sdk's per-slot `extract_<slot>` and `validate_<slot>` methods: a
    form's special cases belong in its `validate_answer`.
    """

    answer_slots: Tuple[str, ...] = ()  # the questions this form asks
    answers_that_end_their_question: Tuple[str, ...] = ()  # no longer required once answered, validated anyway

    @abstractmethod
    def name(self) -> Text:  # abstract, so the action server does not register this base class
        ...

    def validate_answer(self, slot: str, value: Any, tracker: Tracker) -> Dict[Text, Any]:
        """The slots to set when the visitor answered `slot`'s question with `value`."""
        skipping = interview.says_dont_know(slot, str(value or ""), _intent(tracker)) or (
            slot == tracker.get_slot("requested_slot") and _reading(tracker, slot) == interview.SKIP_AND_REPLY)
        return interview.record_answer(slot, value, "dont_know" if skipping else None, tracker.get_slot(SKIPPED_SLOT))

    async def get_extraction_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        asked = tracker.get_slot("requested_slot")
        if asked not in self.answer_slots or asked not in await self._required(dispatcher, tracker, domain):
            return []
        text = tracker.latest_message.get("text") or ""
        intent = _intent(tracker)
        reading = _reading(tracker, asked)
        if reading == interview.NOT_AN_ANSWER:
            return []
        # "Yes that's what I said" after "if you'd rather talk to a human now, just say so", where a yes answers
        # nothing else (an open question; not "is there a date…?" or "are you a customer?").
        said_yes_to_a_person = asked in INTERVIEW_SLOTS and _offered_a_person(tracker) and len(text.split()) <= 6 \
            and interview.consent_from(text, intent) is True
        if asked != "contact_consent" and (interview.asks_to_be_contacted(text) or said_yes_to_a_person) \
                and not (asked in interview.NAME_SLOTS and interview.looks_like_a_name(text)):
            # "Just have someone call me" read as an answer: a request for a person, which no rule saw
            # (get_validation_events ends the form and hands over).
            return [SlotSet(asked, None), SlotSet(PERSON_REQUESTED_SLOT, True)]
        if reading == interview.NOTED:  # kept for the salesperson; the form asks its question again
            if intent in interview.QUESTION_INTENTS and interview.asks_question(text):
                _reply_to_question(dispatcher, intent)
            elif intent == "out_of_scope":
                dispatcher.utter_message(response="utter_out_of_scope")
            else:
                dispatcher.utter_message(response="utter_introduction_noted")
            # Rasa's own from_text mapping may have taken it as the answer: undo that.
            return [SlotSet(INTRODUCTION_SLOT, text), SlotSet(asked, None)]
        if reading in (interview.ANSWER_AND_REPLY, interview.SKIP_AND_REPLY):
            _reply_to_question(dispatcher, interview.asked_about(text, intent) or intent)
        return [SlotSet(asked, self.answer_value(asked, text, tracker))]

    def answer_value(self, slot: str, text: str, tracker: Tracker) -> Any:
        """What a message that answers `slot`'s question fills it with: the text, as typed."""
        return text

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        if tracker.slots_to_validate().get(PERSON_REQUESTED_SLOT):  # heard by get_extraction_events
            return [SlotSet(tracker.get_slot("requested_slot"), None), SlotSet(PERSON_REQUESTED_SLOT, True),
                    SlotSet("requested_slot", None), ActiveLoop(None), FollowupAction("action_handoff")]
        required = await self._required(dispatcher, tracker, domain)
        validated: Dict[Text, Any] = {}
        for slot, value in tracker.slots_to_validate().items():
            if slot in required or slot in self.answers_that_end_their_question:
                changes = self.validate_answer(slot, value, tracker)
                validated.update(changes)
                tracker.slots.update(changes)  # the next answer sees this one (e.g. the skipped list)
            elif slot == INTRODUCTION_SLOT:
                validated[slot] = value
        return [SlotSet(slot, value) for slot, value in validated.items()]

    async def _required(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Text]:
        return await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)


class ValidateInterviewForm(FreeTextFormValidation):
    answer_slots = (*INTERVIEW_SLOTS, TARGET_DATE_SLOT, IS_CUSTOMER_SLOT)
    answers_that_end_their_question = (IS_CUSTOMER_SLOT,)

    def name(self) -> Text:
        return "validate_interview_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        slots = tracker.current_slot_values()
        questions = [slot for slot in domain_slots if slot not in (TARGET_DATE_SLOT, IS_CUSTOMER_SLOT)]
        # Unsure whether they are a customer: ask once, before anything else.
        if slots.get(CUSTOMER_UNSURE_SLOT) and slots.get(IS_CUSTOMER_SLOT) is None:
            return [IS_CUSTOMER_SLOT, *questions]
        # Unsure is not nurture: one more question when the push is strong but no deadline was read.
        answered = all(slots.get(slot) is not None for slot in INTERVIEW_SLOTS)
        if slots.get(TARGET_DATE_SLOT) is not None or (
                answered and qualify.worth_asking_for_a_date(interview.answers(slots))):
            return [*questions, TARGET_DATE_SLOT]
        return questions

    def answer_value(self, slot: str, text: str, tracker: Tracker) -> Any:
        if slot == IS_CUSTOMER_SLOT:  # asked once: unclear is read as a prospect, who loses nothing
            return bool(interview.says_existing_customer(text, product.facts()["product"])
                        or interview.consent_from(text, _intent(tracker)))
        return text

    def validate_answer(self, slot: str, value: Any, tracker: Tracker) -> Dict[Text, Any]:
        if slot == IS_CUSTOMER_SLOT:
            return {slot: bool(value)}
        return super().validate_answer(slot, value, tracker)

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        events = await super().get_validation_events(dispatcher, tracker, domain)
        if any(event["event"] == "followup" for event in events):  # handed over
            return events
        said, intent = tracker.latest_message.get("text") or "", _intent(tracker)
        if any(event["name"] in INTERVIEW_SLOTS for event in events) and tracker.get_slot(IS_CUSTOMER_SLOT) is None \
                and not tracker.get_slot(CUSTOMER_UNSURE_SLOT) \
                and interview.may_be_a_customer(said, intent, product.facts()["product"]):
            events.append(SlotSet(CUSTOMER_UNSURE_SLOT, True))  # kept as the answer; asked next whether a customer
        if SlotSet(IS_CUSTOMER_SLOT, True) in events:  # a customer after all: support, and the interview ends
            dispatcher.utter_message(text=product.answer("existing_customer"), **{troubles.SUPPORT_FLAG: True})
            events += [SlotSet("interview_done", True), SlotSet("requested_slot", None), ActiveLoop(None),
                       FollowupAction("action_listen")]
        return events


def _without_email(value: Any, tracker: Tracker) -> Dict[Text, Any]:
    """The email question skipped: what was said is kept, marked skipped, and not complained about."""
    return {**interview.record_answer("email", value, "dont_know", tracker.get_slot(SKIPPED_SLOT)),
            "email_rejected": False}


class ValidateHandoffForm(FreeTextFormValidation):
    """The one question before a handoff the visitor asked for: an email, or anything else to skip it."""

    answer_slots = ("email",)

    def name(self) -> Text:
        return "validate_handoff_form"

    async def get_extraction_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        if tracker.get_slot("requested_slot") != "email":  # the request for a person itself is no email
            return []
        return [SlotSet("email", tracker.latest_message.get("text") or "")]  # whatever it is, the form ends

    def validate_answer(self, slot: str, value: Any, tracker: Tracker) -> Dict[Text, Any]:
        address = contact.normalise_email(str(value))
        if address is None:
            return _without_email(value, tracker)
        # Giving an email to be reached by the person they asked for is agreeing to be contacted.
        return {"email": address, "email_rejected": False, "contact_consent": True}


class ValidateContactForm(FreeTextFormValidation):
    answer_slots = (PLAYBACK_SLOT, "contact_consent", *CONTACT_SLOTS)

    def name(self) -> Text:
        return "validate_contact_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        # People who decline are never asked for contact details.
        if tracker.get_slot("contact_consent") is False:
            return ["contact_consent"]
        # The story is played back to qualified visitors only (action_assess wrote it), before anything else.
        if not (tracker.get_slot("qualified") and tracker.get_slot(PLAYBACK_SUMMARY_SLOT)):
            return [slot for slot in domain_slots if slot != PLAYBACK_SLOT]
        return domain_slots

    async def get_extraction_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        text, intent = tracker.latest_message.get("text") or "", _intent(tracker)
        if tracker.get_slot("requested_slot") == "email" and _asks_instead_of_giving_an_email(tracker, text, intent):
            # "Can I give my phone number instead?": why we ask, and the question again (once), not "invalid".
            dispatcher.utter_message(response="utter_explain_why")
            return [SlotSet("email", None), SlotSet("email_rejected", False)]
        return await super().get_extraction_events(dispatcher, tracker, domain)

    def answer_value(self, slot: str, text: str, tracker: Tracker) -> Any:
        if slot == "contact_consent":  # yes, no, or None (unclear: asked again)
            return interview.consent_from(text, _intent(tracker))
        return text

    def validate_answer(self, slot: str, value: Any, tracker: Tracker) -> Dict[Text, Any]:
        if slot == PLAYBACK_SLOT:
            return _played_back(str(value or ""), tracker)
        together = interview.details_in_one_message(str(value or "")) if slot in CONTACT_SLOTS else {}
        if together:  # "Maria Gonzalez, maria@bright.com, Bright Dental": nothing asked twice
            return {**{name: detail for name, detail in together.items() if tracker.get_slot(name) is None
                       or name == slot}, "email_rejected": False}
        asked_twice = _times_asked(tracker, slot) >= 2
        if slot == "contact_consent":  # answer_value read the yes or no; a text is from Rasa's own mapping
            consent = value if isinstance(value, bool) else interview.consent_from(str(value or ""), _intent(tracker))
            details = interview.details_given(tracker.latest_message.get("text") or "", asked_twice)
            if consent is None and details:  # an email, or a name once asked again: a yes, and the first detail
                return {"contact_consent": True, **details, "email_rejected": False}
            if consent and "email" in details:  # "ok, my email is …": not asked for again
                return {"contact_consent": True, "email": details["email"], "email_rejected": False}
            # Unclear twice: no contact details without a yes, and no third time asking.
            return {"contact_consent": False if consent is None and asked_twice else consent}
        if slot == "email" and value is None:  # a question where the email was asked: asked again
            return {"email": None, "email_rejected": False}
        if slot == "email":
            address = contact.normalise_email(str(value))
            # "I don't know", or invalid twice: go on without it rather than ask a third time.
            if _intent(tracker) == "dont_know" or (address is None and asked_twice):
                return _without_email(value, tracker)
            return {"email": address, "email_rejected": address is None}
        return super().validate_answer(slot, value, tracker)

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        events = await super().get_validation_events(dispatcher, tracker, domain)
        if any(event["name"] == PLAYBACK_SLOT and (event["value"] or {}).get("result") == playback.CORRECTED
               for event in events if event["event"] == "slot"):
            dispatcher.utter_message(response="utter_playback_corrected")
        return events


def _played_back(said: str, tracker: Tracker) -> Dict[Text, Any]:
    """The reply to the play-back: confirmed, skipped, asked once what was wrong, or a correction that replaces the
    answer it is about (the visitor's words) and reassesses the visitor with it."""
    asked_what = bool(tracker.get_slot(PLAYBACK_WRONG_SLOT))
    reading = playback.read(said, _intent(tracker), asked_what)
    if _reading(tracker, PLAYBACK_SLOT) == interview.SKIP_AND_REPLY:  # a second question in a row: answered, moved on
        reading = playback.SKIPPED
    if reading == playback.ASK_WHAT:
        return {PLAYBACK_SLOT: None, PLAYBACK_WRONG_SLOT: True}
    if reading != playback.CORRECTED:
        return {PLAYBACK_SLOT: {"result": reading}}
    slots = tracker.current_slot_values()
    slot = playback.corrected_slot(said)
    changes = interview.record_answer(slot, said, None, slots.get(SKIPPED_SLOT))
    result = qualify.assess(interview.answers({**slots, **changes}))
    return {**changes, PLAYBACK_SLOT: {"result": reading, "slot": slot, "before": slots.get(slot), "said": said},
            "buying_stage": result.buying_stage, "qualified": result.qualified,
            "nurture_reason": result.nurture_reason}


def _asks_instead_of_giving_an_email(tracker: Tracker, text: str, intent: str) -> bool:
    """A question typed where the email was asked, the first time, that no rule answers (not a product question,
    not a request for a person)."""
    return "@" not in text and contact.spelled_out(text) is None and interview.asks_question(text) \
        and intent not in interview.QUESTION_INTENTS and not interview.asks_for_a_person(text, intent) \
        and not interview.asks_to_be_contacted(text) and _times_asked(tracker, "email") < 2


class ActionAssess(Action):
    """Buying stage and qualification once the interview is complete."""

    def name(self) -> Text:
        return "action_assess"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        result = _assessment(tracker)
        told = playback.summary(interview.answers(tracker.current_slot_values())) if result.qualified else None
        return [SlotSet("buying_stage", result.buying_stage), SlotSet("qualified", result.qualified),
                SlotSet("nurture_reason", result.nurture_reason), SlotSet("interview_done", True),
                SlotSet(PLAYBACK_SUMMARY_SLOT, told)]


class ActionStoreLead(Action):
    """Leads that are not handed off: nurture, or qualified visitors who declined contact."""

    def name(self) -> Text:
        return "action_store_lead"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        result = _assessment(tracker)
        status = "no_contact" if result.qualified else "nurture"
        await asyncio.to_thread(briefs.save_lead, tracker.sender_id, status, result.buying_stage, result.qualified,
                                contact=interview.contact(tracker.current_slot_values()), checks=result.checks)
        return []


def _latest_metadata(tracker: Tracker) -> Dict[Text, Any]:
    """What the channel recorded with the visitor's latest message (channels.visitors.visitor_metadata)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return event.get("metadata") or {}
    return {}


def _source(tracker: Tracker) -> str:
    """Where the latest message came from, as the channel recorded it (a pseudonym of the address)."""
    return _latest_metadata(tracker).get("source") or tracker.sender_id


class ActionHandoff(Action):
    """Store the brief with what is known, tell the visitor what happens next, pause the bot."""

    SAVE_ATTEMPTS = 3
    # Well inside Rasa's wait for this action (ACTION_TIMEOUT_SECONDS, 15 by default): past it the brief
    # goes to disk, so the visitor still hears that a person will reply.
    SAVE_SECONDS = 6
    # One brief per source a minute: a script asking for a person in a loop must not flood the inbox.
    LIMIT = safety.RateLimiter(config.limit("HANDOFFS_PER_MINUTE_PER_ADDRESS", 1), 60)

    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        slots = tracker.current_slot_values()
        if slots.get(BOOKING_BRIEF_SLOT):  # handed over already, and offered a call: no second brief
            dispatcher.utter_message(response="utter_booking_declined", handed_over=True)
            return [SlotSet("requested_slot", None), ActiveLoop(None), ConversationPaused()]
        said = tracker.latest_message.get("text") or ""
        asking_now = interview.asks_for_a_person(said, _intent(tracker)) and said not in slots.values()
        typed: List[EventType] = []
        address = interview.details_given(said, asked_again=False).get("email")
        if address and not interview.email(slots) and (asking_now or slots.get(PERSON_REQUESTED_SLOT)):
            # "Can someone just email me? jo@pixelpark.agency": reachable now, not asked for it again.
            slots = {**slots, "email": address, "contact_consent": True}
            typed = [SlotSet("email", address), SlotSet("contact_consent", True)]
        if not asking_now and _intent(tracker) == "request_human" and tracker.active_loop_name is None \
                and not slots.get("interview_done") and not slots.get(PERSON_REQUESTED_SLOT):
            return _opening(dispatcher, tracker)  # NLU read a person where the visitor told their story
        asked_for_a_person = asking_now or bool(slots.get(PERSON_REQUESTED_SLOT))
        reason = "visitor_requested_human" if asked_for_a_person else "qualified"
        reachable = interview.email(slots) is not None
        # Closing any form (even when none is open) keeps the rules' view of a handoff the same everywhere.
        closed = [SlotSet("requested_slot", None), ActiveLoop(None), *typed]
        if asked_for_a_person and not reachable and not slots.get(EMAIL_OFFERED_SLOT):
            # One skippable question first, so the person can reach them if they leave the page.
            # (The rules ask it too; the follow-up also covers a request read from a greeting, which no rule knows.)
            return closed + [SlotSet(PERSON_REQUESTED_SLOT, True), SlotSet(EMAIL_OFFERED_SLOT, True),
                             SlotSet(NEEDS_EMAIL_SLOT, True), FollowupAction("handoff_form")]
        if not self.LIMIT.allow(_source(tracker)):
            logger.warning("Handoff refused for %r: source %s already handed off within the minute (no brief)",
                           tracker.sender_id, _source(tracker))
            dispatcher.utter_message(text=product.message("handoff_failed"))
            return closed
        fields = brief.build(tracker.sender_id, interview.answers(slots), _assessment(tracker), reason,
                             interview.contact(slots), tracker.events, slots.get(PLAYBACK_SLOT))
        closed.append(SlotSet(NEEDS_EMAIL_SLOT, False))
        if "email" in (slots.get(SKIPPED_SLOT) or []):
            closed.append(SlotSet("email", None))  # "no email, just reply here" is no address (the transcript keeps it)
        give_up, stored, brief_id = time.monotonic() + self.SAVE_SECONDS, False, None
        for attempt in range(1, self.SAVE_ATTEMPTS + 1):
            try:
                brief_id = await asyncio.to_thread(briefs.save_handoff, fields)
                logger.info("Stored brief %s for %r (%s)", brief_id, tracker.sender_id, reason)
                stored = True
                break
            except Exception:  # the database may be briefly unavailable: retry, then keep it on disk
                logger.exception("Storing the brief for %r failed (attempt %d)", tracker.sender_id, attempt)
                if time.monotonic() + 0.5 * attempt > give_up:
                    break
                await asyncio.sleep(0.5 * attempt)
        if not stored:
            try:  # the web app's worker stores it once the database is back: the handoff still happens
                kept = await asyncio.to_thread(pending.keep, fields)
                logger.warning("Kept the brief for %r in %s until the database answers", tracker.sender_id, kept)
            except OSError:
                logger.exception("Could not keep the brief for %r on disk either", tracker.sender_id)
                dispatcher.utter_message(text=product.message("handoff_failed"))
                return closed
        # A person has the conversation now; handed back (action_hand_back), the bot asks the question that was open.
        closed += [SlotSet("interview_done", True),
                   SlotSet(INTERVIEW_INTERRUPTED_SLOT, not slots.get("interview_done"))]
        # A ready buyer may book a call at once (booking_form; action_book_call pauses the bot after it).
        booking_offered = brief_id is not None and reason == "qualified" and reachable \
            and await asyncio.to_thread(booking.bookable)
        # Promise a reply by email only to visitors who gave one; the widget stops showing the bot "typing…".
        dispatcher.utter_message(text=product.message("handoff" if reachable else "handoff_no_email"),
                                 **({} if booking_offered else {"handed_over": True}))
        if booking_offered:
            return closed + [SlotSet(BOOKING_BRIEF_SLOT, brief_id), FollowupAction("booking_form")]
        return closed + [ConversationPaused()]


def _contact_reopened(tracker: Tracker) -> List[EventType]:
    """After declining contact, "actually, do send me the guides" or an email address (whatever NLU read it
    as): consent, and the address given, so the reopened contact form asks only for the rest."""
    said = tracker.latest_message.get("text") or ""
    if tracker.get_slot("contact_consent") is not False or tracker.active_loop_name is not None \
            or not interview.changes_mind_about_contact(said, _intent(tracker)):
        return []
    given = [SlotSet(slot, value) for slot, value in interview.details_given(said, asked_again=False).items()]
    return [SlotSet("contact_consent", True), SlotSet(CONTACT_REOPENED_SLOT, True), *given]


class ActionHandBack(Action):
    """A salesperson handed the conversation back (the inbox runs this through Rasa's conversation API): the bot says
    it is back and, when the handoff interrupted the interview, asks the question that was open, as the form would."""

    def name(self) -> Text:
        return "action_hand_back"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        # The request for a person was met: a later handoff is for what the interview finds.
        events: List[EventType] = [ConversationResumed(), SlotSet(PERSON_REQUESTED_SLOT, False)]
        asked = None
        if tracker.get_slot(INTERVIEW_INTERRUPTED_SLOT):
            form = ValidateInterviewForm()
            required = await form.required_slots(form.domain_slots(domain), dispatcher, tracker, domain)
            asked = next((slot for slot in required if tracker.get_slot(slot) is None), None)
        if asked is None:
            dispatcher.utter_message(text=product.message("handed_back"), handed_back=True)
        else:
            dispatcher.utter_message(text=product.message("handed_back_resume"), handed_back=True)
            dispatcher.utter_message(response=f"utter_ask_{asked}")
            events += [SlotSet(INTERVIEW_INTERRUPTED_SLOT, False), SlotSet("interview_done", False),
                       ActiveLoop("interview_form"), SlotSet("requested_slot", asked)]
        # Run outside a turn, so the bot listens next, as after any turn (else the next message replays a handoff).
        return events + [ActionExecuted("action_listen")]


class ActionAfterInterview(Action):
    """Once the interview is over: a visitor who declined contact and now asks for it is asked for their
    details (the rules open contact_form); anything else is noted."""

    def name(self) -> Text:
        return "action_after_interview"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        reopened = _contact_reopened(tracker)
        if reopened:
            return reopened
        dispatcher.utter_message(response="utter_after_interview")
        return [SlotSet(CONTACT_REOPENED_SLOT, False)]


class ActionCustomerOrProspect(Action):
    """A message NLU read as a support problem: support for real customers (they say so, or talk about our
    product's account, login, billing or seats); anyone else is a prospect telling their struggle."""

    def name(self) -> Text:
        return "action_customer_or_prospect"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        if interview.says_existing_customer(text, product.facts()["product"]):
            if interview.customer_asks_for_a_person(text):
                return [SlotSet(PERSON_REQUESTED_SLOT, True), FollowupAction("action_handoff")]
            dispatcher.utter_message(text=product.answer("existing_customer"), **{troubles.SUPPORT_FLAG: True})
            return []
        if tracker.get_slot("interview_done"):
            dispatcher.utter_message(response="utter_after_interview")
            return []
        unsure = interview.may_be_a_customer(text, _intent(tracker), product.facts()["product"])
        return [SlotSet(CUSTOMER_UNSURE_SLOT, True)] * unsure + _opening(dispatcher, tracker)


class ActionGoodbye(Action):
    """A wish to stop outside the forms: goodbye when the visitor says so; a first message NLU read as one
    ("Evening, sorry for the late message") opens the interview instead."""

    def name(self) -> Text:
        return "action_goodbye"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        said = tracker.latest_message.get("text") or ""
        if interview.says_stop(said, _intent(tracker)) or tracker.get_slot("interview_done"):
            dispatcher.utter_message(response="utter_goodbye")
            return []
        return _opening(dispatcher, tracker)


class ActionAnswerProductQuestion(Action):
    """Answers product questions from product.yml, the one file a company edits."""

    def name(self) -> Text:
        return "action_answer_product_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        reopened = _contact_reopened(tracker)  # "on second thought, send me the guides" is no onboarding question
        if reopened:
            return reopened + [FollowupAction("contact_form")]
        text = product.answer(_intent(tracker))
        if text is None:
            dispatcher.utter_message(response="utter_out_of_scope")
        else:  # (existing_customer's answer sends the visitor to support: said so, for the trainers' outcomes)
            support = _intent(tracker) == "existing_customer"
            dispatcher.utter_message(text=text, **({troubles.SUPPORT_FLAG: True} if support else {}))
        return []


class ActionAskMeetingStart(Action):
    """Offers the next three free 30-minute times, in the visitor's time zone, as quick replies plus "another
    time" (booking_form's question)."""

    def name(self) -> Text:
        return "action_ask_meeting_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        where = _latest_metadata(tracker).get("time_zone")  # the visitor's browser's, sent by the widget
        starts = await asyncio.to_thread(booking.free_slots, 3, visitor_time_zone=where)
        offer = [{"label": booking.label(start, where), "start": start.isoformat()} for start in starts]
        buttons = [{"title": time["label"], "payload": time["label"]} for time in offer]
        dispatcher.utter_message(response="utter_ask_meeting_start", time_zone=booking.zone_name(where),
                                 buttons=buttons + [{"title": "Another time", "payload": "Another time"}])
        return [SlotSet(BOOKING_OFFER_SLOT, offer)]


class ValidateBookingForm(FormValidationAction):
    """The reply to the offer of times ends the form, whatever it is (action_book_call reads it), except a question
    or a bare yes, which are answered and the times offered once more."""

    def name(self) -> Text:
        return "validate_booking_form"

    async def get_extraction_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        if tracker.get_slot("requested_slot") != MEETING_SLOT:
            return []
        text, intent = tracker.latest_message.get("text") or "", _intent(tracker)
        labels = [time["label"] for time in tracker.get_slot(BOOKING_OFFER_SLOT) or []]
        asks = intent in interview.QUESTION_INTENTS and interview.asks_question(text)
        if asks:
            _reply_to_question(dispatcher, interview.asked_about(text, intent) or intent)
        undecided = asks or (interview.picked(text, labels) is None and interview.consent_from(text, intent) is True
                             and not interview.asks_for_a_person(text, intent))
        if undecided and _times_asked(tracker, MEETING_SLOT) < 2:
            return [SlotSet(MEETING_SLOT, None)]  # asked again, once: which time suits them
        return [SlotSet(MEETING_SLOT, text)]

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        extracted = tracker.slots_to_validate()  # kept as extracted: action_book_call reads it
        return [SlotSet(MEETING_SLOT, extracted[MEETING_SLOT])] if MEETING_SLOT in extracted else []


class ActionBookCall(Action):
    """Books the time the visitor picked (the brief goes to that salesperson, both get the invitation) and pauses
    the bot; a time someone took meanwhile is offered again with fresh times; anything else is "another time"."""

    def name(self) -> Text:
        return "action_book_call"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        offer = tracker.get_slot(BOOKING_OFFER_SLOT) or []
        chosen = interview.picked(tracker.get_slot(MEETING_SLOT) or "", [time["label"] for time in offer])
        if chosen is None:
            dispatcher.utter_message(response="utter_booking_declined", handed_over=True)
            return [ConversationPaused()]
        slots = tracker.current_slot_values()
        where = _latest_metadata(tracker).get("time_zone")
        booked = await asyncio.to_thread(
            booking.book, int(slots[BOOKING_BRIEF_SLOT]), dt.datetime.fromisoformat(offer[chosen]["start"]),
            interview.email(slots), slots.get("name"), where)
        if booked is None:
            dispatcher.utter_message(response="utter_booking_taken")
            return [SlotSet(MEETING_SLOT, None), FollowupAction("booking_form")]
        dispatcher.utter_message(response="utter_booked", when=offer[chosen]["label"], handed_over=True,
                                 time_zone=booking.zone_name(where), email=interview.email(slots))
        return [ConversationPaused()]
