"""The web app's worker run by several web apps at once (`bot run-scaled`), on PostgreSQL: each kept brief is
stored once, and each tracker event is counted by one of them."""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
import time

from bot.conversation import brief
from bot.conversation.qualify import assess
from bot.sales import dashboard
from bot.store import briefs as store
from bot.store import pending, progress
from tests.helpers import ANSWERS
from tests.integration.test_dashboard import EVER, seed, slot

WORKERS = 4


def at_once(step, *args):
    """Runs `step` in WORKERS threads released together, as several web apps' workers; their results."""
    start, results, failures = threading.Barrier(WORKERS), [], []

    def work():
        start.wait()
        try:
            results.append(step(*args))
        except Exception as error:  # kept for the assertion: a worker must not fail
            failures.append(error)

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    return results


def kept_brief(sender: str) -> dict:
    return brief.build(sender, ANSWERS, assess(ANSWERS, dt.date(2026, 11, 26)), "qualified",
                       {"name": "Ann", "email": "ann@acme.io", "company": "Acme"}, [])


def test_briefs_kept_on_disk_are_stored_once_by_several_workers(monkeypatch, make_postgres_database):
    monkeypatch.setenv("DATABASE_URL", make_postgres_database())
    senders = [f"kept-{n}" for n in range(12)]
    for sender in senders:
        pending.keep(kept_brief(sender))
    assert sum(at_once(pending.store_pending)) == len(senders)
    assert {sender: len(store.list_briefs(sender_id=sender)) for sender in senders} == {s: 1 for s in senders}
    assert list(pending.folder().iterdir()) == []


def test_a_brief_claimed_by_a_worker_that_died_is_stored_later_and_once(monkeypatch, make_postgres_database):
    monkeypatch.setenv("DATABASE_URL", make_postgres_database())
    path = pending.keep(kept_brief("orphan"))
    claimed = pending._claim(path)  # a web app took it, then stopped before storing it
    assert pending.store_pending() == 0  # a claim of a live worker is left alone
    old = time.time() - pending.STALE_CLAIM_SECONDS - 1
    os.utime(claimed, (old, old))
    assert pending.store_pending() == 1
    assert len(store.list_briefs(sender_id="orphan")) == 1 and list(pending.folder().iterdir()) == []

    path = pending.keep(kept_brief("orphan-2"))
    fields = json.loads(path.read_text())  # stored by a web app that died before it could delete the file
    store.save_handoff({**fields, "created_at": dt.datetime.fromisoformat(fields["created_at"])})
    os.utime(pending._claim(path), (old, old))
    assert pending.store_pending() == 0
    assert len(store.list_briefs(sender_id="orphan-2")) == 1 and list(pending.folder().iterdir()) == []


def test_several_workers_count_each_event_once_and_agree(monkeypatch, make_postgres_database):
    monkeypatch.setenv("DATABASE_URL", make_postgres_database())
    tracker = make_postgres_database()
    monkeypatch.setattr(progress, "BATCH", 5)  # many batches, so the workers' passes overlap
    # Each web app is a process of its own: no lock shared in memory, only the database's.
    monkeypatch.setattr(progress, "_refreshing", contextlib.nullcontext())
    visitors = [f"visitor-{n}" for n in range(30)]
    seed(tracker, [event for visitor in visitors for event in (
        (visitor, "user", {"text": "hi"}), (visitor, "slot", slot("requested_slot", "situation")))])
    assert sum(at_once(progress.refresh, None, tracker, 0)) == 2 * len(visitors)
    monkeypatch.setattr(progress, "_refreshing", threading.Lock())
    stats, stopped = dashboard.figures(*EVER, tracker_url=tracker)
    assert (stats["conversations started"], stopped["situation"]) == (len(visitors), len(visitors))
