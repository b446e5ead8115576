"""Timestamps: stored as naive UTC, shown as ISO 8601 with a Z; time zones by their IANA names."""
import datetime as dt
import re
from typing import Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def unix(moment: dt.datetime) -> float:
    """A stored (naive UTC) time as a Unix timestamp, as Rasa stores its events' times."""
    return moment.replace(tzinfo=dt.timezone.utc).timestamp()


def iso(moment: dt.datetime) -> str:
    """UTC timestamp as ISO 8601 with a Z, as the brief API returns it."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat() + "Z"


def zone(name: Optional[str]) -> Optional[ZoneInfo]:
    """The IANA time zone of that name, or None when there is none (or the name is not a plain zone name: it may
    come from a visitor's browser)."""
    if not isinstance(name, str) or len(name) > 64 or not re.fullmatch(r"[A-Za-z0-9_+\-/]+", name):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
