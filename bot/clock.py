"""Timestamps: stored as naive UTC, shown as ISO 8601 with a Z."""
import datetime as dt


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def iso(moment: dt.datetime) -> str:
    """UTC timestamp as ISO 8601 with a Z, as the brief API returns it."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat() + "Z"
