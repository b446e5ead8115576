"""What went wrong in real conversations, for trainers: the visitor messages after which the bot fell back, was
unsure, asked its question again, sent the visitor to support, or the visitor said it again or left (grouped by
the intent they were read as), readable transcripts, and NLU examples to correct."""
from __future__ import annotations

import datetime as dt
import difflib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

from bot.conversation import interview, product
from bot.conversation.transcript import opened_widget
from bot.conversation.troubles import sends_to_support
from bot.store.conversations import FALLBACK_ACTIONS, Conversation, tracker_events

LOW_CONFIDENCE = 0.6


def readable(conversation: Conversation) -> List[str]:
    """A transcript with intents, confidences and the slots each turn set."""
    lines = []
    for event in conversation.events:
        kind = event.get("event")
        if kind == "user" and not opened_widget(event):
            intent = (event.get("parse_data") or {}).get("intent") or {}
            lines.append(f"visitor: {event.get('text')}    [{intent.get('name')} "
                         f"{float(intent.get('confidence') or 0):.2f}]")
        elif kind == "bot" and event.get("text"):
            who = "agent" if (event.get("metadata") or {}).get("agent") else "bot"
            lines.append(f"{who}: {event['text']}")
        elif kind == "slot" and event.get("name") not in ("requested_slot", "skipped_slots",
                                                          "session_started_metadata"):
            lines.append(f"    slot {event.get('name')} = {json.dumps(event.get('value'), ensure_ascii=False)}")
        elif kind == "action" and event.get("name") not in ("action_listen", "action_extract_slots", None):
            lines.append(f"    action {event['name']}")
        elif kind in ("pause", "resume"):
            lines.append(f"    conversation {kind}d")
    return lines


REASONS = ("fallback", "low confidence", "re-asked", "sent to support", "visitor repeated it", "visitor left")


@dataclass
class Finding:
    """One thing visitors said (the same words and reading merged) and why it is worth a trainer's look."""

    text: str
    intent: str
    confidence: float  # the lowest it was read with
    likely: str  # the classifier's best guess among real intents
    reasons: List[str]
    senders: List[str] = field(default_factory=list)  # the conversations it was said in, each once

    @property
    def count(self) -> int:
        return len(self.senders)

    @property
    def sender_id(self) -> str:
        return self.senders[0]


def _turns(events: List[dict]) -> List[Tuple[dict, List[dict], Optional[str]]]:
    """Each typed visitor message with the events that followed it up to the next one, and the question open when
    it came (requested_slot)."""
    turns: List[Tuple[dict, List[dict], Optional[str]]] = []
    asked: Optional[str] = None
    for event in events:
        kind = event.get("event")
        if kind == "user" and not opened_widget(event) and not str(event.get("text") or "").startswith("/"):
            turns.append((event, [], asked))
        elif turns:
            turns[-1][1].append(event)
        if kind == "slot" and event.get("name") == "requested_slot":
            asked = event.get("value")
        elif kind == "active_loop" and not event.get("name"):
            asked = None
    return turns


def _same(one: str, other: str) -> bool:
    one, other = " ".join(one.lower().split()), " ".join(other.lower().split())
    return one == other or difflib.SequenceMatcher(None, one, other).ratio() >= 0.85


def _why(message: dict, after: List[dict], asked: Optional[str], following: Optional[dict], last_question: bool,
         support_text: Optional[str]) -> List[str]:
    """Why one visitor message is worth a look (nothing: it went well)."""
    text = str(message.get("text") or "")
    intent = (message.get("parse_data") or {}).get("intent") or {}
    slots = [event for event in after if event.get("event") == "slot"]
    # The form took it as the answer to the open question and kept it: whatever NLU thought, it went right.
    kept = {event.get("name"): event.get("value") for event in slots}
    stored = asked is not None and asked != "requested_slot" and kept.get(asked) not in (None, "")
    reasons = []
    if intent.get("name") == "nlu_fallback" or any(event.get("name") in FALLBACK_ACTIONS for event in after
                                                   if event.get("event") == "action"):
        reasons.append("fallback")
    if float(intent.get("confidence") or 0) < LOW_CONFIDENCE and not stored:
        reasons.append("low confidence")
    answered = intent.get("name") in interview.QUESTION_INTENTS and interview.asks_question(text)
    requested = [event.get("value") for event in slots if event.get("name") == "requested_slot"]
    if asked and not stored and not answered and requested and requested[-1] == asked:
        reasons.append("re-asked")  # (a product question answered, then the question again, went as it should)
    if any(sends_to_support(event, support_text) for event in after):
        reasons.append("sent to support")
    if following is not None and _same(text, str(following.get("text") or "")):
        reasons.append("visitor repeated it")
    if following is None and last_question and not stored:
        reasons.append("visitor left")
    if reasons == ["fallback"] and stored:
        return []  # out of scope for NLU, yet the answer the bot wanted
    return reasons


def findings(since: Optional[dt.date] = None, sender_id: Optional[str] = None, tracker_url: Optional[str] = None,
             sender_prefix: str = "", exclude_prefixes: Iterable[str] = ()) -> List[Finding]:
    """The visitor messages worth a trainer's look, by what happened after them, not only by confidence: fallbacks,
    low confidence, the bot asking the same question again, a support redirect, the visitor saying it again or
    leaving with a question open; answers the form kept are left out. The same words read the same way are one
    finding, most frequent first."""
    support_text = product.answer("existing_customer")
    by_sender: Dict[str, List[dict]] = defaultdict(list)
    excluded = tuple(exclude_prefixes)
    for sender, kind, timestamp, data in tracker_events(sender_id, tracker_url):
        if sender.startswith(sender_prefix) and not (excluded and sender.startswith(excluded)):
            by_sender[sender].append({**json.loads(data or "{}"), "event": kind, "timestamp": timestamp or 0.0})
    merged: Dict[Tuple[str, str], Finding] = {}
    for sender, events in by_sender.items():
        turns = _turns(events)
        for number, (message, after, asked) in enumerate(turns):
            if since and dt.datetime.fromtimestamp(message["timestamp"], tz=dt.timezone.utc).date() < since:
                continue
            following = turns[number + 1][0] if number + 1 < len(turns) else None
            bot_said = [event for event in after if event.get("event") == "bot" and event.get("text")]
            last_question = bool(bot_said) and str(bot_said[-1]["text"]).rstrip().endswith("?") and not any(
                event.get("event") == "pause" for event in after)
            reasons = _why(message, after, asked, following, last_question, support_text)
            if not reasons:
                continue
            parse = message.get("parse_data") or {}
            intent = parse.get("intent") or {}
            ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
            likely = ranking[0]["name"] if ranking else intent.get("name") or "?"
            text = " ".join(str(message.get("text") or "").split())
            finding = merged.setdefault((text.lower(), intent.get("name") or "?"), Finding(
                text, intent.get("name") or "?", float(intent.get("confidence") or 0), likely, []))
            finding.confidence = min(finding.confidence, float(intent.get("confidence") or 0))
            finding.reasons += [reason for reason in reasons if reason not in finding.reasons]
            if sender not in finding.senders:
                finding.senders.append(sender)
    for finding in merged.values():
        finding.reasons.sort(key=REASONS.index)
    return sorted(merged.values(), key=lambda found: (-found.count, found.confidence))


def review(since: Optional[dt.date] = None, tracker_url: Optional[str] = None, sender_prefix: str = "",
           exclude_prefixes: Iterable[str] = ()) -> Dict[str, List[Finding]]:
    """The findings grouped by the intent they were most likely read as, biggest group first."""
    groups: Dict[str, List[Finding]] = defaultdict(list)
    for finding in findings(since, tracker_url=tracker_url, sender_prefix=sender_prefix,
                            exclude_prefixes=exclude_prefixes):
        groups[finding.likely].append(finding)
    return dict(sorted(groups.items(), key=lambda item: (-sum(f.count for f in item[1]), item[0])))


def nlu_examples(found: List[Finding]) -> str:
    """Findings as NLU training data under the intent they were read as, for a trainer to check and correct: valid
    YAML in UTF-8, each text exactly as typed (on one line)."""
    by_intent: Dict[str, List[str]] = defaultdict(list)
    for finding in found:
        if finding.text and finding.text not in by_intent[finding.likely]:
            by_intent[finding.likely].append(finding.text)
    out = ['version: "3.1"', "# Check each example: it was read as the intent it is under, and something went wrong",
           "# after it. Move it to the intent it really is (answers to the bot's questions are `inform`) or delete",
           "# it, then copy it into data/nlu/ (never into tests/nlu/holdout.yml).", "nlu:"]
    for intent, lines in sorted(by_intent.items()):
        out += [f"- intent: {intent}", "  examples: |"] + [f"    - {line}" for line in lines]
    return "\n".join(out) + "\n"
