"""Rasa's SQL tracker store, configured by one URL (TRACKER_DB_URL) and failing fast.

Rasa's own SQLTrackerStore retries forever when its database is unreachable; a wrong URL should
instead stop start-up with a clear message.
"""
from __future__ import annotations

from typing import Any, Optional

from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.engine import URL, make_url

from bot import config
from bot.store.engine import check_reachable


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
