"""Rasa custom actions: they only translate between Rasa's tracker and the `bot` package."""
from __future__ import annotations

import logging
import time
from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot import brief, contact, interview, product, qualify, storage
from bot.slots import INTERVIEW_SLOTS, SKIPPED_SLOT

logger = logging.getLogger(__name__)


def _intent(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


def _assessment(tracker: Tracker) -> qualify.Assessment:
    return qualify.assess(interview.answers(tracker.current_slot_values()))


class ActionReadOpening(Action):
    """A first message that already tells the struggle, why now or when fills those slots."""

    def name(self) -> Text:
        return "action_read_opening"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        filled = interview.read_opening(text)
        return [SlotSet(slot, value) for slot, value in filled.items() if tracker.get_slot(slot) is None]


class ValidateInterviewForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_interview_form"


class ValidateContactForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_contact_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        # People who decline are never asked for contact details.
        if tracker.get_slot("contact_consent") is False:
            return ["contact_consent"]
        return domain_slots

    def validate_contact_consent(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return {"contact_consent": value if isinstance(value, bool) else interview.consent_from(_intent(tracker))}

    def validate_email(self, value: Any, dispatcher: CollectingDispatcher,
                       tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if _intent(tracker) == "dont_know":
            return {**_record_answer("email", value, tracker), "email_rejected": False}
        address = contact.normalise_email(str(value))
        return {"email": address, "email_rejected": address is None}


def _record_answer(slot: str, value: Any, tracker: Tracker) -> Dict[Text, Any]:
    return interview.record_answer(slot, value, _intent(tracker), tracker.get_slot(SKIPPED_SLOT))


def _answer_extractor(slot: str):
    """Takes a message that NLU read as a question as the answer when it reads like one."""

    def extract(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != slot:
            return {}
        text = tracker.latest_message.get("text") or ""
        intent = tracker.latest_message.get("intent") or {}
        if interview.reads_as_answer(text, intent.get("name") or "", intent.get("confidence") or 0.0):
            return {slot: text}
        return {}

    extract.__name__ = f"extract_{slot}"
    return extract


def _answer_validator(slot: str):
    def validate(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                 domain: DomainDict) -> Dict[Text, Any]:
        return _record_answer(slot, value, tracker)

    validate.__name__ = f"validate_{slot}"
    return validate


for _slot in INTERVIEW_SLOTS:
    setattr(ValidateInterviewForm, f"validate_{_slot}", _answer_validator(_slot))
    setattr(ValidateInterviewForm, f"extract_{_slot}", _answer_extractor(_slot))
for _slot in ("name", "email", "company"):
    setattr(ValidateContactForm, f"extract_{_slot}", _answer_extractor(_slot))
for _slot in ("name", "company"):
    setattr(ValidateContactForm, f"validate_{_slot}", _answer_validator(_slot))


class ActionAssess(Action):
    """Buying stage and qualification once the interview is complete."""

    def name(self) -> Text:
        return "action_assess"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        result = _assessment(tracker)
        return [SlotSet("buying_stage", result.buying_stage), SlotSet("qualified", result.qualified),
                SlotSet("interview_done", True)]


class ActionStoreLead(Action):
    """Leads that are not handed off: nurture, or qualified visitors who declined contact."""

    def name(self) -> Text:
        return "action_store_lead"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        result = _assessment(tracker)
        status = "no_contact" if result.qualified else "nurture"
        storage.save_lead(tracker.sender_id, status, result.buying_stage, result.qualified,
                          contact=interview.contact(tracker.current_slot_values()))
        return []


class ActionHandoff(Action):
    """Store the brief with what is known, tell the visitor what happens next, pause the bot."""

    SAVE_ATTEMPTS = 3

    def name(self) -> Text:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        slots = tracker.current_slot_values()
        reason = "visitor_requested_human" if _intent(tracker) == "request_human" else "qualified"
        fields = brief.build(tracker.sender_id, interview.answers(slots), _assessment(tracker), reason,
                             interview.contact(slots), tracker.events)
        # Closing any form (even when none is open) keeps the rules' view of a handoff the same everywhere.
        closed = [SlotSet("requested_slot", None), ActiveLoop(None)]
        for attempt in range(1, self.SAVE_ATTEMPTS + 1):
            try:
                brief_id = storage.save_handoff(fields)
                break
            except Exception:  # the database may be briefly unavailable: retry, then say so honestly
                logger.exception("Storing the brief for %r failed (attempt %d)", tracker.sender_id, attempt)
                time.sleep(0.5 * attempt)
        else:
            dispatcher.utter_message(text=product.message("handoff_failed"))
            return closed
        logger.info("Stored brief %s for %r (%s)", brief_id, tracker.sender_id, reason)
        dispatcher.utter_message(text=product.message("handoff"))
        return closed + [ConversationPaused()]


class ActionAnswerProductQuestion(Action):
    """Answers product questions from product.yml, the one file a company edits."""

    def name(self) -> Text:
        return "action_answer_product_question"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        text = product.answer(_intent(tracker))
        if text is None:
            dispatcher.utter_message(response="utter_out_of_scope")
        else:
            dispatcher.utter_message(text=text)
        return []
