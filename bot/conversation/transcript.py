"""A conversation as people saw it, read from a Rasa tracker's events (no NLP: the web app uses it)."""
from __future__ import annotations

import datetime as dt
from typing import Dict, Iterable, List, Optional
from urllib.parse import urlsplit, urlunsplit

from bot.clock import iso

WIDGET_OPENING = "/greet"  # what the widget sends, flagged widget_opened, to have the bot open (widget.js)


def opened_widget(event: dict) -> bool:
    """The widget's own opening message, which asks the bot to greet: not something the visitor said.
    Only that exact payload counts, so a client setting the flag on real words cannot hide them."""
    return event.get("text") == WIDGET_OPENING and bool((event.get("metadata") or {}).get("widget_opened"))


def visible_messages(events: Iterable[dict]) -> List[dict]:
    """What the visitor and the bot said, in order, from a Rasa tracker's events."""
    speakers = {"user": "visitor", "bot": "bot"}
    lines = []
    for event in events:
        speaker = speakers.get(event.get("event"))
        if speaker and event.get("text") and not opened_widget(event):
            if speaker == "bot" and (event.get("metadata") or {}).get("agent"):
                speaker = "agent"  # a salesperson wrote this from the inbox
            line = {"speaker": speaker, "text": event["text"], "timestamp": event.get("timestamp") or 0}
            if speaker == "agent" and event["metadata"].get("agent_name"):
                line["name"] = event["metadata"]["agent_name"]  # how the visitor's widget names them
            buttons = (event.get("data") or {}).get("buttons")
            if buttons:
                line["buttons"] = [{"title": b.get("title"), "payload": b.get("payload")} for b in buttons]
            lines.append(line)
    return lines


def transcript(events: Iterable[dict]) -> List[dict]:
    """The brief's transcript: speaker, text and time of every message."""
    return [
        {"speaker": line["speaker"], "text": line["text"],
         "at": iso(dt.datetime.fromtimestamp(line["timestamp"], tz=dt.timezone.utc))}
        for line in visible_messages(events)
    ]


def without_query(url: Optional[str]) -> Optional[str]:
    """Scheme, host and path only: query strings and fragments carry tokens, emails and tracking ids."""
    try:
        parts = urlsplit(str(url or ""))
    except ValueError:  # the widget's metadata comes from the visitor's browser: it may be anything
        return None
    host = parts.netloc.rpartition("@")[2]  # and without any user:password@
    return urlunsplit((parts.scheme, host, parts.path, "", "")) or None


def visit(events: Iterable[dict]) -> Dict[str, Optional[str]]:
    """The page the visitor chatted on and where they came from, as the widget reported them."""
    for event in events:
        metadata = (event.get("metadata") or {}) if event.get("event") == "user" else {}
        if metadata.get("page_url"):
            return {"page_url": without_query(metadata["page_url"]),
                    "referrer": without_query(metadata.get("referrer"))}
    return {"page_url": None, "referrer": None}
