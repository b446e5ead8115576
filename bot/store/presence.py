"""Whether a visitor is on the page now, and when they were last there, from their widget's socket.io connection:
Rasa's socket.io channel (channels/visitors.py) records each socket that joins a conversation and when it goes;
the inbox reads it (bot/sales/live.py pushes the changes to open pages)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.clock import iso, utcnow
from bot.store.engine import engine
from bot.store.models import WidgetSocket

# The server holding a socket says it is still there this often; a socket not heard of for STALE (its server
# stopped without closing it) no longer counts as on the page.
BEAT = dt.timedelta(seconds=30)
STALE = 3 * BEAT


@dataclass(frozen=True)
class Presence:
    online: bool
    last_seen: dt.datetime  # UTC; while online, the last time the server vouched for the socket

    def to_json(self) -> dict:
        return {"online": self.online, "last_seen": iso(self.last_seen)}


def opened(socket: str, sender_id: str, url: Optional[str] = None) -> None:
    """A socket joined a conversation (a socket joins one at a time: its earlier one is closed)."""
    now = utcnow()
    with Session(engine(url), future=True) as session, session.begin():
        _close(session, [socket], now)
        session.add(WidgetSocket(socket=socket, sender_id=sender_id, opened_at=now, seen_at=now))


def closed(sockets: Iterable[str], url: Optional[str] = None) -> None:
    """Sockets gone (their visitors left the page, or their server is stopping)."""
    with Session(engine(url), future=True) as session, session.begin():
        _close(session, list(sockets), utcnow())


def _close(session: Session, sockets: List[str], now: dt.datetime) -> None:
    session.execute(update(WidgetSocket).where(WidgetSocket.socket.in_(sockets), WidgetSocket.closed_at.is_(None))
                    .values(closed_at=now, seen_at=now))


def still_open(sockets: Iterable[str], now: Optional[dt.datetime] = None, url: Optional[str] = None) -> None:
    """The beat of one server: its sockets are still connected. Sockets whose server went quiet are closed as of
    the last time it vouched for them."""
    now, sockets = now or utcnow(), list(sockets)
    with Session(engine(url), future=True) as session, session.begin():
        if sockets:
            session.execute(update(WidgetSocket).where(WidgetSocket.socket.in_(sockets),
                                                       WidgetSocket.closed_at.is_(None)).values(seen_at=now))
        session.execute(update(WidgetSocket).where(WidgetSocket.closed_at.is_(None), WidgetSocket.seen_at < now - STALE)
                        .values(closed_at=WidgetSocket.seen_at))


def of(sender_ids: Iterable[str], now: Optional[dt.datetime] = None, url: Optional[str] = None
       ) -> Dict[str, Presence]:
    """Each visitor's presence, for those whose widget ever connected."""
    now, senders = now or utcnow(), set(sender_ids)
    if not senders:
        return {}
    with Session(engine(url), future=True) as session:
        rows = session.execute(select(WidgetSocket.sender_id, WidgetSocket.seen_at, WidgetSocket.closed_at)
                               .where(WidgetSocket.sender_id.in_(senders))).all()
    online: Dict[str, bool] = {}
    last: Dict[str, dt.datetime] = {}
    for sender_id, seen_at, closed_at in rows:
        online[sender_id] = online.get(sender_id, False) or (closed_at is None and seen_at >= now - STALE)
        last[sender_id] = max(closed_at or seen_at, last.get(sender_id, dt.datetime.min))
    return {sender_id: Presence(online[sender_id], last[sender_id]) for sender_id in online}


def changed(since: dt.datetime, url: Optional[str] = None) -> List[str]:
    """The visitors whose widget connected or went since `since` (UTC)."""
    with Session(engine(url), future=True) as session:
        return list(session.scalars(select(WidgetSocket.sender_id).where(
            (WidgetSocket.opened_at > since) | (WidgetSocket.closed_at > since)).distinct()))
