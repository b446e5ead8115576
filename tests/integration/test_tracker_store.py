"""bot/store/tracker_store.py reads and writes Rasa's events table with plain statements instead of Rasa's ORM
code: the rows it stores and the trackers it reads must be the ones Rasa's own SQLTrackerStore gives."""
import asyncio

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.config import ROOT
from bot.store.tracker_store import URLSQLTrackerStore

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


# As Rasa logs a session start: the action after the session_started event it returned, so with a later time.
def first_session() -> list:
    return [ActionExecuted("action_session_start", timestamp=2.5), SessionStarted(timestamp=2),
            ActionExecuted("action_listen", timestamp=3),
            UserUttered("our pickers keep shipping the wrong size", {"name": "inform", "confidence": 0.93},
                        timestamp=4, metadata={"page": "https://shop.example/pricing"}),
            ActiveLoop("interview_form", timestamp=5), SlotSet("struggle", "our pickers keep shipping the wrong size",
                                                               timestamp=6),
            BotUttered("When did that last happen?", {"buttons": None}, timestamp=7),
            ActionExecuted("action_listen", timestamp=8)]


def second_session() -> list:
    return [ActionExecuted("action_session_start", timestamp=21.5), SessionStarted(timestamp=21),
            ActionExecuted("action_listen", timestamp=22),
            UserUttered("Grüße, it's me again — a real person please", {"name": "request_human", "confidence": 0.8},
                        timestamp=23)]


def rasa_store(url: str) -> SQLTrackerStore:
    parts = make_url(url)
    return SQLTrackerStore(DOMAIN, dialect=parts.drivername, host=parts.host, port=parts.port, db=parts.database,
                           username=parts.username)


async def play(store, sender: str) -> tuple:
    """Saves a tracker as a turn does (a first save, then more events, then a new session), reads it back."""
    tracker = DialogueStateTracker.from_events(sender, first_session()[:4], DOMAIN.slots)
    await store.save(tracker)
    for event in first_session()[4:]:
        tracker.update(event)
    await store.save(tracker)
    await store.save(tracker)  # nothing new: nothing stored twice
    first = await store.retrieve(sender)
    read = await store.retrieve(sender)  # the latest session, as the next turn reads it
    for event in second_session():
        read.update(event)
    await store.save(read)
    return first, await store.retrieve(sender), await store.retrieve_full_tracker(sender)


def rows(url: str, sender: str) -> list:
    with create_engine(url).connect() as connection:
        return [tuple(row) for row in connection.execute(text(
            "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events "
            "WHERE sender_id = :sender ORDER BY id"), {"sender": sender})]


def test_events_are_stored_and_read_as_rasa_does(database_url, monkeypatch):
    monkeypatch.setenv("TRACKER_DB_URL", database_url)
    ours, theirs = URLSQLTrackerStore(DOMAIN), rasa_store(database_url)
    read_by_ours = asyncio.run(play(ours, "ours"))
    read_by_rasa = asyncio.run(play(theirs, "rasa"))

    assert len(rows(database_url, "ours")) == len(first_session()) + len(second_session())
    assert [row[1:] for row in rows(database_url, "ours")] == [row[1:] for row in rows(database_url, "rasa")]
    for tracker_ours, tracker_rasa in zip(read_by_ours, read_by_rasa):
        assert tracker_ours.events == tracker_rasa.events
        assert tracker_ours.current_slot_values() == tracker_rasa.current_slot_values()
    first, latest, full = read_by_ours
    assert first.get_slot("struggle") == "our pickers keep shipping the wrong size"
    assert [event.text for event in latest.events if isinstance(event, UserUttered)] == [
        "Grüße, it's me again — a real person please"]  # the latest session only
    assert len(full.events) == len(first_session()) + len(second_session())
    # Each store reads what the other wrote.
    assert asyncio.run(ours.retrieve("rasa")).events == asyncio.run(theirs.retrieve("rasa")).events
    assert asyncio.run(theirs.retrieve("ours")).events == latest.events
    assert asyncio.run(ours.retrieve("nobody")) is None



def test_a_saved_tracker_serves_the_next_turn_only_while_nothing_else_changed_the_conversation(database_url,
                                                                                              monkeypatch):
    monkeypatch.setenv("TRACKER_DB_URL", database_url)
    this_server, other_server = URLSQLTrackerStore(DOMAIN), URLSQLTrackerStore(DOMAIN)

    async def turns():
        tracker = DialogueStateTracker.from_events("kept", first_session(), DOMAIN.slots)
        await this_server.save(tracker)
        assert await this_server.retrieve("kept") is tracker  # the next turn: nothing read
        assert (await this_server.retrieve("kept")).events == tracker.events  # handed out once, then read afresh
        await this_server.save(tracker)
        answered = await other_server.retrieve("kept")  # another Rasa server takes a turn meanwhile
        answered.update(BotUttered("Someone will call you today.", timestamp=9))
        await other_server.save(answered)
        fresh = await this_server.retrieve("kept")
        assert fresh is not tracker and fresh.events == answered.events
        await this_server.save(fresh)
        with create_engine(database_url).begin() as connection:  # the visitor's data erased
            connection.execute(text("DELETE FROM events WHERE sender_id = 'kept'"))
        assert await this_server.retrieve("kept") is None

    asyncio.run(turns())
