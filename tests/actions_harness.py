"""Custom actions run as the action server runs them: rasa-sdk's Tracker and CollectingDispatcher."""
import asyncio
from pathlib import Path

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

DOMAIN = yaml.safe_load((Path(__file__).resolve().parent.parent / "domain.yml").read_text())
QUALIFIED = {
    "struggle": "Our invoices go out late every month because three people edit the same spreadsheet",
    "situation": "last tuesday we sent a client the wrong amount and lost the account",
    "current_solution": "Excel and a shared inbox",
    "desired_progress": "close the month in 2 days instead of 8",
    "trigger": "our CFO quit two weeks ago and the auditors arrive soon",
    "timeline": "within the next two months",
    "anxieties": "migrating ten years of data",
    "cost_of_inaction": "we'd lose another client",
}


def user(text, intent, confidence=0.99):
    return {"event": "user", "text": text, "timestamp": 1790000000.0,
            "parse_data": {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}}


def tracker(text="", intent="inform", confidence=0.99, slots=None, events=None, active_loop=None,
            sender_id="visitor-1"):
    message = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}
    # A form's validation action sees the form itself as the latest action, as Rasa sends it.
    return Tracker(sender_id, dict(slots or {}), message, list(events or []) + [user(text, intent, confidence)],
                   False, None, {"name": active_loop} if active_loop else {}, active_loop or "action_listen")


def run(action, state):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, state, DOMAIN))
    return dispatcher.messages, events


def slot_events(events):
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}
