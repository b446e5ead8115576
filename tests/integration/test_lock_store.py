"""The lock store `bot run-scaled` gives Rasa, on the Redis server at REDIS_URL: servers taking a ticket for
one conversation at the same moment get different tickets, so exactly one of them goes first."""
from __future__ import annotations

import threading
import uuid

from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot import config, scaled
from bot.store.lock_store import TransactionalRedisLockStore

SERVERS = 8


def tickets_taken_at_once(make_store) -> tuple:
    """SERVERS lock stores (each its own Redis connection, as each Rasa server has) take a ticket for one
    conversation at the same moment; then each finishes. Their tickets, what the lock held, what is left."""
    conversation, stores = f"lock-test-{uuid.uuid4().hex}", [make_store() for _ in range(SERVERS)]
    start, tickets = threading.Barrier(SERVERS), []

    def take(store) -> None:
        start.wait()
        tickets.append(store.issue_ticket(conversation, 30))

    threads = [threading.Thread(target=take, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    held = sorted(ticket.number for ticket in stores[0].get_lock(conversation).tickets)
    for store, ticket in zip(stores, tickets):
        store.cleanup(conversation, ticket)
    left = stores[0].get_lock(conversation)
    stores[0].delete_lock(conversation)
    return sorted(tickets), held, left


def settings() -> dict:
    found = scaled.lock_store(config.redis_url())
    del found["type"]
    return found


def test_tickets_taken_at_the_same_moment_are_all_different():
    for _ in range(5):
        tickets, held, left = tickets_taken_at_once(
            lambda: TransactionalRedisLockStore(EndpointConfig(**settings())))
        assert tickets == held == list(range(SERVERS))  # one is served first, the others wait in order
        assert left is None  # all done: no lock left behind


def test_rasas_own_redis_lock_store_hands_out_one_ticket_twice():
    """Why bot/store/lock_store.py exists (RasaHQ/rasa#9213); if this starts failing, Rasa fixed it."""
    for _ in range(20):
        tickets, _, _ = tickets_taken_at_once(lambda: RedisLockStore(host=settings()["url"], **{
            key: value for key, value in settings().items() if key != "url"}))
        if len(tickets) != len(set(tickets)):
            return
    raise AssertionError("Rasa's RedisLockStore never handed out a ticket twice")
