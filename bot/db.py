"""Database URL checks shared by the app database and Rasa's tracker store."""
from __future__ import annotations

from pathlib import Path
from typing import Union

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url


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
    engine = create_engine(url, future=True, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any driver error means we cannot start
        raise DatabaseUnreachable(
            f"Cannot reach the {purpose} database at {url.render_as_string(hide_password=True)}: "
            f"{error.__class__.__name__}: {(str(error).splitlines() or [''])[0]}"
        ) from error
    finally:
        engine.dispose()
