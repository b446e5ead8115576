"""The interview's slots and how visitor answers map onto them (see shared/design/conversation.md)."""
from __future__ import annotations

from typing import Dict, Optional

from bot.conversation import nlp
from bot.conversation.slots import CONTACT_SLOTS, INTERVIEW_SLOTS, SKIPPED_SLOT

# Intents that a short answer is sometimes mistaken for ("a bit more clarity" -> ask_pricing,
# "we are evaluating a couple of vendors" -> stop). Asking for a person and support problems are
# always honoured, never reread as answers.
REREADABLE_INTENTS = frozenset({
    "ask_pricing", "ask_free_trial", "ask_integrations", "ask_security", "ask_onboarding",
    "ask_support", "ask_demo", "ask_why", "ask_is_bot", "out_of_scope", "stop",
})
QUESTION_OPENERS = frozenset({
    "how", "what", "what's", "whats", "which", "when", "where", "why", "who", "do", "does", "did",
    "is", "are", "can", "could", "would", "will", "should", "may", "any", "tell", "show", "explain",
    "pricing", "price", "cost", "demo", "trial",
})
SURE_CONFIDENCE = 0.8


def answers(slots: Dict[str, object]) -> Dict[str, Optional[str]]:
    """Interview answers as typed, with skipped or unanswered questions as None."""
    skipped = set(slots.get(SKIPPED_SLOT) or [])
    result: Dict[str, Optional[str]] = {}
    for name in INTERVIEW_SLOTS:
        value = slots.get(name)
        result[name] = None if name in skipped or not isinstance(value, str) or not value.strip() else value
    return result


def reads_as_answer(text: str, intent: str, confidence: float) -> bool:
    """Whether a message NLU took for a question is more likely the answer to the open question:
    no question mark, no question opening, and a classifier that was not sure."""
    words = text.strip().lower().split()
    return (
        intent in REREADABLE_INTENTS
        and bool(words)
        and "?" not in text
        and words[0].strip(",.!") not in QUESTION_OPENERS
        and confidence < SURE_CONFIDENCE
    )


def _sentences_with(text: str, keep) -> Optional[str]:
    chosen = [sentence for sentence in nlp.sentences(text) if keep(sentence)]
    return " ".join(chosen) or None


def _states_deadline(sentence: str) -> bool:
    return any(
        ent.label == "DATE" and ent.kind != "past" for ent in nlp.entities(sentence)
    ) or "PASSIVE" in nlp.cues(sentence)


def read_opening(text: str) -> Dict[str, str]:
    """Slots an opening message already answers, quoted from it, so they are not asked again.

    The whole message is the struggle; sentences that name a why-now event or a deadline also
    answer the trigger and the timeline.
    """
    filled = {"struggle": text}
    trigger = _sentences_with(text, lambda sentence: "TRIGGER" in nlp.cues(sentence))
    timeline = _sentences_with(text, _states_deadline)
    if trigger:
        filled["trigger"] = trigger
    if timeline:
        filled["timeline"] = timeline
    return filled


def record_answer(slot: str, value: object, intent: Optional[str], skipped: Optional[list]) -> Dict[str, object]:
    """Slot events for an answer: kept verbatim; "I don't know"/"skip" marks the question skipped."""
    skipped = list(skipped or [])
    if intent == "dont_know" and slot not in skipped:
        skipped.append(slot)
    elif intent != "dont_know" and slot in skipped:
        skipped.remove(slot)
    return {slot: value, SKIPPED_SLOT: skipped}


def consent_from(intent: Optional[str]) -> Optional[bool]:
    """Yes/no to being contacted; anything else means the question is asked again."""
    return {"affirm": True, "deny": False}.get(intent or "")


def contact(slots: Dict[str, object]) -> Optional[Dict[str, Optional[str]]]:
    """Name, email and company, only when the visitor agreed to be contacted."""
    if slots.get("contact_consent") is not True:
        return None
    skipped = set(slots.get(SKIPPED_SLOT) or [])
    return {name: (None if name in skipped else slots.get(name)) for name in CONTACT_SLOTS}
