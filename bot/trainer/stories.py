"""A real conversation as a Rasa story: an end-to-end test story or a training story."""
from __future__ import annotations

import asyncio

from bot import config
from bot.conversation import interview
from bot.conversation.transcript import opened_widget


async def _full_tracker(sender_id: str):
    from rasa.shared.core.domain import Domain

    from bot.store.tracker_store import URLSQLTrackerStore

    store = URLSQLTrackerStore(Domain.load(str(config.ROOT / "domain.yml")))
    tracker = await store.retrieve_full_tracker(sender_id)
    if tracker is None or not tracker.events:
        raise LookupError(f"No conversation with sender id {sender_id!r} in the tracker store.")
    return tracker


def story(sender_id: str, name: str, test: bool = True) -> str:
    """The conversation as a Rasa story: a test story with the visitor's words (end to end), or a
    training story with intents only."""
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.training_data.story_writer.yaml_story_writer import YAMLStoryWriter
    from rasa.shared.core.training_data.structures import Story

    tracker = asyncio.run(_full_tracker(sender_id))
    events, asked, recorded = [], None, list(tracker.events)
    for number, event in enumerate(recorded):
        if isinstance(event, SlotSet) and event.key == "session_started_metadata":
            continue  # where the visitor connected from (a pseudonym of the address): no part of a story
        if isinstance(event, SlotSet) and event.key == "requested_slot":
            asked = event.value
        if isinstance(event, UserUttered):
            if opened_widget(event.as_dict()):
                event.text = None  # the widget's own greeting request: kept as its intent only
            elif asked in ANY_READING and _kept_as(recorded[number + 1:], asked, event.text):
                event.text = None  # a name or a company is kept as typed however NLU reads it: no intent to test
            if not test:
                event.entities = []  # the domain has no entities; the dialogue never uses them
            # A test story is run end to end (NLU reads the words): it marks what our pipeline extracts
            # (dates, tools...), so that only a change in reading the words fails it.
        events.append(event)
    rasa_story = Story.from_events(events, name)
    return CHECK_BEFORE_USE.format(sender_id=sender_id) + YAMLStoryWriter().dumps(rasa_story.story_steps,
                                                                                  is_test_story=test)


def _kept_as(after: list, slot: str, text: str) -> bool:
    """Whether the turn after a message stored it, as typed, as `slot`'s answer."""
    from rasa.shared.core.events import SlotSet, UserUttered

    for event in after:
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, SlotSet) and event.key == slot and event.value == text:
            return True
    return False


# The questions whose answer the form keeps whatever NLU makes of it (interview.NAME_SLOTS: a name, a company): their
# steps name only the intent the bot saw, so the story does not fail when a better model reads "Park Outdoor" otherwise.
ANY_READING = interview.NAME_SLOTS

CHECK_BEFORE_USE = """\
# Exported from conversation {sender_id}: this is what the bot DID. Read every step before adding it to
# tests/stories/ (or data/stories/): where the bot went wrong, correct the step to what it should have done (the
# intent the visitor's words should have been read as, the action or slot that should have followed). A story
# kept as exported tests for the mistake.
"""
