"""The handoff brief: everything a salesperson needs, quoted from the conversation, never invented.

It reads in 30 seconds: a headline of at most 140 characters, a summary of whole answers or their strongest
sentences, the tools they named (the current solution as the incumbent), and questions for the call that
follow what the visitor said.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Dict, Iterable, List, Optional

from bot.conversation import deadlines, nlp
from bot.conversation.interview import GREETING, SMALL_TALK
from bot.conversation.qualify import Assessment
from bot.conversation.slots import INTERVIEW_SLOTS
from bot.conversation.transcript import transcript, visit

UNKNOWN = "not stated"
HEADLINE_CHARS = 140
ANSWER_CHARS = 200  # a longer answer is quoted by its strongest sentences
PHRASE_CHARS = 60  # a quote inside a question: a phrase, never a whole answer

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
# The cues that make a sentence the one to quote: a consequence, an event, a decision, a worry.
STRONG_CUES = ("INTENSITY", "TRIGGER", "DECIDING", "STRONG_ANXIETY", "STRONG_HABIT")


def _said(text: Optional[str]) -> List[str]:
    """The sentences of an answer, without a greeting or small talk in front ("Hi! Our invoices…")."""
    sentences = nlp.sentences(text or "") or ([text] if text else [])
    kept = [s for s in sentences if SMALL_TALK.sub("", GREETING.sub("", s, count=1)).strip(" ,.!…-")]
    return kept or sentences


def _weight(sentence: str) -> int:
    cues = nlp.cues(sentence)
    return sum(len(cues.get(label, [])) for label in STRONG_CUES) + 2 * any(ch.isdigit() for ch in sentence)


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-") + "…"


def quotable(text: Optional[str], limit: int = ANSWER_CHARS) -> str:
    """The whole answer when it is short, else its strongest sentences in their order, within `limit`."""
    sentences = _said(text)
    whole = " ".join(sentences)
    if len(whole) <= limit:
        return whole
    ranked = sorted(range(len(sentences)), key=lambda i: (-_weight(sentences[i]), i))
    if len(sentences[ranked[0]]) > limit:  # the strongest sentence alone is too long: cut it at a word
        return _shorten(sentences[ranked[0]], limit)
    chosen = [ranked[0]]
    for index in ranked[1:]:
        if sum(len(sentences[i]) + 1 for i in chosen) + len(sentences[index]) <= limit:
            chosen.append(index)
    return " ".join(sentences[i] for i in sorted(chosen))


def _quote(text: str) -> str:
    return f"“{text}”" + ("" if text[-1:] in ".!?…" else ".")


def tools(answers: Dict[str, Optional[str]]) -> Dict[str, List[str]]:
    """Tools named, once each ("spreadsheet" and "Spreadsheets" are one): those of the current solution are the
    incumbent, the others were mentioned elsewhere."""
    seen = set()
    named: Dict[str, List[str]] = {"incumbent": [], "others": []}
    for slot in ("current_solution", *[s for s in INTERVIEW_SLOTS if s != "current_solution"]):
        for name in nlp.entities_by_label([answers.get(slot)])["TOOL"]:
            key = re.sub(r"s$", "", name.lower())
            if key not in seen:
                seen.add(key)
                named["incumbent" if slot == "current_solution" else "others"].append(name)
    return named


def summary(answers: Dict[str, Optional[str]], assessment: Assessment,
            contact: Optional[Dict[str, str]] = None) -> str:
    """A short paragraph built only from the visitor's words and what the pipeline finds in them."""
    who = (contact or {}).get("name") or "The visitor"
    if (contact or {}).get("company"):
        who += f" ({contact['company']})"
    parts = [f"{who} is {STAGE_PHRASES[assessment.buying_stage]}."]
    quoted: List[str] = []
    for slot, label in (("struggle", "In their words"), ("situation", "Last time"), ("trigger", "Why now"),
                        ("timeline", "Timeline"), ("current_solution", "Today they use"),
                        ("desired_progress", "They want")):
        value = answers.get(slot)
        if not value:
            if slot != "situation":
                parts.append(f"{label}: {UNKNOWN}.")
            continue
        quote = quotable(value)
        if any(quote in earlier or earlier in quote for earlier in quoted):
            continue  # an opening message can answer two questions with one sentence
        quoted.append(quote)
        parts.append(f"{label}: {_quote(quote)}")
    named = tools(answers)
    if named["incumbent"]:
        parts.append(f"Incumbent: {', '.join(named['incumbent'])}.")
    found = nlp.entities_by_label(answers.get(slot) for slot in INTERVIEW_SLOTS)
    mentioned = [
        f"{label}: {', '.join(values)}"
        for label, values in (("dates", found["DATE"]), ("money", found["MONEY"]),
                              ("team size", found["TEAM_SIZE"]), ("other tools", named["others"]))
        if values
    ]
    if mentioned:
        parts.append("Mentioned: " + "; ".join(mentioned) + ".")
    return " ".join(parts)


def headline(answers: Dict[str, Optional[str]], assessment: Assessment,
             contact: Optional[Dict[str, str]] = None) -> str:
    """One line of at most 140 characters: who, the struggle in their words, the stage, when."""
    who = _shorten((contact or {}).get("name") or "Anonymous visitor", 30)
    stage = assessment.buying_stage.replace("_", " ")
    when = _shorten(quotable(answers.get("timeline")), 40) if answers.get("timeline") else None
    tail = f" ({stage}" + (f"; timeline: “{when}”" if when else "") + ")"
    room = HEADLINE_CHARS - len(who) - len(tail) - 4  # ": " and the quote marks
    struggle = answers.get("struggle")
    said = f"“{quotable(struggle, room)}”" if struggle else UNKNOWN
    return f"{who}: {said}{tail}"


def suggested_questions(answers: Dict[str, Optional[str]], assessment: Assessment,
                        today: Optional[dt.date] = None) -> List[str]:
    """Questions for the call that follow what was said (a renewal: exit terms and timing), then aim at what the
    bot did not learn. A quote in a question is a phrase, never a whole answer."""
    reading = deadlines.read(" ".join(answers.get(s) or "" for s in ("trigger", "timeline")), today or dt.date.today())

    def phrase(slot: str) -> str:
        return _shorten(quotable(answers.get(slot)), PHRASE_CHARS)

    questions: List[str] = []
    if reading.renewal:
        questions.append("When does the current contract renew or end, what are its exit terms, and how much "
                         "notice do you have to give?")
    elif reading.months is not None and answers.get("timeline"):
        questions.append(f"You said “{phrase('timeline')}”: what happens then, and what has to be in place by "
                         "that date?")
    if answers.get("trigger") and not reading.renewal:
        questions.append(f"How did “{phrase('trigger')}” change what you need, and who else felt it?")
    incumbent = tools(answers)["incumbent"]
    if incumbent:
        questions.append(f"What would you miss about {' and '.join(incumbent[:2])} if you switched?")
    elif assessment.forces["habit"].rating:
        questions.append("What would you miss about the way you do it today?")
    if assessment.forces["anxiety"].rating:
        questions.append(f"You mentioned “{phrase('anxieties')}”: what would you need to see to feel safe "
                         "about that?")
    questions += [QUESTIONS_FOR_UNKNOWN[slot] for slot in INTERVIEW_SLOTS if not answers.get(slot)]
    questions.append("Who else is involved in the decision, and how will you decide?")
    return questions[:MAX_QUESTIONS]


# Visitors' messages are capped by the channel; a brief is capped again, whatever reached the slots.
MAX_ANSWER_CHARS, MAX_TRANSCRIPT_LINES = 2000, 400


def _capped(answer: Optional[str]) -> Optional[str]:
    return answer[:MAX_ANSWER_CHARS] + "…" if answer and len(answer) > MAX_ANSWER_CHARS else answer


def build(sender_id: str, answers: Dict[str, Optional[str]], assessment: Assessment,
          handoff_reason: str, contact: Optional[Dict[str, str]], events: Iterable[dict],
          playback: Optional[dict] = None) -> dict:
    """The brief's fields, ready for storage (`playback`: what the visitor said to their story played back)."""
    events = list(events)
    return {
        "sender_id": sender_id,
        "handoff_reason": handoff_reason,
        "qualified": assessment.qualified,
        "buying_stage": assessment.buying_stage,
        **{slot: _capped(answers.get(slot)) for slot in INTERVIEW_SLOTS},
        "forces": assessment.forces_json(),
        "reasons": assessment.reasons,
        "checks": assessment.checks,
        "contact": contact,
        "playback": playback,
        "headline": headline(answers, assessment, contact),
        "summary": summary(answers, assessment, contact),
        "suggested_questions": suggested_questions(answers, assessment),
        "transcript": transcript(events)[-MAX_TRANSCRIPT_LINES:],
        **visit(events),
    }
