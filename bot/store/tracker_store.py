"""Rasa's SQL tracker store, configured by one URL (TRACKER_DB_URL), failing fast, and lighter per turn.

Rasa's own SQLTrackerStore retries forever when its database is unreachable; a wrong URL should
instead stop start-up with a clear message. Per turn it reads, counts and writes a conversation's events
through ORM objects and sessions: the same statements as plain rows cost a third as much. On SQLite it opened a
new connection for every read and write and waited for the disk at every commit: 15% of a turn. And it read
and replayed the whole conversation at every turn (a tenth of a turn): the tracker a turn saved is now kept
for the next one, used as long as the conversation's newest stored event is still the one it saved last.
"""
from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from typing import Any, Iterator, Optional, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import QueuePool

from bot import config
from bot.store.engine import check_reachable, connect_timeouts

KEPT_TRACKERS = 200  # conversations whose latest tracker stays in memory between turns (about 50 kB each)


class URLSQLTrackerStore(SQLTrackerStore):
    def __init__(self, domain: Optional[Any] = None, host: Optional[str] = None,
                 event_broker: Optional[Any] = None, **kwargs: Any) -> None:
        url: URL = make_url(config.tracker_db_url())
        check_reachable(url, "tracker")
        super().__init__(
            domain=domain, dialect=url.drivername, host=url.host, port=url.port, db=url.database,
            username=url.username, password=url.password, event_broker=event_broker,
            query=dict(url.query) or None, **kwargs,
        )
        if self.engine.dialect.name == "sqlite":
            self._share_sqlite()
        self._kept: OrderedDict[str, Tuple[int, DialogueStateTracker]] = OrderedDict()
        events = self.SQLEvent.__table__  # statements built once: building one costs more than running it
        self._newest_id = sa.select(sa.func.max(events.c.id)).where(events.c.sender_id == sa.bindparam("sender_id"))
        self._insert = events.insert()
        self._read = {every: sa.select(events.c.data).where(self._events_where(every)).order_by(events.c.id)
                      for every in (False, True)}  # the latest session, or every session
        self._count = sa.select(sa.func.count()).select_from(events).where(self._events_where(False))

    def _share_sqlite(self) -> None:
        """Connections kept open, in write-ahead-log mode (the web app reads the tracker while Rasa writes it),
        committing without waiting for the disk each time: a crash of the machine may lose the last
        commits but never corrupts the file (`make run` is for development; production runs PostgreSQL)."""
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, poolclass=QueuePool,
                                       connect_args={"check_same_thread": False, **connect_timeouts(str(url))})
        event.listen(self.engine, "connect", _write_ahead)
        self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)

    def _events_where(self, all_sessions: bool) -> Any:
        """Rasa's filter: the events of the sender (the `sender_id` parameter), from the latest session start on
        unless `all_sessions`."""
        events = self.SQLEvent.__table__
        sender_id = sa.bindparam("sender_id")
        where = events.c.sender_id == sender_id
        if not all_sessions:
            start = (sa.select(sa.func.max(events.c.timestamp))
                     .where(events.c.sender_id == sender_id, events.c.type_name == SessionStarted.type_name)
                     .scalar_subquery())
            where = sa.and_(where, sa.or_(events.c.timestamp >= start, start.is_(None)))
        return where

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The conversation's latest session: the tracker the last turn saved, unless anything (another Rasa
        server, an erasure) has stored or deleted events since. It is handed out once: whoever takes it saves
        it again, or the next turn reads the conversation afresh."""
        kept = self._kept.pop(sender_id, None)
        if kept is not None:
            with self.engine.connect() as connection:
                if self._newest_event_id(connection, sender_id) == kept[0]:
                    return kept[1]
        return await self._retrieve(sender_id, fetch_events_from_all_sessions=False)

    def _newest_event_id(self, connection: Any, sender_id: str) -> Optional[int]:
        return connection.execute(self._newest_id, {"sender_id": sender_id}).scalar()

    def _keep(self, tracker: DialogueStateTracker, newest_event_id: Optional[int]) -> None:
        """Kept only when it is what reading the conversation would give: events from its latest session start
        on (so not at a session's first turn, which also holds the events before it)."""
        self._kept.pop(tracker.sender_id, None)
        starts = [event.timestamp for event in tracker.events if isinstance(event, SessionStarted)]
        latest_start = max(starts, default=None)
        if latest_start is not None and any(event.timestamp < latest_start for event in tracker.events):
            return
        self._kept[tracker.sender_id] = (newest_event_id, tracker)
        while len(self._kept) > KEPT_TRACKERS:
            self._kept.popitem(last=False)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool
                        ) -> Optional[DialogueStateTracker]:
        with self.engine.connect() as connection:
            rows = connection.execute(self._read[fetch_events_from_all_sessions],
                                      {"sender_id": sender_id}).scalars().all()
        if not self.domain or not rows:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, [json.loads(data) for data in rows], self.domain.slots)
        if not fetch_events_from_all_sessions:
            tracker.stored_events = len(rows)  # see _additional_events
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save: streams the new events to the event broker, if any, and stores them, in one transaction."""
        await self.stream_events(tracker)
        with self.engine.begin() as connection:
            rows = [_event_row(tracker.sender_id, event) for event in self._additional_events(connection, tracker)]
            if rows:
                connection.execute(self._insert, rows)
            newest = self._newest_event_id(connection, tracker.sender_id)
        tracker.stored_events = len(tracker.events)
        self._keep(tracker, newest)

    def _additional_events(self, connection: Any, tracker: DialogueStateTracker) -> Iterator:
        """The tracker's events not stored yet: the ones past the number stored since the session began. A tracker
        this store read or saved knows that number (Rasa's lock store keeps any other writer of the conversation
        out until the turn is saved); Rasa counts the rows for any other."""
        stored = getattr(tracker, "stored_events", None)
        if stored is None:
            stored = connection.execute(self._count, {"sender_id": tracker.sender_id}).scalar_one()
        return itertools.islice(tracker.events, stored, None)


def _event_row(sender_id: str, event: Any) -> dict:
    """One row of Rasa's events table, with the columns Rasa's own save fills."""
    data = event.as_dict()
    return {"sender_id": sender_id, "type_name": event.type_name, "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
            "action_name": data.get("name"), "data": json.dumps(data)}


def _write_ahead(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
