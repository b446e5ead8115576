"""Fixtures of the end-to-end layer: the whole product started by `bot run` on free loopback ports."""
import pytest

from tests.e2e.stack import Stack
from tests.helpers import create_postgres_database, drop_postgres_databases, postgres_url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"stack-{request.param}")
    names = []
    if request.param == "sqlite":
        urls = (f"sqlite:///{tmp / 'app.db'}", f"sqlite:///{tmp / 'tracker.db'}")
    else:
        names = [create_postgres_database(f"bot_stack_{kind}") for kind in ("app", "tracker")]
        urls = tuple(postgres_url(name) for name in names)
    running = Stack(tmp, *urls)
    yield running
    running.stop()
    drop_postgres_databases(names)
