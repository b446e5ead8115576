"""Guards of the public chat: widget sessions the server vouches for, and rate limits with bounded memory.

No Rasa here: the socket.io channel (channels/visitors.py), the web app and the actions use these.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import time
from collections import OrderedDict
from typing import Optional

from bot import config

SESSION_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")  # what any widget may use as its conversation id
_SIGNED = re.compile(r"([0-9a-f]{32})\.([0-9a-f]{24})")


def _signature(nonce: str) -> str:
    return hmac.new(config.session_secret().encode(), nonce.encode(), hashlib.sha256).hexdigest()[:24]


def new_session_id() -> str:
    """A conversation id signed with the server's secret: only the web app can issue one."""
    nonce = secrets.token_hex(16)
    return f"{nonce}.{_signature(nonce)}"


def is_signed(session_id: str) -> bool:
    match = _SIGNED.fullmatch(session_id or "")
    return bool(match) and hmac.compare_digest(match.group(2), _signature(match.group(1)))


def session_allowed(session_id: object) -> bool:
    """Signed ids always; ids a widget chose itself (rasa-webchat's) only where unsigned sessions are allowed."""
    if not isinstance(session_id, str):
        return False
    if is_signed(session_id):
        return True
    return config.allow_unsigned_sessions() and bool(SESSION_ID.fullmatch(session_id))


def client_address(remote: Optional[str], headers) -> str:
    """The visitor's address: the connection's own, or the trusted proxy's header when one is configured
    (never a header a client could set on its own)."""
    header = config.trusted_proxy_header()
    lines = headers.getall(header, []) if header and hasattr(headers, "getall") else (
        [headers[header]] if header and headers.get(header) else [])
    if lines:  # our proxy appends the address it saw: the last entry of the last line, whatever came before
        return ",".join(lines).split(",")[-1].strip()
    return remote or "unknown"


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RateLimiter:
    """At most `limit` events per `window` seconds for each key, counting an attempt before it is let
    through, and remembering at most `max_keys` keys (the oldest are forgotten first)."""

    def __init__(self, limit: int, window: float, max_keys: int = 10_000) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self.hits: OrderedDict = OrderedDict()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        recent = [t for t in self.hits.pop(key, ()) if now - t < self.window]
        allowed = len(recent) < self.limit
        if allowed:
            recent.append(now)
        self.hits[key] = recent
        while len(self.hits) > self.max_keys:
            self.hits.popitem(last=False)
        return allowed
