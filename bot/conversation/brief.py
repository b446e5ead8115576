"""The handoff brief: everything a salesperson needs, quoted from the conversation, never invented."""
from __future__ import annotations

from typing import Dict, Iterable, List, Optional

from bot.conversation import nlp
from bot.conversation.qualify import Assessment
from bot.conversation.slots import INTERVIEW_SLOTS
from bot.conversation.transcript import transcript, visit

UNKNOWN = "not stated"

QUESTIONS_FOR_UNKNOWN = {
    "struggle": "What's going on that made you look for something new?",
    "situation": "Can you walk me through the last time this happened?",
    "current_solution": "What are you doing about it today, and what have you tried so far?",
    "desired_progress": "If this were solved, what would be different for you?",
    "trigger": "What happened recently that made now the time to look?",
    "timeline": "When do you need this sorted by, and what happens on that date?",
    "anxieties": "What would worry you about switching?",
    "cost_of_inaction": "What happens if nothing changes in the next six months?",
}
MAX_QUESTIONS = 5

STAGE_PHRASES = {
    "first_thought": "at the first-thought stage",
    "passive_looking": "passively looking",
    "active_looking": "actively looking",
    "deciding": "deciding",
}


def _first_sentence(text: str) -> str:
    found = nlp.sentences(text)
    return found[0] if found else text


def summary(answers: Dict[str, Optional[str]], assessment: Assessment,
            contact: Optional[Dict[str, str]] = None) -> str:
    """A short paragraph built only from the visitor's words and what the pipeline finds in them."""
    who = (contact or {}).get("name") or "The visitor"
    if (contact or {}).get("company"):
        who += f" ({contact['company']})"
    parts = [f"{who} is {STAGE_PHRASES[assessment.buying_stage]}."]
    quoted = set()
    for slot, label in (("struggle", "In their words"), ("trigger", "Why now"), ("timeline", "Timeline"),
                        ("current_solution", "Today they use"), ("desired_progress", "They want")):
        value = answers.get(slot)
        if not value:
            parts.append(f"{label}: {UNKNOWN}.")
        elif _first_sentence(value) in quoted:
            continue  # an opening message can answer two questions with one sentence
        else:
            sentence = _first_sentence(value)
            quoted.add(sentence)
            parts.append(f"{label}: “{sentence}”" + ("" if sentence[-1] in ".!?" else "."))
    found = nlp.entities_by_label(answers.get(slot) for slot in INTERVIEW_SLOTS)
    mentioned = [
        f"{label}: {', '.join(values)}"
        for label, values in (("dates", found["DATE"]), ("money", found["MONEY"]),
                              ("team size", found["TEAM_SIZE"]), ("tools", found["TOOL"]))
        if values
    ]
    if mentioned:
        parts.append("Mentioned: " + "; ".join(mentioned) + ".")
    return " ".join(parts)


def headline(answers: Dict[str, Optional[str]], assessment: Assessment,
             contact: Optional[Dict[str, str]] = None) -> str:
    """One line: who, the struggle in their words, stage, why now, timeline."""
    who = (contact or {}).get("name") or "Anonymous visitor"

    def quote(slot: str) -> str:
        return f"“{answers[slot]}”" if answers.get(slot) else UNKNOWN

    return (f"{who}: {quote('struggle')} "
            f"({assessment.buying_stage.replace('_', ' ')}; why now: {quote('trigger')}; "
            f"timeline: {quote('timeline')})")


def suggested_questions(answers: Dict[str, Optional[str]], assessment: Assessment) -> List[str]:
    """Opening questions for the call, aimed first at what the bot did not learn."""
    questions = [QUESTIONS_FOR_UNKNOWN[slot] for slot in INTERVIEW_SLOTS if not answers.get(slot)]
    if assessment.forces["anxiety"].rating:
        questions += [f"You mentioned “{_first_sentence(quote)}” — what would you need to see to feel safe "
                      "about that?" for quote in assessment.forces["anxiety"].evidence]
    if assessment.forces["habit"].rating:
        questions.append("What would you miss about the way you do it today?")
    questions.append("Who else is involved in the decision, and how will you decide?")
    return questions[:MAX_QUESTIONS]


def build(sender_id: str, answers: Dict[str, Optional[str]], assessment: Assessment,
          handoff_reason: str, contact: Optional[Dict[str, str]], events: Iterable[dict]) -> dict:
    """The brief's fields, ready for storage."""
    events = list(events)
    return {
        "sender_id": sender_id,
        "handoff_reason": handoff_reason,
        "qualified": assessment.qualified,
        "buying_stage": assessment.buying_stage,
        **{slot: answers.get(slot) for slot in INTERVIEW_SLOTS},
        "forces": assessment.forces_json(),
        "reasons": assessment.reasons,
        "contact": contact,
        "headline": headline(answers, assessment, contact),
        "summary": summary(answers, assessment, contact),
        "suggested_questions": suggested_questions(answers, assessment),
        "transcript": transcript(events),
        **visit(events),
    }
