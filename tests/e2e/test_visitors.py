"""The conversation suite: 100+ scripted visitors (tests/e2e/visitors/*.yml) played over REST against the whole
stack (`bot run` on SQLite; two stacks side by side, E2E_SUITE_STACKS), each checked against the contract in
shared/design/conversation.md ("Robustness"). At the end it prints the pass rate by category.

A visitor is a persona, not a list of turns: after each bot reply the runner reads the tracker to see which
question is open (`active_loop`, `requested_slot`) and answers it from the persona, so the suite keeps working
when the bot adds or reorders a question. A visitor file holds one category; each visitor has:

- `name`, `category` (the file's name), `opening`: the first message, or a list of first messages;
- `answers`, keyed by what the bot asks: the interview slots, `playback` (the story played back to a qualified
  visitor; without it the persona says it is right), `contact_consent`, `name`, `email`, `company`,
  and `other` for any question the persona has no key for (a string, or a mapping from a word in the bot's
  question to the answer, with `default`); a question without a key that asks for a date, an email, a name or a
  company is answered from `timeline`, `email`, `name` or `company`. A list gives successive answers;
- `interjections` (optional): per slot, messages said the first time that slot is asked, before answering;
- `afterwards` (optional): messages said once the bot has no question pending (e.g. a change of mind);
- `expect`: `outcome` (handed_off | nurture | no_contact | support | stopped, or a list of acceptable ones),
  `reason` (qualified | visitor_requested_human, or a list), `stage` (or a list), `values` (stored slot values:
  exact text, null for "not stored", {contains: text}, or for a record such as `playback` the keys that must
  match), `answered` (product questions whose product.yml
  answer must be given), `first_reply` (words the reply to the opening must contain), `not_said` (words no bot
  message may contain). A deadline tied to the calendar gives `due: MM-DD` and `if_far`: what is expected
  instead when that date is more than six months away on the day the suite runs.

Every visitor also must not get the same bot message in three turns in a row. The conversation ends when the
bot is paused (handed off), when no question is pending (no open form and no question mark), or after 40
visitor turns; a loop that has already repeated three times is not played on (the outcome cannot change).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import queue
import re
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import yaml

from bot.conversation import product
from bot.conversation.qualify import NEAR_DEADLINE_MONTHS
from bot.conversation.slots import CONTACT_SLOTS, INTERVIEW_SLOTS
from bot.store import briefs as store
from tests.e2e.stack import ROOT, Stack

VISITORS_DIR = Path(__file__).parent / "visitors"
MAX_TURNS = 40
OUTCOMES = {"handed_off", "nurture", "no_contact", "support", "stopped"}
REASONS = {"qualified", "visitor_requested_human"}
STAGES = {"first_thought", "passive_looking", "active_looking", "deciding"}
ASKED_SLOTS = set(INTERVIEW_SLOTS) | {"playback", "contact_consent", *CONTACT_SLOTS}
EXPECT_KEYS = {"outcome", "reason", "stage", "values", "answered", "first_reply", "not_said", "due", "if_far"}
VISITOR_KEYS = {"name", "category", "opening", "answers", "interjections", "afterwards", "expect"}
# A question the persona has no key for, answered from another key when `other` has no word for it (someone
# asked "is there a date you're working towards?" gives the deadline they have).
QUESTION_WORDS = {"email": "email", "company": "company", "your name": "name", "who am i talking": "name",
                  "date": "timeline", "deadline": "timeline"}
FALLBACK_ANSWER = "I'm not sure, sorry."
PLAYBACK_ANSWER = "Yep, you've got it."  # a persona without a `playback` key hears its story right
RESULTS_ENV = "CONVERSATION_SUITE_RESULTS"  # a file the suite writes its pass rate to (`make evaluate`)
# What the bot says to someone who stops (domain.yml), to tell a stop from a conversation that just ended.
GOODBYES = {variant["text"].strip() for variant in
            yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]["utter_goodbye"]}


def load_visitors() -> List[dict]:
    visitors = []
    for path in sorted(VISITORS_DIR.glob("*.yml")):
        for visitor in yaml.safe_load(path.read_text(encoding="utf-8")):
            visitor["file"] = path.stem
            visitors.append(visitor)
    return visitors


VISITORS = load_visitors()
BY_NAME = {visitor["name"]: visitor for visitor in VISITORS}


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def messages_of(visitor: dict) -> List[str]:
    """Everything the visitor may type."""
    said = _as_list(visitor.get("opening")) + _as_list(visitor.get("afterwards"))
    for value in (visitor.get("answers") or {}).values():
        said += list(value.values()) if isinstance(value, dict) else _as_list(value)
    for value in (visitor.get("interjections") or {}).values():
        said += _as_list(value)
    return said


# --- Playing a visitor -------------------------------------------------------------------------------------


@dataclass
class Turn:
    said: str
    replies: List[str]
    asked: Optional[str]  # the question open after the bot's reply: a slot name, "other" or None
    loop: Optional[str]
    paused: bool


@dataclass
class Played:
    sender: str
    turns: List[Turn] = field(default_factory=list)
    tracker: dict = field(default_factory=dict)
    briefs: list = field(default_factory=list)
    lead: Optional[dict] = None
    ended: str = ""  # why the runner stopped

    def replies(self) -> List[str]:
        return [text for turn in self.turns for text in turn.replies]

    def transcript(self, last: int = 60) -> str:
        lines = []
        for turn in self.turns:
            lines.append(f"  visitor: {turn.said}")
            lines += [f"      bot: {text}" for text in turn.replies]
            lines.append(f"           [asked={turn.asked} loop={turn.loop} paused={turn.paused}]")
        shown = lines[-last:]
        return "\n".join((["  …"] if len(lines) > last else []) + shown)


def open_question(tracker: dict, replies: List[str]) -> Optional[str]:
    """What the bot is waiting for: the requested slot of an open form, "other" for a question asked outside
    a form, None when nothing is pending (or the bot is paused)."""
    if tracker.get("paused"):
        return None
    loop = (tracker.get("active_loop") or {}).get("name")
    slot = tracker["slots"].get("requested_slot")
    if loop and slot:
        return slot
    if replies and replies[-1].rstrip().endswith("?"):
        return "other"
    return None


def _mentions(question: str, word: str) -> bool:
    """Whether the bot's question has a word starting with `word` ("customer" in "customers", not "date" in
    "update")."""
    return re.search(rf"\b{re.escape(word.lower())}", question) is not None


def answer_for(visitor: dict, asked: str, question: str, given: Counter) -> str:
    """The persona's answer to the question open now (`asked`: a slot name, or "other")."""
    answers = visitor.get("answers") or {}
    if asked == "playback" and asked not in answers:
        return PLAYBACK_ANSWER
    key = asked if asked in answers and asked != "other" else None
    if key is None:
        other = answers.get("other")
        wording = question.lower()
        if isinstance(other, dict):
            key = next((word for word in other if word != "default" and _mentions(wording, word)), None)
            if key is not None:
                options = _as_list(other[key])
                index = given[f"other:{key}"]
                given[f"other:{key}"] += 1
                return str(options[min(index, len(options) - 1)])
        key = next((slot for word, slot in QUESTION_WORDS.items() if _mentions(wording, word) and slot in answers),
                   None)
        if key is None:
            default = other.get("default") if isinstance(other, dict) else other
            return str(default) if default is not None else FALLBACK_ANSWER
    options = _as_list(answers[key])
    index = given[key]
    given[key] += 1
    return str(options[min(index, len(options) - 1)])


def repeated_message(turns: List[Turn]) -> Optional[str]:
    """A bot message present in the replies of three consecutive turns, if any."""
    for first, second, third in zip(turns, turns[1:], turns[2:]):
        common = set(first.replies) & set(second.replies) & set(third.replies)
        if common:
            return sorted(common)[0]
    return None


def play(stack: Stack, visitor: dict) -> Played:
    slug = re.sub(r"[^a-z0-9]+", "-", visitor["name"].lower()).strip("-")[:40]
    played = Played(sender=f"v-{slug}-{uuid.uuid4().hex[:6]}")
    pending = [str(text) for text in _as_list(visitor.get("opening"))]
    afterwards = [str(text) for text in _as_list(visitor.get("afterwards"))]
    interjections = {slot: [str(text) for text in _as_list(texts)]
                     for slot, texts in (visitor.get("interjections") or {}).items()}
    given: Counter = Counter()
    tracker: dict = {}
    while True:
        if not pending:
            last = played.turns[-1] if played.turns else None
            if last is None or last.paused:
                played.ended = "paused (handed off)" if last else "no opening"
                break
            if last.asked is None:
                if not afterwards:
                    played.ended = "no question pending"
                    break
                pending.append(afterwards.pop(0))
            elif interjections.get(last.asked):
                pending += interjections.pop(last.asked)
            else:
                question = last.replies[-1] if last.replies else ""
                pending.append(answer_for(visitor, last.asked, question, given))
        if len(played.turns) >= MAX_TURNS:
            played.ended = f"stopped after {MAX_TURNS} turns"
            break
        said = pending.pop(0)
        replies = [text for text in stack.say(played.sender, said) if text]
        tracker = stack.state(played.sender)
        played.turns.append(Turn(said, replies, open_question(tracker, replies),
                                 (tracker.get("active_loop") or {}).get("name"), bool(tracker.get("paused"))))
        if repeated_message(played.turns[-3:]):
            played.ended = "a bot message repeated in three turns in a row (not played on)"
            break
    played.tracker = tracker
    played.briefs = stack.briefs(played.sender)
    played.lead = store.get_lead(played.sender, url=stack.database_url)
    return played


# --- Checking a played visitor against its expectations ---------------------------------------------------


def months_until(due: str, today: dt.date) -> float:
    month, day = (int(part) for part in due.split("-"))
    when = dt.date(today.year, month, day)
    if when < today:
        when = dt.date(today.year + 1, month, day)
    return (when - today).days / 30.44


def expectations(visitor: dict, today: Optional[dt.date] = None) -> dict:
    """The visitor's `expect`, with `if_far` applied when its calendar deadline is more than six months away
    (within three weeks of the six-month line either reading is accepted)."""
    expect = dict(visitor["expect"])
    if "due" not in expect:
        return expect
    months = months_until(str(expect.pop("due")), today or dt.date.today())
    far = dict(expect.pop("if_far"))
    if months > NEAR_DEADLINE_MONTHS + 0.75:
        expect.update(far)
    elif months > NEAR_DEADLINE_MONTHS - 0.75:
        for key, value in far.items():
            if key in ("outcome", "stage", "reason"):
                expect[key] = _as_list(expect.get(key)) + _as_list(value)
    return expect


def outcome_of(played: Played) -> str:
    if played.briefs:
        return "handed_off"
    if played.lead and played.lead["status"] in ("nurture", "no_contact"):
        return played.lead["status"]
    replies = played.replies()
    if product.answer("existing_customer") in replies:
        return "support"
    if GOODBYES & {text.strip() for text in replies}:
        return "stopped"
    return f"none ({played.ended})"


def stored_values(played: Played, slot: str) -> Dict[str, object]:
    """Where a slot's value can be read back: the tracker, and the brief or the lead when there is one."""
    found: Dict[str, object] = {"tracker": played.tracker.get("slots", {}).get(slot)}
    brief = played.briefs[0] if played.briefs else None
    if brief is not None and (slot in INTERVIEW_SLOTS or slot == "playback"):
        found["brief"] = brief.get(slot)
    if brief is not None and slot in CONTACT_SLOTS:
        found["brief contact"] = (brief.get("contact") or {}).get(slot)
    if brief is None and played.lead is not None and slot in CONTACT_SLOTS:
        found["lead"] = played.lead["contact"].get(slot)
    return found


def _matches(expected, actual) -> bool:
    if isinstance(expected, dict) and "contains" in expected:
        return isinstance(actual, str) and expected["contains"].lower() in actual.lower()
    if isinstance(expected, dict):  # the keys given: {result: corrected, slot: timeline} of the play-back record
        return isinstance(actual, dict) and all(_matches(value, actual.get(key)) for key, value in expected.items())
    return actual == expected


def failures(visitor: dict, played: Played, today: Optional[dt.date] = None) -> List[str]:
    """What went against the visitor's expectations, one line each (empty when it passed)."""
    expect = expectations(visitor, today)
    found: List[str] = []
    outcome = outcome_of(played)
    wanted = _as_list(expect["outcome"])
    if outcome not in wanted:
        last = played.replies()[-1] if played.replies() else "(nothing)"
        found.append(f"outcome: expected {' or '.join(wanted)}, got {outcome}; the bot's last message: {last!r}")
    brief = played.briefs[0] if played.briefs else None
    if "reason" in expect and brief is not None and brief["handoff_reason"] not in _as_list(expect["reason"]):
        found.append(f"handoff reason: expected {expect['reason']}, got {brief['handoff_reason']}")
    if "stage" in expect:
        stage = (brief or {}).get("buying_stage") or (played.lead or {}).get("buying_stage") \
            or played.tracker.get("slots", {}).get("buying_stage")
        if stage not in _as_list(expect["stage"]):
            found.append(f"buying stage: expected {expect['stage']}, got {stage}")
    for slot, value in (expect.get("values") or {}).items():
        for where, actual in stored_values(played, slot).items():
            if not _matches(value, actual):
                found.append(f"{slot} ({where}): expected {value!r}, got {actual!r}")
    replies = played.replies()
    for intent in expect.get("answered") or []:
        if product.answer(intent) not in replies:
            found.append(f"the {intent} question was not answered")
    first = " ".join(text for turn in played.turns[:len(_as_list(visitor.get("opening")))]
                     for text in turn.replies).lower()
    for words in expect.get("first_reply") or []:
        if words.lower() not in first:
            found.append(f"the reply to the opening does not say {words!r}: {first!r}")
    for words in expect.get("not_said") or []:
        said = [text for text in replies if words.lower() in text.lower()]
        if said:
            found.append(f"the bot said {words!r}: {said[0]!r}")
    repeated = repeated_message(played.turns)
    if repeated:
        found.append(f"the bot said the same thing three turns in a row: {repeated!r}")
    if len(played.turns) >= MAX_TURNS:
        found.append(f"the conversation did not end within {MAX_TURNS} turns")
    return found


# --- The suite ----------------------------------------------------------------------------------------------


def test_every_visitor_is_well_formed_and_written_fresh():
    """Visitors are personas with known keys, one file per category, and none of their messages is copied
    from the training data, the held-out NLU set or tests/conversations.yml."""
    assert len(VISITORS) >= 100
    assert len(BY_NAME) == len(VISITORS), "visitor names must be unique"
    taken = set()
    for path in [*(ROOT / "data" / "nlu").glob("*.yml"), ROOT / "tests" / "nlu" / "holdout.yml"]:
        for block in yaml.safe_load(path.read_text())["nlu"]:
            taken |= {line[2:].strip().lower() for line in block.get("examples", "").splitlines()
                      if line.strip().startswith("- ")}
    for conversation in yaml.safe_load((ROOT / "tests" / "conversations.yml").read_text()):
        taken |= {str(turn).strip().lower() for turn in conversation["turns"]}
    for visitor in VISITORS:
        name = visitor["name"]
        assert set(visitor) - {"file"} <= VISITOR_KEYS, name
        assert visitor["category"] == visitor["file"], f"{name}: category must be its file's name"
        assert visitor.get("opening") and visitor.get("answers"), name
        assert set(visitor["answers"]) <= ASKED_SLOTS | {"other"}, name
        assert set(visitor.get("interjections") or {}) <= ASKED_SLOTS | {"other"}, name
        expect = visitor["expect"]
        assert set(expect) <= EXPECT_KEYS and ("due" in expect) == ("if_far" in expect), name
        assert set(_as_list(expect["outcome"])) <= OUTCOMES, name
        assert set(_as_list(expect.get("reason"))) <= REASONS, name
        assert set(_as_list(expect.get("stage"))) <= STAGES, name
        assert set(expect.get("values") or {}) <= ASKED_SLOTS, name
        said = messages_of(visitor)
        assert all(isinstance(text, str) and text.strip() for text in said), f"{name}: quote yes/no answers"
        copied = [text for text in said if text.strip().lower() in taken]
        assert not copied, f"{name}: copied from the training or held-out data: {copied}"


class Suite(dict):
    """Played conversations by visitor name (a Played, or the error playing raised), and which passed. Its repr
    is short: pytest prints fixture values in tracebacks."""

    def __init__(self, conversations: Dict[str, object], seconds: float, stacks: int):
        super().__init__(conversations)
        self.seconds, self.stacks, self.passed = seconds, stacks, {}

    def __repr__(self) -> str:
        return f"<{len(self)} visitors played in {self.seconds:.0f} s>"

    def results(self) -> dict:
        """The pass rate, overall and by category, and who failed (what `make evaluate` reports)."""
        by_category: Dict[str, List[bool]] = defaultdict(list)
        for name, passed in self.passed.items():
            by_category[BY_NAME[name]["category"]].append(passed)
        return {"passed": sum(self.passed.values()), "total": len(self.passed),
                "categories": {category: [sum(passes), len(passes)]
                               for category, passes in sorted(by_category.items())},
                "failed": sorted(name for name, passed in self.passed.items() if not passed)}

    def summary(self) -> List[str]:
        results = self.results()
        turns = sum(len(c.turns) for c in self.values() if isinstance(c, Played))
        lines = ["", f"Conversation suite: {results['passed']} of {results['total']} visitors passed "
                     f"({turns} visitor turns played in {self.seconds:.0f} s on {self.stacks} stack(s))",
                 f"  {'category':<24} {'passed':>6} {'of':>4} {'rate':>6}"]
        for category, (passed, total) in results["categories"].items():
            lines.append(f"  {category:<24} {passed:>6} {total:>4} {passed / total:>6.0%}")
        return lines


@pytest.fixture(scope="module")
def played(request, stacks):
    """Every selected visitor played once, side by side on the stacks; at the end of the module, the pass rate
    by category."""
    names = [item.callspec.params["name"] for item in request.session.items
             if item.module.__name__ == __name__ and hasattr(item, "callspec") and "name" in item.callspec.params]
    free: "queue.Queue[Stack]" = queue.Queue()
    for stack in stacks:
        free.put(stack)

    def run(name: str):
        stack = free.get()
        try:
            return play(stack, BY_NAME[name])
        except Exception as error:  # reported by the visitor's own test
            if stack.process.poll() is not None:
                return RuntimeError(f"the stack stopped (exit code {stack.process.returncode}):\n{stack.logs()}")
            return error
        finally:
            free.put(stack)

    started = time.monotonic()
    with ThreadPoolExecutor(len(stacks)) as pool:
        suite = Suite(dict(zip(names, pool.map(run, names))), time.monotonic() - started, len(stacks))
    yield suite
    if suite.passed:
        capture = request.config.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            print("\n".join(suite.summary()))
        if os.environ.get(RESULTS_ENV):  # `make evaluate` reads the pass rate from here
            Path(os.environ[RESULTS_ENV]).write_text(json.dumps(suite.results(), indent=2))


# Visitors the bot still fails (issue 8 is open): listed by name with what goes wrong, marked as expected
# failures that must fail (strict), so a fix shows up as a failure here until its line is removed, and every
# other visitor must pass. The summary counts them as failed.
KNOWN_FAILURES_FILE = Path(__file__).parent / "known_failures.yml"
KNOWN_FAILURES: Dict[str, str] = (yaml.safe_load(KNOWN_FAILURES_FILE.read_text()) if KNOWN_FAILURES_FILE.exists()
                                  else None) or {}


def _visitor_params() -> list:
    unknown = set(KNOWN_FAILURES) - set(BY_NAME)
    assert not unknown, f"known_failures.yml names visitors that do not exist: {sorted(unknown)}"
    return [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[name]))
            if name in KNOWN_FAILURES else name for name in BY_NAME]


@pytest.mark.parametrize("name", _visitor_params())
def test_visitor(played, name):
    visitor, conversation = BY_NAME[name], played[name]
    played.passed[name] = False
    if isinstance(conversation, Exception):
        raise conversation
    found = failures(visitor, conversation)
    played.passed[name] = not found
    assert not found, ("\n".join(found) + f"\n\nconversation {conversation.sender} (ended: {conversation.ended}):\n"
                       + conversation.transcript())
