"""The interview's slots and how visitor answers map onto them (see shared/design/conversation.md)."""
from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Dict, Optional

from bot.conversation import deadlines, nlp
from bot.conversation.slots import CONTACT_SLOTS, INTERVIEW_SLOTS, SKIPPED_SLOT, TARGET_DATE_SLOT

# How a message is read while a question is open ("Robustness" in shared/design/conversation.md): the open
# question's answer wins unless the message is clearly something else.
ANSWER = "answer"  # store it as the answer
ANSWER_AND_REPLY = "answer and reply"  # store it, and answer the question it also asks
NOT_AN_ANSWER = "not an answer"  # a person, leaving, a support problem or a question: its own rule replies
NOTED = "noted"  # a greeting, an introduction or a question where the struggle was asked: kept, not the answer
SKIP_AND_REPLY = "skip and reply"  # a second question in a row: answer it, and skip the bot's question

QUESTION_INTENTS = frozenset({
    "ask_pricing", "ask_free_trial", "ask_integrations", "ask_security", "ask_onboarding",
    "ask_support", "ask_demo", "ask_why", "ask_is_bot",
})
QUESTION_OPENERS = frozenset({
    "how", "what", "what's", "whats", "which", "when", "where", "why", "who", "do", "does", "did",
    "is", "are", "can", "could", "would", "will", "should", "may", "any", "tell", "show", "explain",
    "pricing", "price", "cost", "demo", "trial",
})
NAME_SLOTS = ("name", "company")  # whatever the visitor typed: "Human Partners", "Stop & Shop Deli"
NAME_CONNECTORS = frozenset({"&", "and", "of", "the", "de", "da", "del", "van", "von", "der", "den", "la", "le", "-"})
LONE_WORD_REQUESTS = frozenset({"stop", "human", "person", "agent", "quit", "bye", "goodbye", "help"})
# Said by existing customers; {product} stands for the product's name (product.yml).
CUSTOMER_SIGNS = (
    r"\b(?:(?:already|existing|current|paying) (?:a |an )?(?:customer|client|user|subscriber)s?"
    r"|(?:we|i)(?:'re|'m| are| am) (?:a |an )?(?:{product} )?(?:customer|client|user|subscriber)s?"
    r"|(?:our|my) (?:{product} )?(?:account|login|log-in|password|subscription|seats?|licen[cs]es?|plan)"
    r"|(?:more|extra|additional|two|three|\d+) (?:more )?seats|(?:your|the {product}) invoice|charged us twice"
    r"|(?:log|sign) ?in|reset (?:my|our) password|(?:add|remove) (?:a )?seats?"
    r"|{product} (?:account|login|billing|invoice|subscription|seats?))\b")
# A wish to stop says so; "before Black Friday" read as `stop` is an answer.
STOP_WORDS = re.compile(r"\b(?:stop|quit|bye|goodbye|not interested|leave me|enough|cancel|that's all|no more|"
                        r"end (?:this|the chat)|unsubscribe|go away|forget it)\b", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
GREETING = re.compile(r"^(?:hi|hello|hey|hiya|howdy|greetings|good (?:morning|afternoon|evening|day))\b[^.!?…]*?"
                      r"(?:[.!?…,]+\s*|$)", re.IGNORECASE)
# "I'm the practice manager at…", "We're a 12-person studio", "This is Anna from…" (a name is capitalised).
INTRODUCTION = re.compile(r"^(?i:i'?m|i am|we'?re|we are|this is|my name is|here is|i work|i run|i lead|i manage)"
                          r"\s+(?:(?i:a|an|the|at|for|in) |[A-Z0-9])")
PROBLEM_WORDS = re.compile(
    r"\b(?:problem|issue|struggl|can'?t|cannot|hard|slow|late|manual|mess|keep|always|never|los[et]|losing|"
    r"broken|fail|pain|waste|stuck|too (?:much|many|long)|takes? (?:days|hours|forever)|drown|chaos|errors?|"
    r"mistakes?|behind|overwhelm|complain|need help|spreadsheet)", re.IGNORECASE)


def asks_question(text: str) -> bool:
    """A question mark, or a question's first word ("how much for 10 users")."""
    words = text.strip().lower().split()
    return "?" in text or (bool(words) and words[0].strip(",.!") in QUESTION_OPENERS)


def states_something(text: str) -> bool:
    """Whether a message that asks also says something: a sentence that is not a question."""
    return any(part.strip(" .!…") and not asks_question(part) for part in SENTENCE_END.split(text.strip()))


def describes_a_problem(text: str) -> bool:
    """Whether a message tells something beyond a greeting, an introduction ("I'm the practice manager at a
    law firm") or a question: only such a message is the visitor's struggle."""
    for sentence in SENTENCE_END.split(text.strip()):
        said = GREETING.sub("", sentence.strip(), count=1).strip()
        if len(said.split()) < 2 or (asks_question(said) and not PROBLEM_WORDS.search(said)):
            continue
        if INTRODUCTION.match(said) and not PROBLEM_WORDS.search(said):
            continue
        return True
    return False


def looks_like_a_name(text: str) -> bool:
    """A person's or a company's name as people type it: a few capitalised words, no question."""
    words = text.strip().split()
    if not 1 <= len(words) <= 6 or "?" in text:
        return False
    if len(words) == 1:
        return words[0][:1].isupper() and words[0].lower().strip(".!") not in LONE_WORD_REQUESTS
    return all(word[:1].isupper() or word.lower() in NAME_CONNECTORS for word in words)


def says_existing_customer(text: str, product_name: str) -> bool:
    """They say they are a customer, or talk about our product's account, login, billing or seats;
    someone unhappy with their current tool is a prospect."""
    return bool(_customer_signs(product_name).search(text))


@functools.lru_cache(maxsize=None)
def _customer_signs(product_name: str) -> re.Pattern:
    return re.compile(CUSTOMER_SIGNS.replace("{product}", re.escape(product_name.lower())), re.IGNORECASE)


def read_reply(slot: str, text: str, intent: str, times_asked: int, product_name: str) -> str:
    """ANSWER, ANSWER_AND_REPLY, SKIP_AND_REPLY, NOTED or NOT_AN_ANSWER for a message while `slot`'s question
    is open.

    A request for a person or to stop is always honoured (a name that happens to be such a word is a
    name), so is a real support problem; a question phrased as a question is answered before the bot
    asks again, but only once in a row: after one re-ask the message is the answer, or, if it is only
    another question, that question is answered and the bot's is skipped.
    """
    if not text.strip():
        return NOT_AN_ANSWER
    if (slot in NAME_SLOTS and looks_like_a_name(text)) or (slot == "contact_consent" and intent == "request_human"):
        return ANSWER  # a name is a name; asked about contact, "speak to someone" is a yes
    if intent == "request_human" or (intent == "stop" and STOP_WORDS.search(text)):
        return NOT_AN_ANSWER
    if intent == "existing_customer" and says_existing_customer(text, product_name):
        return NOT_AN_ANSWER
    if slot == "struggle" and times_asked < 2 and not describes_a_problem(text):
        return NOTED
    if intent in QUESTION_INTENTS and asks_question(text):
        if states_something(text):
            return ANSWER_AND_REPLY
        return SKIP_AND_REPLY if times_asked >= 2 else NOT_AN_ANSWER
    return ANSWER


def answers(slots: Dict[str, object]) -> Dict[str, Optional[str]]:
    """Interview answers as typed, with skipped or unanswered questions as None."""
    skipped = set(slots.get(SKIPPED_SLOT) or [])
    result: Dict[str, Optional[str]] = {}
    for name in (*INTERVIEW_SLOTS, TARGET_DATE_SLOT):
        value = slots.get(name)
        result[name] = None if name in skipped or not isinstance(value, str) or not value.strip() else value
    return result


def _sentences_with(text: str, keep) -> Optional[str]:
    chosen = [sentence for sentence in nlp.sentences(text) if keep(sentence)]
    return " ".join(chosen) or None


def _states_deadline(sentence: str) -> bool:
    """A time still to come, as people write it ("before Christmas", "in a fortnight"), or "no rush"."""
    return deadlines.read(sentence, dt.date.today()).months is not None or "PASSIVE" in nlp.cues(sentence)


def read_opening(text: str) -> Dict[str, str]:
    """Slots an opening message already answers, quoted from it, so they are not asked again.

    A message that describes a problem is the struggle (a greeting, an introduction or a question alone
    is kept as the introduction); sentences that name a why-now event or a deadline also answer the
    trigger and the timeline.
    """
    filled = {"struggle": text} if describes_a_problem(text) else {"introduction": text}
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


CONSENT_WORDS = re.compile(
    r"\b(?P<yes>yes|yeah|yep|yup|sure|ok|okay|please do|absolutely|definitely|of course|go ahead|why not"
    r"|sounds good|happy to|i'd like that|contact me|call me|email me|reach out)\b"
    r"|\b(?P<no>(?:don't|do not|never) (?:contact|call|e-?mail|reach) me|no|nope|nah|not now|not yet|no thanks"
    r"|rather not|not interested|don't|do not)\b",
    re.IGNORECASE)


def consent_from(text: str, intent: Optional[str]) -> Optional[bool]:
    """Yes or no to being contacted, read generously: the last yes or no the visitor wrote wins ("no
    thanks… actually, wait, yes"), asking to speak to someone is a yes; None when neither was said."""
    if intent == "request_human":
        return True
    said = [match.lastgroup for match in CONSENT_WORDS.finditer(text or "")]
    if said:
        return said[-1] == "yes"
    return {"affirm": True, "deny": False}.get(intent or "")


def email(slots: Dict[str, object]) -> Optional[str]:
    """The visitor's email, if they gave a valid one and agreed to be contacted."""
    return (contact(slots) or {}).get("email")


ASKS_TO_BE_CONTACTED = re.compile(r"\b(?:contact|call|e-?mail|reach|get in touch|changed my mind|follow up)\b",
                                  re.IGNORECASE)


def changes_mind_about_contact(text: str, intent: Optional[str]) -> bool:
    """After declining, a later "actually I changed my mind, contact me" (a plain "ok" is not enough)."""
    return bool(ASKS_TO_BE_CONTACTED.search(text or "")) and consent_from(text, intent) is True


def contact(slots: Dict[str, object]) -> Optional[Dict[str, Optional[str]]]:
    """Name, email and company, only when the visitor agreed to be contacted."""
    if slots.get("contact_consent") is not True:
        return None
    skipped = set(slots.get(SKIPPED_SLOT) or [])
    return {name: (None if name in skipped else slots.get(name)) for name in CONTACT_SLOTS}
