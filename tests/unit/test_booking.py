"""Calls booked in the chat, without a database: weekly hours as salespeople write them, the 30-minute starts
they give across daylight saving changes, the notice, the visitor's labels and the ICS invitations."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.sales import booking
from bot.sales.booking import BookingError, describe_hours, parse_hours
from bot.store.models import Meeting

UTC = dt.timezone.utc
BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"
WEEKDAY_MORNINGS = {day: [["09:00", "10:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


# --- Weekly hours ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, hours", [
    ("mon-fri 09:00-17:00", {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}),
    ("sat-mon 10:00-12:00", {"mon": [["10:00", "12:00"]], "sat": [["10:00", "12:00"]], "sun": [["10:00", "12:00"]]}),
    ("fri-tue 08:00-09:00", {day: [["08:00", "09:00"]] for day in ("mon", "tue", "fri", "sat", "sun")}),
    ("sun-sun 09:00-10:00", {"sun": [["09:00", "10:00"]]}),
    ("Monday 13:00-17:00, 9:00-12:00", {"mon": [["09:00", "12:00"], ["13:00", "17:00"]]}),
    ("Tues-THURS 09:00-10:00", {day: [["09:00", "10:00"]] for day in ("tue", "wed", "thu")}),
    ("mon 09:00-12:00; wed 14:00-15:30", {"mon": [["09:00", "12:00"]], "wed": [["14:00", "15:30"]]}),
    ("tue 09:00-10:00\n\n  thu 16:00 - 24:00  \n", {"tue": [["09:00", "10:00"]], "thu": [["16:00", "24:00"]]}),
    ("mon-tue 09:00-10:00\nmon 15:00-16:00", {"mon": [["09:00", "10:00"], ["15:00", "16:00"]],
                                             "tue": [["09:00", "10:00"]]}),
    ("Mon - Wed 09:00-10:00", {day: [["09:00", "10:00"]] for day in ("mon", "tue", "wed")}),
    ("", {}),
    ("  ;\n ", {}),
])
def test_weekly_hours_are_read_as_people_write_them(text, hours):
    assert parse_hours(text) == hours
    assert list(parse_hours(text)) == [day for day in booking.WEEKDAYS if day in hours]  # the week's order


@pytest.mark.parametrize("hours", [
    {},
    {"mon": [["09:00", "12:00"], ["13:00", "17:00"]], "sat": [["10:00", "12:00"]]},
    {day: [["00:00", "24:00"]] for day in booking.WEEKDAYS},
    parse_hours("sat-mon 07:30-08:00, 22:00-24:00\nwed 12:00-12:30"),
])
def test_described_hours_read_back_the_same(hours):
    assert parse_hours(describe_hours(hours)) == hours


def test_hours_are_described_one_line_per_day():
    assert describe_hours(parse_hours("mon-tue 09:00-12:00, 13:00-17:00")) == ("mon 09:00-12:00, 13:00-17:00\n"
                                                                               "tue 09:00-12:00, 13:00-17:00")
    assert describe_hours(None) == ""


@pytest.mark.parametrize("text, message", [
    ("funday 09:00-10:00", "Unknown day 'funday': use mon, tue, wed, thu, fri, sat, sun."),
    ("monkey 09:00-10:00", "Unknown day 'monkey': use mon, tue, wed, thu, fri, sat, sun."),
    ("mo 09:00-10:00", "Unknown day 'mo': use mon, tue, wed, thu, fri, sat, sun."),
    ("mon,tue 09:00-10:00", "Unknown day 'mon,tue': use mon, tue, wed, thu, fri, sat, sun."),
    ("mon-xyz 09:00-10:00", "Unknown day in 'mon-xyz': use mon, tue, wed, thu, fri, sat, sun."),
    ("mon-wed,fri 09:00-10:00", "Unknown day in 'mon-wed,fri': use mon, tue, wed, thu, fri, sat, sun."),
    ("09:00-17:00", "'09:00-17:00': give days and hours, e.g. \"mon-fri 09:00-17:00\"."),
    ("09:00 17:00", "Unknown day '09:00': use mon, tue, wed, thu, fri, sat, sun."),
    ("mon- 09:00-10:00", "'mon- 09:00-10:00': give days and hours, e.g. \"mon-fri 09:00-17:00\"."),
    ("mon-sunday-fri 09:00-10:00", "Unknown day in 'mon-sunday-fri': use mon, tue, wed, thu, fri, sat, sun."),
    ("mon-fri", "'mon-fri': give days and hours, e.g. \"mon-fri 09:00-17:00\"."),
    ("mon 9-17", "'9-17': write hours as 09:00-17:00."),
    ("mon 09:00-17:00, ", "'': write hours as 09:00-17:00."),
    ("mon 9am-5pm", "'9am-5pm': write hours as 09:00-17:00."),
    ("mon 17:00-09:00", "'17:00-09:00': the start must come before the end, within one day."),
    ("mon 09:00-09:00", "'09:00-09:00': the start must come before the end, within one day."),
    ("mon 22:00-25:00", "'22:00-25:00': the start must come before the end, within one day."),
    ("mon 09:60-10:00", "'09:60-10:00': the start must come before the end, within one day."),
    ("mon 23:00-24:30", "'23:00-24:30': the start must come before the end, within one day."),
    ("mon 09:00-10:00\ntue 10:00-08:00", "'10:00-08:00': the start must come before the end, within one day."),
])
def test_hours_that_cannot_be_read_say_what_is_wrong(text, message):
    with pytest.raises(BookingError) as refused:
        parse_hours(text)
    assert str(refused.value) == message


@pytest.mark.parametrize("name", ["Europe/Berlin", "America/New_York", "UTC", "Etc/GMT+5", "Asia/Kolkata",
                                  "America/Argentina/Buenos_Aires"])
def test_iana_zone_names_are_known(name):
    assert booking.zone(name) == ZoneInfo(name)
    assert booking.zone_label(name) == name


@pytest.mark.parametrize("name", [None, "", "Mars/Olympus_Mons", "Berlin", "europe/berlin", " Europe/Berlin",
                                  "Europe/Berlin\n", "Europe/Berlin; rm -rf /", "../../../../etc/passwd",
                                  "/etc/localtime", "Europe//Berlin", "Europe/./Berlin", "zone.tab",
                                  "tzdata.zi", "leapseconds", "A" * 65, "Europe/Berlin" + "/x" * 30, "Europe\\Berlin",
                                  "Europe/Berlín", "\x00"])
def test_unknown_or_odd_zone_names_are_refused(name):
    assert booking.zone(name) is None
    assert booking.zone_label(name) == "UTC"


# --- Starts ----------------------------------------------------------------------------------------------------


def test_the_notice_is_two_hours_rounded_up_to_the_half_hour():
    earliest = booking._earliest
    assert earliest(dt.datetime(2027, 3, 25, 12, 0)) == utc(2027, 3, 25, 14, 0)  # naive: UTC
    assert earliest(dt.datetime(2027, 3, 25, 12, 0, 0, 1)) == utc(2027, 3, 25, 14, 30)
    assert earliest(dt.datetime(2027, 3, 25, 12, 1)) == utc(2027, 3, 25, 14, 30)
    assert earliest(dt.datetime(2027, 3, 25, 12, 29, 59)) == utc(2027, 3, 25, 14, 30)
    assert earliest(dt.datetime(2027, 3, 25, 12, 30)) == utc(2027, 3, 25, 14, 30)
    assert earliest(dt.datetime(2027, 3, 25, 12, 31)) == utc(2027, 3, 25, 15, 0)
    assert earliest(dt.datetime(2027, 3, 25, 22, 45)) == utc(2027, 3, 26, 1, 0)  # across midnight
    assert earliest(utc(2027, 3, 25, 12, 10)) == utc(2027, 3, 25, 14, 30)  # aware UTC
    for minute in range(0, 60):
        now = dt.datetime(2027, 3, 25, 12, minute, 17)
        first = earliest(now)
        assert first >= now.replace(tzinfo=UTC) + booking.NOTICE and first.minute in (0, 30) and first.second == 0
        assert first - (now.replace(tzinfo=UTC) + booking.NOTICE) < dt.timedelta(minutes=30)


def test_no_start_is_offered_within_the_notice():
    always = {day: [["00:00", "24:00"]] for day in booking.WEEKDAYS}
    starts = booking._starts("UTC", always, booking._earliest(dt.datetime(2027, 3, 25, 12, 1)), 1)
    assert starts[:3] == [utc(2027, 3, 25, 14, 30), utc(2027, 3, 25, 15, 0), utc(2027, 3, 25, 15, 30)]
    assert all(b - a == dt.timedelta(minutes=30) for a, b in zip(starts, starts[1:]))


def starts(time_zone, hours, from_day, days):
    """The starts from noon UTC of that day (the same date in Berlin and New York) for `days` days more."""
    return booking._starts(time_zone, hours, utc(*from_day, 12), days)


def test_a_berlin_morning_keeps_its_wall_clock_hours_across_the_spring_change():
    # Berlin moves from UTC+1 to UTC+2 on Sunday 2027-03-28.
    assert starts(BERLIN, WEEKDAY_MORNINGS, (2027, 3, 25), 4) == [
        utc(2027, 3, 26, 8, 0), utc(2027, 3, 26, 8, 30),  # Friday before: 09:00 CET
        utc(2027, 3, 29, 7, 0), utc(2027, 3, 29, 7, 30)]  # Monday after: 09:00 CEST


def test_a_berlin_morning_keeps_its_wall_clock_hours_across_the_autumn_change():
    # Berlin moves back from UTC+2 to UTC+1 on Sunday 2026-10-25.
    assert starts(BERLIN, WEEKDAY_MORNINGS, (2026, 10, 22), 4) == [
        utc(2026, 10, 23, 7, 0), utc(2026, 10, 23, 7, 30), utc(2026, 10, 26, 8, 0), utc(2026, 10, 26, 8, 30)]


def test_new_york_changes_on_its_own_dates():
    # America/New_York: UTC-5 to UTC-4 on 2027-03-14, back on 2026-11-01; Berlin's dates change nothing there.
    mornings = {"mon": [["09:00", "09:30"]], "fri": [["09:00", "09:30"]]}
    assert starts(NEW_YORK, mornings, (2027, 3, 12), 3) == [utc(2027, 3, 12, 14, 0), utc(2027, 3, 15, 13, 0)]
    assert starts(NEW_YORK, mornings, (2027, 3, 26), 3) == [utc(2027, 3, 26, 13, 0), utc(2027, 3, 29, 13, 0)]
    assert starts(NEW_YORK, mornings, (2026, 10, 23), 3) == [utc(2026, 10, 23, 13, 0), utc(2026, 10, 26, 13, 0)]
    assert starts(NEW_YORK, mornings, (2026, 10, 30), 3) == [utc(2026, 10, 30, 13, 0), utc(2026, 11, 2, 14, 0)]
    # ...while in that week of March Berlin and New York are only five hours apart, not six.
    assert starts(BERLIN, mornings, (2027, 3, 11), 4) == [utc(2027, 3, 12, 8, 0), utc(2027, 3, 15, 8, 0)]


def test_a_wall_clock_time_the_clocks_skip_is_never_offered():
    # On 2027-03-28 Berlin's clocks jump from 02:00 to 03:00: 02:00 and 02:30 do not exist that night.
    night = {"sun": [["02:00", "03:30"]]}
    offered = starts(BERLIN, night, (2027, 3, 20), 15)
    assert utc(2027, 3, 21, 1, 0) in offered and utc(2027, 4, 4, 0, 0) in offered  # the Sundays around it
    where = ZoneInfo(BERLIN)
    for start in offered:
        local = start.astimezone(where)
        assert dt.time(2, 0) <= local.time() < dt.time(3, 30) and local.weekday() == 6, local
        assert local.astimezone(UTC) == start  # a real moment, read back the same
    on_the_night = [start for start in offered if start.astimezone(where).date() == dt.date(2027, 3, 28)]
    assert all(start.astimezone(where).hour != 2 for start in on_the_night)
    assert len({start.astimezone(where) for start in offered}) == len(offered)  # no two for one moment


def test_the_night_the_clocks_go_back_an_hour_that_comes_twice_is_offered_twice_but_nothing_outside():
    # On 2026-10-25 Berlin's clocks go back from 03:00 to 02:00: 02:00-03:00 comes first in CEST, then in CET.
    assert starts(BERLIN, {"sun": [["02:30", "03:00"]]}, (2026, 10, 24), 1) == [
        utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)]  # 02:30 CEST and 02:30 CET, not 02:00 CET
    assert starts(BERLIN, {"sun": [["02:00", "03:00"]]}, (2026, 10, 24), 1) == [
        utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 0), utc(2026, 10, 25, 1, 30)]


HALF_HOURS = [f"{hour:02d}:{minute:02d}" for hour in range(25) for minute in (0, 30)][:-1]


@pytest.mark.parametrize("time_zone, night", [(BERLIN, dt.date(2027, 3, 28)), (BERLIN, dt.date(2026, 10, 25)),
                                              (NEW_YORK, dt.date(2027, 3, 14)), (NEW_YORK, dt.date(2026, 11, 1))])
def test_on_a_night_the_clocks_change_every_start_offered_is_within_the_hours(time_zone, night):
    where, the_day_before = ZoneInfo(time_zone), dt.datetime.combine(night - dt.timedelta(days=1), dt.time(0), UTC)
    for index, start in enumerate(HALF_HOURS):
        for end in HALF_HOURS[index + 1:]:
            offered = booking._starts(time_zone, {"sun": [[start, end]]}, the_day_before, 2)
            assert len(set(offered)) == len(offered) and offered == sorted(offered)
            for moment in offered:
                local = moment.astimezone(where)
                assert local.date() == night and start <= f"{local:%H:%M}" < end, (start, end, local)
                slot_end = (moment + dt.timedelta(minutes=30)).astimezone(where)
                clock_changed = slot_end.utcoffset() != local.utcoffset()
                assert clock_changed or end == "24:00" or f"{slot_end:%H:%M}" <= end, (start, end, local)


def test_a_salesperson_without_a_known_zone_gives_no_starts():
    assert starts("Mars/Olympus_Mons", WEEKDAY_MORNINGS, (2027, 3, 26), 3) == []
    assert starts(BERLIN, {}, (2027, 3, 26), 3) == []


def test_starts_reach_the_horizon_and_no_further():
    offered = starts("UTC", {"wed": [["10:00", "10:30"]]}, (2027, 3, 25), booking.HORIZON_DAYS)
    assert offered == [utc(2027, 3, 31, 10, 0), utc(2027, 4, 7, 10, 0), utc(2027, 4, 14, 10, 0)]


def test_a_visitor_reads_the_same_utc_hour_as_their_own_clock_shows_it():
    # 14:00 UTC is 09:00 in New York before 2027-03-14 and 10:00 after.
    assert booking.label(utc(2027, 3, 12, 14, 0), NEW_YORK) == "Fri 12 Mar, 09:00"
    assert booking.label(utc(2027, 3, 15, 14, 0), NEW_YORK) == "Mon 15 Mar, 10:00"
    assert booking.label(utc(2027, 3, 15, 14, 0), BERLIN) == "Mon 15 Mar, 15:00"
    assert booking.label(utc(2027, 3, 29, 14, 0), BERLIN) == "Mon 29 Mar, 16:00"
    assert booking.label(utc(2027, 3, 29, 23, 30), "Asia/Kolkata") == "Tue 30 Mar, 05:00"  # the next day
    assert booking.label(utc(2027, 3, 15, 14, 0), None) == "Mon 15 Mar, 14:00"  # no zone reported: UTC
    assert booking.label(utc(2027, 3, 15, 14, 0), "../etc/passwd") == "Mon 15 Mar, 14:00"


# --- Invitations -----------------------------------------------------------------------------------------------


def meeting(**fields):
    values = {"id": 42, "brief_id": 7, "salesperson": "ann@acme.io", "starts_at": dt.datetime(2027, 3, 29, 7, 0),
              "minutes": 30, "visitor_email": "maria@brightdental.test", "visitor_name": "Maria Gonzalez",
              "visitor_time_zone": NEW_YORK, "status": "booked", "sequence": 0}
    return Meeting(**{**values, **fields})


def parsed(ics):
    calendar = Calendar.from_ical(ics)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_an_invitation_is_one_event_in_utc_with_organizer_and_attendee(monkeypatch):
    monkeypatch.setenv("PUBLIC_WEB_URL", "https://sales.acme.test:8443/app")
    text = booking.ics(meeting(), "REQUEST", "https://sales.acme.test/meetings/secret", "Acme")
    calendar, event = parsed(text)
    assert str(calendar["method"]) == "REQUEST" and str(calendar["version"]) == "2.0"
    assert "\r\nDTSTART:20270329T070000Z\r\n" in text and "\r\nDTEND:20270329T073000Z\r\n" in text
    assert event.decoded("dtstart") == utc(2027, 3, 29, 7, 0)
    assert event.decoded("dtend") == utc(2027, 3, 29, 7, 30)
    assert event.decoded("dtstart").utcoffset() == dt.timedelta(0)
    assert str(event["uid"]) == "meeting-42@sales.acme.test"
    assert event.decoded("sequence") == 0
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["organizer"]) == "mailto:ann@acme.io"
    assert str(event["attendee"]) == "mailto:maria@brightdental.test"
    assert event["attendee"].params["CN"] == "Maria Gonzalez"
    assert str(event["summary"]) == "Call with Acme"
    assert "https://sales.acme.test/meetings/secret" in str(event["description"])


def test_a_moved_meeting_keeps_its_uid_with_the_next_sequence():
    first = parsed(booking.ics(meeting(), "REQUEST", "link", "Acme"))[1]
    moved = parsed(booking.ics(meeting(starts_at=dt.datetime(2027, 3, 30, 12, 30), sequence=1), "REQUEST", "link",
                               "Acme"))[1]
    assert str(moved["uid"]) == str(first["uid"])
    assert moved.decoded("sequence") == first.decoded("sequence") + 1
    assert moved.decoded("dtstart") == utc(2027, 3, 30, 12, 30) and moved.decoded("dtend") == utc(2027, 3, 30, 13, 0)
    other = parsed(booking.ics(meeting(id=43), "REQUEST", "link", "Acme"))[1]
    assert str(other["uid"]) != str(first["uid"])  # another meeting, another event


def test_a_cancellation_says_cancelled_for_the_same_event():
    calendar, event = parsed(booking.ics(meeting(status="cancelled", sequence=2), "CANCEL", "link", "Acme"))
    assert str(calendar["method"]) == "CANCEL"
    assert str(event["status"]) == "CANCELLED"
    assert event.decoded("sequence") == 2
    assert str(event["uid"]) == "meeting-42@127.0.0.1"  # PUBLIC_WEB_URL unset: the default host
    assert event.decoded("dtstart") == utc(2027, 3, 29, 7, 0)


@pytest.mark.parametrize("name", [
    'Doe, Jane "JJ"',
    "Eve\r\nATTENDEE:mailto:evil@attacker.test",
    "Eve\nEND:VEVENT\nBEGIN:VEVENT\nATTENDEE;CN=x:mailto:evil@attacker.test",
    'a";ROLE=CHAIR;CN="b',
    "semi;colon:colon\\back^caret",
    "Ünïcødé 名前 " + "long " * 40,
])
def test_a_visitors_name_cannot_break_the_invitation(name):
    text = booking.ics(meeting(visitor_name=name), "REQUEST", "link", "Acme, Inc; \"Best\"\nCorp")
    calendar, event = parsed(text)
    assert len(calendar.walk("VEVENT")) == 1
    attendee = event["attendee"]
    assert not isinstance(attendee, list)  # one ATTENDEE
    assert str(attendee) == "mailto:maria@brightdental.test"
    assert attendee.params["CN"] == " ".join(name.split())[:100]
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert str(event["organizer"]) == "mailto:ann@acme.io"
    assert "evil@attacker.test" not in [str(value) for _, value in event.property_items()]
    assert text.count("\r\nATTENDEE") == 1 and text.count("\r\nBEGIN:VEVENT\r\n") == 1
    assert str(event["summary"]) == "Call with Acme, Inc; \"Best\"\nCorp"  # the company's text, escaped


def test_an_invitation_without_a_name_has_an_attendee_without_cn():
    event = parsed(booking.ics(meeting(visitor_name=None), "REQUEST", "link", "Acme"))[1]
    assert str(event["attendee"]) == "mailto:maria@brightdental.test" and "CN" not in event["attendee"].params


def test_a_zone_is_named_as_a_visitor_says_it():
    assert [booking.zone_name(name) for name in ("America/New_York", "Europe/Berlin", None, "Nowhere/Land")] == [
        "New York", "Berlin", "UTC", "UTC"]
