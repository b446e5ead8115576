"""Connections: the app database's engine (SQLite by default, PostgreSQL by DATABASE_URL), and the
reachability check that the app database and Rasa's tracker store share."""
from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Optional, Union

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import URL, Engine, make_url

from bot import config
from bot.store.models import Base


class DatabaseUnreachable(RuntimeError):
    pass


def check_reachable(url: Union[str, URL], purpose: str) -> None:
    """Connect once, or raise a clear error naming the database (password hidden)."""
    url = make_url(url)
    connect_args = {}
    if url.get_backend_name() == "sqlite":
        if url.database:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    else:
        connect_args["connect_timeout"] = 5
    probe = create_engine(url, future=True, connect_args=connect_args)
    try:
        with probe.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any driver error means we cannot start
        raise DatabaseUnreachable(
            f"Cannot reach the {purpose} database at {url.render_as_string(hide_password=True)}: "
            f"{error.__class__.__name__}: {(str(error).splitlines() or [''])[0]}"
        ) from error
    finally:
        probe.dispose()


_creating = threading.Lock()  # two threads' first calls must not both create the tables


def engine(url: Optional[str] = None) -> Engine:
    """The app database's engine (DATABASE_URL by default), with its tables created."""
    with _creating:
        return _engine(url or config.database_url())


@functools.lru_cache(maxsize=None)
def _engine(url: str) -> Engine:
    check_reachable(url, "app")
    created = create_engine(url, future=True, pool_pre_ping=True, connect_args=connect_timeouts(url))
    if created.dialect.name == "sqlite":
        event.listen(created, "connect", _unicode_lower)
    Base.metadata.create_all(created)
    _add_missing_columns(created)
    _add_missing_indexes(created)
    return created


def _unicode_lower(connection, _record) -> None:
    """SQLite's lower() knows ASCII only; searching "MÜLLER" must find "Müller" as on PostgreSQL."""
    connection.create_function("lower", 1, lambda value: value.lower() if isinstance(value, str) else value,
                               deterministic=True)


def _add_missing_indexes(engine_: Engine) -> None:
    """Indexes added to a model after its table was created (create_all skips existing tables)."""
    with engine_.begin() as connection:
        for table in Base.metadata.sorted_tables:
            for index in table.indexes:
                index.create(connection, checkfirst=True)


def connect_timeouts(url: str) -> dict:
    """Give up instead of hanging a visitor's reply or a worker: 5 s to connect, 10 s per statement
    (SQLite: 10 s waiting for another writer's lock)."""
    if make_url(url).get_backend_name() == "sqlite":
        return {"timeout": 10}
    return {"connect_timeout": 5, "options": "-c statement_timeout=10000"}


def _add_missing_columns(engine_: Engine) -> None:
    """Columns added to a model after its table was created (all nullable): added in place, so a
    database from an earlier version keeps its data."""
    existing = inspect(engine_)
    with engine_.begin() as connection:
        for table in Base.metadata.sorted_tables:
            present = {column["name"] for column in existing.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present:
                    kind = column.type.compile(dialect=engine_.dialect)
                    connection.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))
