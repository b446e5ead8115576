"""What the bot understood worst, for trainers: low-confidence and fallback messages grouped by the
intent they most likely meant, readable transcripts, and NLU examples to correct."""
from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, List, Optional

from bot.conversation.transcript import opened_widget
from bot.store.conversations import Conversation, tracker_events

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
        elif kind == "slot" and event.get("name") not in ("requested_slot", "skipped_slots"):
            lines.append(f"    slot {event.get('name')} = {json.dumps(event.get('value'), ensure_ascii=False)}")
        elif kind == "action" and event.get("name") not in ("action_listen", "action_extract_slots", None):
            lines.append(f"    action {event['name']}")
        elif kind in ("pause", "resume"):
            lines.append(f"    conversation {kind}d")
    return lines


@dataclass
class Misunderstood:
    sender_id: str
    text: str
    intent: str
    confidence: float
    likely: str  # the classifier's best guess among real intents


def misunderstood(since: Optional[dt.date] = None, threshold: float = LOW_CONFIDENCE,
                  tracker_url: Optional[str] = None) -> List[Misunderstood]:
    """Visitor messages that fell back or were classified with low confidence."""
    found = []
    for sender, kind, timestamp, data in tracker_events(tracker_url=tracker_url):
        if kind != "user" or (since and dt.datetime.fromtimestamp(timestamp or 0, tz=dt.timezone.utc).date() < since):
            continue
        event = json.loads(data or "{}")
        parse = event.get("parse_data") or {}
        intent = parse.get("intent") or {}
        if str(event.get("text", "")).startswith("/"):  # payloads, the widget's opening too: not typed
            continue
        confidence = float(intent.get("confidence") or 0)
        if intent.get("name") == "nlu_fallback" or confidence < threshold:
            ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
            likely = ranking[0]["name"] if ranking else intent.get("name") or "?"
            found.append(Misunderstood(sender, event.get("text") or "", intent.get("name") or "?", confidence, likely))
    return found


def review(since: Optional[dt.date] = None, tracker_url: Optional[str] = None) -> Dict[str, List[Misunderstood]]:
    """The worst-understood messages grouped by likely intent, biggest group first."""
    groups: Dict[str, List[Misunderstood]] = defaultdict(list)
    for message in misunderstood(since, tracker_url=tracker_url):
        groups[message.likely].append(message)
    return dict(sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])))


def nlu_examples(messages: List[Misunderstood]) -> str:
    """Messages as NLU training data under their likely intent, for a trainer to check and correct."""
    by_intent: Dict[str, List[str]] = defaultdict(list)
    for message in messages:
        line = " ".join(message.text.split())
        if line and line not in by_intent[message.likely]:
            by_intent[message.likely].append(line)
    out = ['version: "3.1"', "# Check each example: move it to the right intent or delete it, then copy it",
           "# into data/nlu/ (never into tests/nlu/holdout.yml).", "nlu:"]
    for intent, lines in sorted(by_intent.items()):
        out += [f"- intent: {intent}", "  examples: |"] + [f"    - {json.dumps(line)[1:-1]}" for line in lines]
    return "\n".join(out) + "\n"
