"""Rasa's Redis lock store, with each change of a conversation's lock made in one Redis transaction.

Rasa 3.6's RedisLockStore reads a lock, changes it and writes it back in separate commands: two servers
taking a ticket at the same moment both read "no lock", both get ticket 0 and both handle the conversation
at once, and one's events are lost (RasaHQ/rasa#9213; Rasa's fix went to its commercial edition only).
Here every read-change-write is watched (WATCH/MULTI/EXEC) and done again if another server changed the
lock meanwhile. Everything else (tickets, lifetimes, waiting) is Rasa's own.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Text

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig


class TransactionalRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    def _change(self, conversation_id: Text, change: Callable[[TicketLock], Any]) -> Any:
        """Applies `change` to the conversation's lock atomically; a lock left without tickets is deleted."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    stored = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(stored)) if stored else TicketLock(conversation_id)
                    result = change(lock)
                    pipe.multi()
                    if lock.tickets:
                        pipe.set(key, lock.dumps())
                    else:
                        pipe.delete(key)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # another server changed the lock between our read and write: read it again

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            return self._change(conversation_id, lambda lock: lock.issue_ticket(lock_lifetime))
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: Text) -> None:
        self._change(conversation_id, lambda lock: lock.remove_expired_tickets())

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))
