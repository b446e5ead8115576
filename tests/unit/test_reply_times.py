"""How the dashboard measures replies to handoffs: business minutes between two moments, and waits in words."""
import datetime as dt

from bot.sales.dashboard import business_minutes
from bot.web.render import duration

HOURS = {"time_zone": "Europe/Berlin", "days": "mon-fri", "from": "09:00", "to": "18:00"}


def utc(*parts):
    return dt.datetime(*parts)  # naive UTC, as the app database stores times


def test_business_minutes_count_only_the_opening_hours_in_their_time_zone():
    # Wednesday 2026-12-02: Berlin is UTC+1, open 08:00-17:00 UTC.
    assert business_minutes(utc(2026, 12, 2, 9, 0), utc(2026, 12, 2, 9, 45), HOURS) == 45
    assert business_minutes(utc(2026, 12, 2, 6, 0), utc(2026, 12, 2, 8, 30), HOURS) == 30  # before opening
    assert business_minutes(utc(2026, 12, 2, 16, 30), utc(2026, 12, 3, 8, 30), HOURS) == 60  # overnight
    # Friday 16:00 UTC (17:00 Berlin) to Monday 09:00 UTC (10:00): 1 h on Friday, 1 h on Monday, no weekend.
    assert business_minutes(utc(2026, 12, 4, 16, 0), utc(2026, 12, 7, 9, 0), HOURS) == 120
    assert business_minutes(utc(2026, 12, 5, 10, 0), utc(2026, 12, 6, 15, 0), HOURS) == 0  # a weekend
    assert business_minutes(utc(2026, 12, 2, 10, 0), utc(2026, 12, 2, 9, 0), HOURS) == 0  # the wrong way round


def test_business_hours_follow_summer_time():
    # Monday 2027-03-29, after the change: Berlin is UTC+2, open 07:00-16:00 UTC.
    assert business_minutes(utc(2027, 3, 29, 6, 0), utc(2027, 3, 29, 7, 30), HOURS) == 30
    assert business_minutes(utc(2027, 3, 29, 15, 0), utc(2027, 3, 29, 17, 0), HOURS) == 60
    six_days = {**HOURS, "days": "mon-sat"}
    assert business_minutes(utc(2027, 3, 27, 8, 0), utc(2027, 3, 27, 9, 0), six_days) == 60  # Saturday, UTC+1


def test_waits_read_as_a_salesperson_reads_them():
    assert [duration(m) for m in (None, 0.4, 12, 60, 185, 24 * 60, 2 * 24 * 60 + 4 * 60)] == [
        "—", "0 min", "12 min", "1 h", "3 h 5 min", "1 day", "2 days 4 h"]
