"""The handoff brief: everything a salesperson needs, quoted from the conversation, never invented."""
from __future__ import annotations

import datetime as dt
from typing import Dict, Iterable, List, Optional

from bot import nlp
from bot.interview import INTERVIEW_SLOTS
from bot.qualify import Assessment

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


def iso(moment: dt.datetime) -> str:
    """UTC timestamp as ISO 8601 with a Z, as the brief API returns it."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat() + "Z"


def transcript(events: Iterable[dict]) -> List[dict]:
    """Visitor and bot messages from a Rasa tracker's events, in order."""
    speakers = {"user": "visitor", "bot": "bot"}
    lines = []
    for event in events:
        speaker = speakers.get(event.get("event"))
        if speaker and event.get("text"):
            at = dt.datetime.fromtimestamp(event.get("timestamp") or 0, tz=dt.timezone.utc)
            lines.append({"speaker": speaker, "text": event["text"], "at": iso(at)})
    return lines


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
    if answers.get("struggle"):
        parts.append(f"In their words: “{_first_sentence(answers['struggle'])}”")
    for slot, label in (("trigger", "Why now"), ("timeline", "Timeline"),
                        ("current_solution", "Today they use"), ("desired_progress", "They want")):
        value = answers.get(slot)
        parts.append(f"{label}: “{_first_sentence(value)}”" if value else f"{label}: {UNKNOWN}.")
    found = nlp.entities_by_label(answers.get(slot) for slot in INTERVIEW_SLOTS)
    mentioned = [
        f"{label}: {', '.join(values)}"
        for label, values in (("dates", found["DATE"]), ("money", found["MONEY"]),
                              ("team size", found["TEAM_SIZE"]), ("tools", found["TOOL"]))
        if values
    ]
    if mentioned:
        parts.append("Mentioned — " + "; ".join(mentioned) + ".")
    return " ".join(parts)


def headline(answers: Dict[str, Optional[str]], assessment: Assessment,
             contact: Optional[Dict[str, str]] = None) -> str:
    who = (contact or {}).get("name") or "Anonymous visitor"
    struggle = _first_sentence(answers["struggle"]) if answers.get("struggle") else UNKNOWN
    return (f"{who} — “{struggle}” — {assessment.buying_stage.replace('_', ' ')}; "
            f"why now: {answers.get('trigger') or UNKNOWN}; timeline: {answers.get('timeline') or UNKNOWN}")


def suggested_questions(answers: Dict[str, Optional[str]], assessment: Assessment) -> List[str]:
    """Opening questions for the call, aimed first at what the bot did not learn."""
    questions = [QUESTIONS_FOR_UNKNOWN[slot] for slot in INTERVIEW_SLOTS if not answers.get(slot)]
    for quote in assessment.forces["anxiety"].evidence:
        if assessment.forces["anxiety"].rating:
            questions.append(f"You mentioned “{_first_sentence(quote)}” — what would you need to see "
                             "to feel safe about that?")
    if assessment.forces["habit"].rating:
        questions.append("What would you miss about the way you do it today?")
    questions.append("Who else is involved in the decision, and how will you decide?")
    return questions[:MAX_QUESTIONS]


def build(sender_id: str, answers: Dict[str, Optional[str]], assessment: Assessment,
          handoff_reason: str, contact: Optional[Dict[str, str]], events: Iterable[dict]) -> dict:
    """The brief's fields, ready for storage."""
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
    }
