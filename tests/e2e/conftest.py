"""Fixtures of the end-to-end layer: the whole product started by `bot run` on free loopback ports."""
import pytest

from tests.e2e.stack import Stack, start_sqlite_stacks
from tests.helpers import FakeSlack, create_postgres_database, drop_postgres_databases, postgres_url


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


@pytest.fixture(scope="module")
def stacks(request, tmp_path_factory):
    """Stacks on SQLite started side by side, for the modules that share conversations out between them
    (the visitors suite, the loop test); one Rasa server uses one core."""
    started = start_sqlite_stacks(tmp_path_factory, request.module.__name__.rsplit(".", 1)[-1])
    yield started
    for stack in started:
        stack.stop()


@pytest.fixture(scope="module")
def slack():
    """A stand-in for Slack's incoming webhook, for the stacks that announce briefs."""
    fake = FakeSlack()
    yield fake
    fake.server.shutdown()
