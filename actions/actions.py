"""Rasa custom actions: they only translate between Rasa's tracker and the `bot` package."""
from __future__ import annotations

import asyncio
import logging
from abc import abstractmethod
from typing import Any, Dict, List, Text, Tuple

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.conversation import brief, contact, interview, product, qualify
from bot.conversation.slots import CONTACT_SLOTS, INTERVIEW_SLOTS, SKIPPED_SLOT
from bot.store import briefs

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
        text = tracker.latest_message.get("text") or ""
        filled = interview.read_opening(text)
        return [SlotSet(slot, value) for slot, value in filled.items() if tracker.get_slot(slot) is None]


class FreeTextFormValidation(FormValidationAction):
    """A form of free-text answers, keyed on the question just asked (`requested_slot`).

    Extraction: a message NLU read as a question (say "a bit more clarity" as ask_pricing) is taken as
    the answer to the question asked when it reads like an answer; otherwise the interruption's rule
    answers it and the form asks again. Validation: every answer given this turn goes through
    `validate_answer`. These two overrides replace rasa-sdk's per-slot `extract_<slot>` and
    `validate_<slot>` methods: a form's special cases belong in its `validate_answer`.
    """

    answer_slots: Tuple[str, ...] = ()  # questions a misread message may answer

    @abstractmethod
    def name(self) -> Text:  # abstract, so the action server does not register this base class
        ...

    def validate_answer(self, slot: str, value: Any, tracker: Tracker) -> Dict[Text, Any]:
        """The slots to set when the visitor answered `slot`'s question with `value`."""
        return interview.record_answer(slot, value, _intent(tracker), tracker.get_slot(SKIPPED_SLOT))

    async def get_extraction_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        asked = tracker.get_slot("requested_slot")
        if asked not in self.answer_slots or asked not in await self._required(dispatcher, tracker, domain):
            return []
        text = tracker.latest_message.get("text") or ""
        intent = tracker.latest_message.get("intent") or {}
        if interview.reads_as_answer(text, intent.get("name") or "", intent.get("confidence") or 0.0):
            return [SlotSet(asked, text)]
        return []

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        required = await self._required(dispatcher, tracker, domain)
        validated: Dict[Text, Any] = {}
        for slot, value in tracker.slots_to_validate().items():
            if slot in required:
                changes = self.validate_answer(slot, value, tracker)
                validated.update(changes)
                tracker.slots.update(changes)  # the next answer sees this one (e.g. the skipped list)
        return [SlotSet(slot, value) for slot, value in validated.items()]

    async def _required(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Text]:
        return await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)


class ValidateInterviewForm(FreeTextFormValidation):
    answer_slots = INTERVIEW_SLOTS

    def name(self) -> Text:
        return "validate_interview_form"


class ValidateContactForm(FreeTextFormValidation):
    answer_slots = CONTACT_SLOTS

    def name(self) -> Text:
        return "validate_contact_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        # People who decline are never asked for contact details.
        if tracker.get_slot("contact_consent") is False:
            return ["contact_consent"]
        return domain_slots

    def validate_answer(self, slot: str, value: Any, tracker: Tracker) -> Dict[Text, Any]:
        if slot == "contact_consent":
            return {"contact_consent": value if isinstance(value, bool) else interview.consent_from(_intent(tracker))}
        if slot == "email" and _intent(tracker) == "dont_know":
            return {**super().validate_answer(slot, value, tracker), "email_rejected": False}
        if slot == "email":
            address = contact.normalise_email(str(value))
            return {"email": address, "email_rejected": address is None}
        return super().validate_answer(slot, value, tracker)


class ActionAssess(Action):
    """Buying stage and qualification once the interview is complete."""

    def name(self) -> Text:
        return "action_assess"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        result = _assessment(tracker)
        return [SlotSet("buying_stage", result.buying_stage), SlotSet("qualified", result.qualified),
                SlotSet("interview_done", True)]


class ActionStoreLead(Action):
    """Leads that are not handed off: nurture, or qualified visitors who declined contact."""

    def name(self) -> Text:
        return "action_store_lead"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        result = _assessment(tracker)
        status = "no_contact" if result.qualified else "nurture"
        await asyncio.to_thread(briefs.save_lead, tracker.sender_id, status, result.buying_stage, result.qualified,
                                contact=interview.contact(tracker.current_slot_values()))
        return []


class ActionHandoff(Action):
    """Store the brief with what is known, tell the visitor what happens next, pause the bot."""

    SAVE_ATTEMPTS = 3

    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        slots = tracker.current_slot_values()
        reason = "visitor_requested_human" if _intent(tracker) == "request_human" else "qualified"
        fields = brief.build(tracker.sender_id, interview.answers(slots), _assessment(tracker), reason,
                             interview.contact(slots), tracker.events)
        # Closing any form (even when none is open) keeps the rules' view of a handoff the same everywhere.
        closed = [SlotSet("requested_slot", None), ActiveLoop(None)]
        for attempt in range(1, self.SAVE_ATTEMPTS + 1):
            try:
                brief_id = await asyncio.to_thread(briefs.save_handoff, fields)
                break
            except Exception:  # the database may be briefly unavailable: retry, then say so honestly
                logger.exception("Storing the brief for %r failed (attempt %d)", tracker.sender_id, attempt)
                await asyncio.sleep(0.5 * attempt)
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

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        text = product.answer(_intent(tracker))
        if text is None:
            dispatcher.utter_message(response="utter_out_of_scope")
        else:
            dispatcher.utter_message(text=text)
        return []
