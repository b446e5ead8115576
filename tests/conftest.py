"""Shared fixtures: real databases (SQLite files, and the PostgreSQL server on 127.0.0.1:5432)."""
from __future__ import annotations

import pytest

from tests.helpers import create_postgres_database, drop_postgres_databases, postgres_url


@pytest.fixture
def make_postgres_database():
    """Creates fresh PostgreSQL databases for a test and drops them afterwards."""
    created = []

    def make() -> str:
        created.append(create_postgres_database())
        return postgres_url(created[-1])

    yield make
    drop_postgres_databases(created)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, make_postgres_database) -> str:
    """The app database on SQLite and on PostgreSQL: the same code must work on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'app.db'}"
    return make_postgres_database()


@pytest.fixture
def app_database(monkeypatch, tmp_path) -> str:
    """DATABASE_URL pointed at a fresh SQLite file, as the actions and the CLI read it."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


@pytest.fixture(autouse=True)
def own_var_dir(monkeypatch, tmp_path):
    """What the code keeps under var/ (briefs waiting for the database) stays in the test's own folder."""
    from bot import config

    monkeypatch.setattr(config, "VAR_DIR", tmp_path / "var")


@pytest.fixture(autouse=True)
def no_real_notifications(monkeypatch):
    """Tests never announce to a Slack or mailbox configured in the developer's shell."""
    for name in ("SLACK_WEBHOOK_URL", "SMTP_URL", "SALES_EMAIL_TO", "SALES_EMAIL_FROM"):
        monkeypatch.delenv(name, raising=False)
