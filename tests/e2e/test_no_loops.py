"""No question loops (conversation.md, "Never ask the same thing three times in a row"): for every question of
both forms, each of 30 messages (held-out examples of every intent, plus names and companies that are words)
must move the form on within two turns: the requested slot changes or the form ends (a handoff, a stop or an
existing customer sent to support count). The visitor sends the message, and the same message again if the bot
asks the same question back; after one re-ask the bot must take it as the answer or skip the question.

The conversation is put into "slot X is being asked" through Rasa's tracker events API (the inbox's), not by
playing the interview each time; one test checks that this state is what a played conversation at that point
looks like and that both answer the same messages the same way. The events are written with PUT, session start
included and timestamped a little in the past: a POST to a new conversation makes Rasa start the session after
the posted events, and the SQL tracker store then loads none of them (it reads from the latest session start).
"""
from __future__ import annotations

import contextlib
import functools
import queue
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import List, Optional, Tuple

import pytest
import yaml

from bot.conversation import interview, playback
from bot.conversation.slots import CONTACT_SLOTS, INTERVIEW_SLOTS, IS_CUSTOMER_SLOT, PLAYBACK_SLOT
from tests.e2e.stack import RASA_TOKEN, ROOT, Stack
from tests.helpers import http

CONTACT_FORM_SLOTS = (PLAYBACK_SLOT, "contact_consent", *CONTACT_SLOTS)  # the story played back, then contact
SLOTS = (*INTERVIEW_SLOTS, *CONTACT_FORM_SLOTS)
# Asked only in some conversations: "are you already a customer of ours?" after a support problem that names no
# product of ours (probed right after the struggle, with that doubt in the state).
SOMETIMES_ASKED = (IS_CUSTOMER_SLOT,)
PROBED = (*SLOTS, *SOMETIMES_ASKED)
FORM = {**{slot: "interview_form" for slot in (*INTERVIEW_SLOTS, IS_CUSTOMER_SLOT)},
        **{slot: "contact_form" for slot in CONTACT_FORM_SLOTS}}

# A qualified visitor whose answers fill the slots before the one being asked.
GREETING = "Hello there, how are you"
BASE = {
    "struggle": "Our field service jobs are scheduled on a whiteboard and engineers miss appointments",
    "situation": "Last Wednesday two engineers were sent to the same customer and another customer waited all day",
    "current_solution": "A whiteboard, phone calls and a shared spreadsheet",
    "desired_progress": "Engineers seeing their day on a phone with no double bookings at all",
    "trigger": "Our largest customer complained to our managing director last week",
    "timeline": "within the next six weeks",
    "anxieties": "Engineers ignoring the app",
    "cost_of_inaction": "We would lose that customer and burn out the dispatchers",
    "playback": "Yes, that's a fair summary of it",
    "contact_consent": "Yes, please get in touch",
    "name": "Jordan Avery",
    "email": "jordan@averyfield.co.uk",
    "company": "Avery Field Services",
}
ASSESSED = {"buying_stage": "active_looking", "qualified": True, "interview_done": True,
            "playback_summary": playback.summary(interview.answers(BASE))}
# What the answers above leave in the slots of the contact form's questions.
STORED = {"playback": {"result": "confirmed"}, "contact_consent": True}
# Names and companies that are words: whatever the visitor typed is the answer.
WORDS = ["Hello Fresh Kitchens", "Vello", "Human Partners", "Stop & Shop Deli", "Dr. Anke Müller-Lüdenscheidt",
         "Thanks A Latte Café"]
HELD_OUT = 24
SEED = 8
PROBE = "Sorry, why do you want to know that?"  # an interruption, for comparing a posted state with a played one
# What the posted state sets (other slots may differ: the played conversation also heard every PROBE).
COMPARED_SLOTS = (*SLOTS, "requested_slot", "skipped_slots", "email_rejected", "buying_stage", "qualified",
                  "interview_done")


def held_out_messages(count: int = HELD_OUT, seed: int = SEED) -> List[str]:
    """One held-out example of every intent, then more from all of them, drawn with a fixed seed."""
    examples = {block["intent"]: [line[2:].strip() for line in block["examples"].splitlines()
                                  if line.strip().startswith("- ")]
                for block in yaml.safe_load((ROOT / "tests" / "nlu" / "holdout.yml").read_text())["nlu"]}
    rng = random.Random(seed)
    picked = [rng.choice(lines) for lines in examples.values()]
    rest = [line for lines in examples.values() for line in lines if line not in picked]
    rng.shuffle(rest)
    return picked + rest[:count - len(picked)]


MESSAGES = held_out_messages() + WORDS


@functools.lru_cache(maxsize=None)
def _question(slot: str) -> str:
    """The bot's question for a slot as domain.yml words it (the variant without a condition)."""
    responses = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"][f"utter_ask_{slot}"]
    return [variant for variant in responses if "condition" not in variant][-1]["text"]


def _user(text: str, intent: str) -> dict:
    return {"event": "user", "text": text,
            "parse_data": {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}}


def _slot(name: str, value) -> dict:
    return {"event": "slot", "name": name, "value": value}


def _action(name: str) -> dict:
    return {"event": "action", "name": name}


def _ask(slot: str) -> List[dict]:
    return [_slot("requested_slot", slot),
            {"event": "bot", "text": _question(slot), "metadata": {"utter_action": f"utter_ask_{slot}"}},
            _action("action_listen")]


def state_events(asked: str) -> List[dict]:
    """Events of a conversation in which the visitor greeted and answered every earlier question of BASE, and
    the bot has just asked `asked`: the answers as slots, the open form and its question."""
    events = [_action("action_session_start"), {"event": "session_started"}, _action("action_listen"),
              _user(GREETING, "greet"), _action("utter_greet"),
              {"event": "bot", "text": "Hi!", "metadata": {"utter_action": "utter_greet"}},
              _action("interview_form"), {"event": "active_loop", "name": "interview_form"}]
    if asked == IS_CUSTOMER_SLOT:
        return events + [_slot("struggle", BASE["struggle"]), _slot("skipped_slots", []),
                         _slot("customer_unsure", True)] + _ask(asked)
    for slot in SLOTS:
        if slot == CONTACT_FORM_SLOTS[0]:
            events += [_slot("requested_slot", None), {"event": "active_loop", "name": None}, _action("action_assess"),
                       *[_slot(name, value) for name, value in ASSESSED.items()],
                       _action("contact_form"), {"event": "active_loop", "name": "contact_form"}]
        if slot == asked:
            return events + _ask(slot)
        events.append(_slot(slot, STORED.get(slot, BASE.get(slot))))
        if slot == "struggle":
            events.append(_slot("skipped_slots", []))  # the interview form's list of skipped questions
        if slot == "email":
            events.append(_slot("email_rejected", False))
    raise ValueError(asked)


def post_state(stack: Stack, sender: str, asked: str) -> None:
    """Write the conversation `sender` as it is when `asked` has just been asked (its events in order, ending a
    second ago, so that everything the visitor says next comes after them)."""
    events = state_events(asked)
    start = time.time() - 1.0
    for index, event in enumerate(events):
        event["timestamp"] = start + index * 0.001
    status, body = http("PUT", f"{stack.rasa}/conversations/{sender}/tracker/events?token={RASA_TOKEN}"
                               "&include_events=NONE", events)
    assert status == 200, body


def asking(state: dict) -> Tuple[Optional[str], Optional[str], bool]:
    return ((state.get("active_loop") or {}).get("name"), state["slots"].get("requested_slot"),
            bool(state.get("paused")))


@dataclass
class Probe:
    slot: str
    message: str
    moved_at: Optional[int]  # the turn (1 or 2) after which the form had moved on; None if it had not
    replies: List[List[str]]
    last: Tuple[Optional[str], Optional[str], bool]  # active loop, requested slot, paused after the last turn


def moved_on(slot: str, state: Tuple[Optional[str], Optional[str], bool]) -> bool:
    loop, requested, paused = state
    return paused or loop != FORM[slot] or requested != slot


def probe(stack: Stack, slot: str, message: str) -> Probe:
    sender = f"loop-{slot}-{uuid.uuid4().hex[:8]}"
    post_state(stack, sender, slot)
    replies = []
    for turn in (1, 2):
        replies.append(stack.say(sender, message))
        state = asking(stack.state(sender))
        if moved_on(slot, state):
            return Probe(slot, message, turn, replies, state)
    return Probe(slot, message, None, replies, state)


class Probes(dict):
    """Probes by question (its repr is short: pytest prints fixture values in tracebacks)."""

    seconds = 0.0
    stacks = 1

    def __repr__(self) -> str:
        return f"<{sum(map(len, self.values()))} probes in {self.seconds:.0f} s>"

    def summary(self) -> List[str]:
        lines = ["", f"Loop test: {len(MESSAGES)} messages at each of {len(PROBED)} questions "
                     f"({self.seconds:.0f} s on {self.stacks} stack(s)); the form moved on after",
                 f"  {'question':<18} {'1 turn':>7} {'2 turns':>8} {'never':>6}"]
        for slot in PROBED:
            counts = [sum(1 for p in self.get(slot, []) if p.moved_at == turn) for turn in (1, 2, None)]
            lines.append(f"  {slot:<18} {counts[0]:>7} {counts[1]:>8} {counts[2]:>6}")
        return lines


@pytest.fixture(scope="module")
def probes(request, stacks) -> Probes:
    """Every message at every question, shared out between the stacks; at the end, a table per question."""
    free: "queue.Queue[Stack]" = queue.Queue()
    for stack in stacks:
        free.put(stack)

    def run(case: Tuple[str, str]) -> Probe:
        stack = free.get()
        try:
            return probe(stack, *case)
        finally:
            free.put(stack)

    cases = [(slot, message) for slot in PROBED for message in MESSAGES]
    found = Probes()
    started = time.monotonic()
    with ThreadPoolExecutor(len(stacks)) as pool:
        for result in pool.map(run, cases):
            found.setdefault(result.slot, []).append(result)
    found.seconds, found.stacks = time.monotonic() - started, len(stacks)
    yield found
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print("\n".join(found.summary()))


def test_the_messages_cover_every_intent_and_names_that_are_words():
    holdout = yaml.safe_load((ROOT / "tests" / "nlu" / "holdout.yml").read_text())["nlu"]
    assert len(MESSAGES) == 30 and len(set(MESSAGES)) == 30
    for block in holdout:
        assert set(MESSAGES) & {line[2:].strip() for line in block["examples"].splitlines()}, block["intent"]
    assert MESSAGES == held_out_messages() + WORDS  # the same draw every run


@pytest.mark.parametrize("slot", PROBED)
def test_the_form_moves_on_within_two_turns(probes, slot):
    stuck = [p for p in probes[slot] if p.moved_at is None]
    assert not stuck, (f"{len(stuck)} of {len(probes[slot])} messages did not move `{slot}` on in two turns:\n"
                       + "\n".join(f"  {p.message!r} -> {p.replies[-1]}" for p in stuck))


def test_a_posted_state_is_what_a_played_conversation_looks_like(stacks):
    """Play BASE turn by turn; at each question, post the same state to a new conversation and compare the two:
    the slots and the open question, then the replies and the state after an interruption and after the answer."""
    stack = stacks[0]
    played = f"played-{uuid.uuid4().hex[:8]}"
    stack.say(played, GREETING)
    differences = []
    for slot in SLOTS:
        loop, requested, paused = asking(stack.state(played))
        assert (loop, requested) == (FORM[slot], slot), (
            f"the played conversation did not reach `{slot}`: the bot asks {requested!r} ({loop}, paused={paused})")
        posted = f"posted-{slot}-{uuid.uuid4().hex[:8]}"
        post_state(stack, posted, slot)
        for said in (None, PROBE, BASE[slot]):
            replies = {sender: stack.say(sender, said) if said else None for sender in (played, posted)}
            states = {sender: stack.state(sender) for sender in (played, posted)}
            views = {sender: ({name: state["slots"].get(name) for name in COMPARED_SLOTS}, asking(state),
                              replies[sender]) for sender, state in states.items()}
            if views[played] != views[posted]:
                differences.append(f"at `{slot}`, after {said!r}:\n  played {views[played]}\n  posted {views[posted]}")
    assert not differences, "\n".join(differences)
