"""Trainer tools: turn real conversations from the tracker store into test stories."""
from __future__ import annotations

import asyncio

from bot import config


async def _full_tracker(sender_id: str):
    from rasa.shared.core.domain import Domain

    from bot.tracker_store import URLSQLTrackerStore

    store = URLSQLTrackerStore(Domain.load(str(config.ROOT / "domain.yml")))
    tracker = await store.retrieve_full_tracker(sender_id)
    if tracker is None:
        raise LookupError(f"No conversation with sender id {sender_id!r} in the tracker store.")
    return tracker


def test_story(sender_id: str, name: str) -> str:
    """The conversation as an end-to-end test story (user text, intents, actions, slots)."""
    from rasa.shared.core.training_data.story_writer.yaml_story_writer import YAMLStoryWriter
    from rasa.shared.core.training_data.structures import Story

    from rasa.shared.core.events import UserUttered

    tracker = asyncio.run(_full_tracker(sender_id))
    events = list(tracker.events)
    for event in events:
        if isinstance(event, UserUttered):
            event.entities = []  # the pipeline's entities are checked by unit tests, not by stories
    story = Story.from_events(events, name)
    return YAMLStoryWriter().dumps(story.story_steps, is_test_story=True)
