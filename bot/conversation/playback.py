"""Playing the visitor's story back before the contact question: people convince themselves when they hear their
own story. Two or three short lines in their words (struggle, why now, timeline), then "Did I get that right?".

A yes confirms it; a correction ("no, the deadline is March") replaces the answer it is about, in the visitor's
words; a bare "no" is asked once what was wrong, and whatever comes next is the correction (there is never a
second round); "skip", a question or nothing to go on moves on and changes nothing.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Dict, Optional

LINES = (("struggle", "What's going on"), ("trigger", "Why now"), ("timeline", "When"))
QUOTE_CHARS = 160  # a long answer is played back by its strongest sentences

CONFIRMED, CORRECTED, SKIPPED = "confirmed", "corrected", "skipped"  # what the brief records
ASK_WHAT = "ask what"  # "no" alone: asked once what was wrong

YES = re.compile(r"\b(?:yes|yeah|yep|yup|ya|yea|sure|ok|okay|correct|exactly|spot on|right|accurate|precisely|"
                 r"absolutely|indeed|bang on|nailed it|that'?s it|sums it up|pretty much|perfect|good)\b",
                 re.IGNORECASE)
NO = re.compile(r"\b(?:no|nope|nah|not|wrong|incorrect|isn'?t|wasn'?t|aren'?t|don'?t)\b", re.IGNORECASE)
# Words that make a yes a partial one: "yes, but the deadline is March".
BUT = re.compile(r"\b(?:but|except|although|though|however|actually|mostly|partly|almost|nearly|also|plus|"
                 r"more like|rather|instead|correction|apart from)\b", re.IGNORECASE)
SKIP = re.compile(r"\b(?:skip|move on|next question|doesn'?t matter|never ?mind|whatever|carry on|let'?s continue|"
                  r"go on|keep going)\b", re.IGNORECASE)
# Words that say nothing about what was wrong: "no, not quite", "hmm, not really".
FILLER = frozenset("""no nope nah not quite exactly really entirely totally completely wrong incorrect right that
thats that's it its it's is isn't isnt was wasn't well hmm hm um uh erm so sort kind of a bit partly mostly almost
yes yeah yep ok okay sure but actually sorry you have got get did didn't""".split())
WORD = re.compile(r"[\w']+")
TRIGGER_WORDS = re.compile(r"\b(?:because|reason|why now|what changed|trigger\w*|happened|since|after|started "
                           r"when|start(?:ed)? (?:it|this|all)|prompted|made us)\b", re.IGNORECASE)
TIMELINE_WORDS = re.compile(r"\b(?:deadline|by when|due|timeline|date|asap|urgent\w*|no rush|until|before)\b",
                            re.IGNORECASE)


def summary(answers: Dict[str, Optional[str]]) -> Optional[str]:
    """The lines played back (each answer quoted once: an opening can answer two questions in one sentence), or
    None when there is nothing to play back."""
    from bot.conversation.brief import quotable  # spaCy: loaded by the bot's actions, not by the web app

    lines, quoted = [], []
    for slot, label in LINES:
        value = " ".join((answers.get(slot) or "").split())
        if not value:
            continue
        quote = quotable(value, QUOTE_CHARS)
        if any(quote in earlier or earlier in quote for earlier in quoted):
            continue
        quoted.append(quote)
        lines.append(f"• {label}: “{quote}”")
    return "\n".join(lines) or None


def _says_something(text: str) -> bool:
    return any(word.lower() not in FILLER for word in WORD.findall(text))


def read(text: str, intent: Optional[str], asked_what: bool) -> str:
    """CONFIRMED, CORRECTED, SKIPPED or ASK_WHAT for the reply to the play-back (`asked_what`: the visitor already
    said it was wrong and was asked what)."""
    said = " ".join((text or "").split())
    if not said or SKIP.search(said) or (intent == "dont_know" and len(WORD.findall(said)) <= 5):
        return SKIPPED
    yes, no, but = YES.search(said), NO.search(said), BUT.search(said)
    if (yes or intent == "affirm") and not no and not but:
        return CONFIRMED
    if said.rstrip().endswith("?") and not no and not but:  # "what do you mean?": moves on, changes nothing
        return SKIPPED
    if _says_something(said):
        return CORRECTED
    return SKIPPED if asked_what else ASK_WHAT


def corrected_slot(text: str, today: Optional[dt.date] = None) -> str:
    """Which played-back answer a correction is about: a date or deadline the timeline, a reason why now the
    trigger, anything else the struggle."""
    from bot.conversation import deadlines  # dateparser: loaded by the bot's actions, not by the web app

    if TIMELINE_WORDS.search(text) or deadlines.read(text, today or dt.date.today()).names_a_time:
        return "timeline"
    if TRIGGER_WORDS.search(text):
        return "trigger"
    return "struggle"


CORRECTED_ANSWERS = {"struggle": "the struggle", "trigger": "why now", "timeline": "the timeline"}


def played_back(record: Optional[dict]) -> str:
    """What the visitor did when their story was played back (a brief's `playback`), in words for the inbox."""
    result = (record or {}).get("result")
    if result == CORRECTED:
        answer = CORRECTED_ANSWERS.get(record.get("slot"), "an answer")
        return (f"corrected by the visitor ({answer}): “{record.get('said')}”, where the bot had "
                f"“{record.get('before') or 'not stated'}”.")
    if result in (CONFIRMED, SKIPPED):
        return f"{result} by the visitor."
    return "not played back."
