"""Time as visitors write it: months ahead to the nearest deadline, read against a fixed today."""
import datetime as dt

import pytest

from bot.conversation import deadlines

TODAY = dt.date(2026, 11, 26)  # a Thursday, and Thanksgiving
TOLERANCE = 0.1  # months, about three days


def on(year, month, day):
    return (dt.date(year, month, day) - TODAY).days / deadlines.DAYS_PER_MONTH


def days(n):
    return n / deadlines.DAYS_PER_MONTH


def weeks(n):
    return days(7 * n)


# The answers that were missed before (issue 8): each one now has a deadline.
MISSED = [
    ("two weeks", weeks(2)),
    ("before Black Friday", on(2026, 11, 27)),
    ("next spring, before the hospital project starts", on(2027, 3, 1)),
    ("by the 3rd", on(2026, 12, 3)),
    ("before Christmas", on(2026, 12, 25)),
    ("in a fortnight", weeks(2)),
    ("before summer", on(2027, 6, 1)),
    ("by 01/15", on(2027, 1, 15)),
    ("Our contract renews on January 15", on(2027, 1, 15)),
]

READS = MISSED + [
    # numbers in words, durations and vague amounts
    ("three months", 3.0),
    ("in eighteen months", 18.0),
    ("twenty-one days from now", days(21)),
    ("within the next two months", 2.0),
    ("in six weeks' time", weeks(6)),
    ("within 30 days", days(30)),
    ("within 30 days of today", days(30)),
    ("in the next 6 weeks", weeks(6)),
    ("in a couple of weeks", weeks(2)),
    ("a couple weeks max", weeks(2)),
    ("a few months", 3.0),
    ("in 3 weeks", weeks(3)),
    ("2-3 weeks", weeks(2)),
    ("a week or two", weeks(1)),
    ("we have two weeks before the board meets", weeks(2)),
    ("within 48 hrs", days(2)),
    ("in 2 wks", weeks(2)),
    ("about 6 mos", 6.0),
    ("half a year", 6.0),
    ("a year and a half", 18.0),
    ("within a fortnight ideally", weeks(2)),
    ("hmm, maybe in the coming weeks", weeks(3)),
    # weekdays
    ("by Friday", on(2026, 11, 27)),
    ("next tuesday", on(2026, 12, 1)),
    ("by wed", on(2026, 12, 2)),
    ("by thrusday", on(2026, 12, 3)),
    ("monday at the latest", on(2026, 11, 30)),
    ("tmrw if possible", on(2026, 11, 27)),
    # days of the month, numeric dates
    ("on the 21st", on(2026, 12, 21)),
    ("by the 15th of next month", on(2026, 12, 15)),
    ("the 30th", on(2026, 11, 30)),
    ("by the first", on(2026, 12, 1)),
    ("01/15", on(2027, 1, 15)),
    ("15.01.", on(2027, 1, 15)),
    ("2027-01-15", on(2027, 1, 15)),
    ("due 12/15", on(2026, 12, 15)),
    ("15/01/2027", on(2027, 1, 15)),
    # months, with and without days
    ("January 15", on(2027, 1, 15)),
    ("15 january", on(2027, 1, 15)),
    ("the deadline is december 1st", on(2026, 12, 1)),
    ("by march 15, 2027", on(2027, 3, 15)),
    ("end of March", on(2027, 3, 31)),
    ("mid-April", on(2027, 4, 15)),
    ("by end of January", on(2027, 1, 31)),
    ("in march", on(2027, 3, 1)),
    ("by febuary", on(2027, 2, 1)),
    ("we may need it by may", on(2027, 5, 1)),
    ("i think may or june", on(2027, 5, 1)),
    ("before our audit in March", on(2027, 3, 1)),
    ("by March 2028", on(2028, 3, 1)),
    # quarters, halves, fiscal years
    ("Q2", on(2027, 4, 1)),
    ("end of Q1", on(2027, 3, 31)),
    ("next quarter", on(2027, 1, 1)),
    ("by the end of q4", on(2026, 12, 31)),
    ("q1 2027", on(2027, 1, 1)),
    ("FY27", 12.0),
    ("by fy27", on(2027, 1, 1)),
    ("end of the fiscal year", on(2026, 12, 31)),
    ("before the new fiscal year", on(2027, 1, 1)),
    # weeks, months, years
    ("this month", on(2026, 11, 30)),
    ("end of teh month", on(2026, 11, 30)),
    ("eom", on(2026, 11, 30)),
    ("this week", on(2026, 11, 29)),
    ("by the weekend", on(2026, 11, 28)),
    ("end of next week", on(2026, 12, 6)),
    ("nxt week", on(2026, 11, 30)),
    ("the week after next", on(2026, 12, 7)),
    ("by next Friday", on(2026, 12, 4)),
    ("next year", 12.0),
    ("sometime next year", 12.0),
    ("by next year", on(2027, 1, 1)),
    ("end of the year", on(2026, 12, 31)),
    ("later this year", on(2026, 12, 31)),
    ("sometime in 2029", 36.0),
    # seasons
    ("this autumn", on(2026, 11, 30)),
    ("this fall", on(2026, 11, 30)),
    ("this winter", on(2026, 12, 1)),
    ("over the summer", on(2027, 6, 1)),
    ("i guess in the spring sometime", on(2027, 3, 1)),
    # holidays and shopping events
    ("we need it live before black friday or we lose the season", on(2026, 11, 27)),
    ("b4 xmas", on(2026, 12, 25)),
    ("cyber monday", on(2026, 11, 30)),
    ("before thanksgiving", 0.0),
    ("by new year", on(2027, 1, 1)),
    ("in time for valentines day", on(2027, 2, 14)),
    ("probably around easter", on(2027, 3, 28)),
    ("over the holidays", on(2026, 12, 20)),
    ("halloween", on(2027, 10, 31)),
    # urgency
    ("ASAP", 0.0),
    ("asap!!", 0.0),
    ("urgently", 0.0),
    ("as soon as possible please", 0.0),
    ("honestly we needed it yesterday", 0.0),
    ("It's pretty urgent, our boss wants it by the 15th", 0.0),
    ("soon", 1.0),
    ("As soon as the new hires start", 1.0),
    ("Every week we wait, families go without", 0.0),
    # full sentences: past events do not count, the deadline does
    ("our CFO quit two weeks ago and the auditors arrive in January", on(2027, 1, 1)),
    ("we lost our biggest client last week and the board meets in two weeks", weeks(2)),
    ("our hubspot contract runs out at the end of january", on(2027, 1, 31)),
]

# A month naming the event a deadline is set by (a visitor nurtured "with no date" although they gave one).
READS += [
    ("before the January sales", on(2027, 1, 1)),
    ("ahead of our March launch", on(2027, 3, 1)),
    ("we need it for the June conference", on(2027, 6, 1)),
]

NO_DEADLINE = [
    "no rush",
    "whenever",
    "whenever really, no deadline",
    "we may switch someday",
    "we may lose clients if this goes on",
    "march of progress",
    "the march to digital is hard for us",
    "before the march to digital we used paper",
    "we tried monday.com and it was too complex",
    "we sat down with the team last night",
    "not urgent",
    "nothing urgent tbh",
    "24/7 support is a must",
    "like 1/2 of the team uses it",
    "we've been struggling with this for two weeks",
    "it takes 3 weeks to onboard someone",
    "we lose 2 days a week on this",
    "10 years of data in excel",
    "it costs $2,000 a month",
    "the second time it happened we lost a client",
    "3rd party tools don't sync",
    "right now we just use excel",
    "one day maybe",
    "not sure, depends on budget",
    "honestly it's not up to me",
    "yesterday",
    "last tuesday",
    "",
]


def describe(text):
    return f"{text!r} read as {deadlines.explain(text, TODAY)}"


def test_the_table_is_as_large_as_promised():
    assert len(READS) + len(NO_DEADLINE) >= 80 and len(NO_DEADLINE) >= 10


@pytest.mark.parametrize("text,expected", READS, ids=[text for text, _ in READS])
def test_time_is_read_as_people_write_it(text, expected):
    months = deadlines.read(text, TODAY).months
    assert months is not None and abs(months - expected) <= TOLERANCE, describe(text)


@pytest.mark.parametrize("text", NO_DEADLINE)
def test_answers_without_a_deadline_read_as_none(text):
    assert deadlines.read(text, TODAY).months is None, describe(text)


def test_past_times_are_named_but_are_no_deadline():
    for text in ("yesterday", "last tuesday", "our CFO quit two weeks ago", "since january", "in the fall of 2020",
                 "last quarter we lost 3 clients"):
        reading = deadlines.read(text, TODAY)
        assert reading.names_a_time and reading.months is None, describe(text)
    assert not deadlines.read("no idea really", TODAY).names_a_time


@pytest.mark.parametrize("text,expected", [
    ("Our contract renews on January 15", on(2027, 1, 15)),
    ("our trial ends friday", on(2026, 11, 27)),
    ("we're on a 14 day free trial that ends next week", on(2026, 11, 30)),
    ("the salesforce subscription expires end of next month", on(2026, 12, 31)),
    ("our contract is up for renewal in march", on(2027, 3, 1)),
    ("license renewal is in Q1", on(2027, 1, 1)),
    ("contract expires 31.12.", on(2026, 12, 31)),
    ("the lease ends in 18 months", 18.0),
    ("our contract with them is up at some point", None),
    ("Our trial of the other tool ends next Thursday", on(2026, 12, 3)),
    ("ASAP - our current contract ends on the 30th", 0.0),
])
def test_renewals_contract_ends_and_trial_ends_are_signalled_with_their_date(text, expected):
    reading = deadlines.read(text, TODAY)
    assert reading.renewal, describe(text)
    renewal = reading.renewal_months
    assert (renewal is None) if expected is None else abs(renewal - expected) <= TOLERANCE, describe(text)


def test_a_renewal_is_dated_only_by_its_own_sentence():
    reading = deadlines.read("Our supplier made it a condition of renewal. We need it before our audit in March.",
                             TODAY)
    assert reading.renewal and reading.renewal_months is None
    assert reading.months == pytest.approx(on(2027, 3, 1))


def test_other_endings_are_not_renewals():
    for text in ("the term ends in june", "the plan is to finish by june", "we run a renewable energy company",
                 "no contract, we pay month to month", "two weeks", "our 3PL contract ended last month",
                 "our trial expired in october"):
        assert not deadlines.read(text, TODAY).renewal, describe(text)


def test_dateparser_reads_calendar_dates_and_our_table_the_rest():
    sources = {text: [m.source for m in deadlines.read(text, TODAY).mentions]
               for text in ("January 15", "by Friday", "before Christmas", "end of Q1", "in a fortnight")}
    assert sources == {"January 15": ["dateparser"], "by Friday": ["dateparser"], "before Christmas": ["holiday"],
                       "end of Q1": ["period"], "in a fortnight": ["duration"]}


def test_the_reading_depends_only_on_the_text_and_today():
    assert deadlines.read("by Friday", dt.date(2026, 11, 30)).months == pytest.approx(days(4))
    after_black_friday = dt.date(2026, 11, 28)
    next_one = (dt.date(2027, 11, 26) - after_black_friday).days / deadlines.DAYS_PER_MONTH
    assert deadlines.read("before Black Friday", after_black_friday).months == pytest.approx(next_one)
    assert deadlines.read("BY FRIDAY", TODAY) == deadlines.read("by friday", TODAY)


def test_a_story_of_events_tells_what_is_still_to_come():
    story = deadlines.read("our CFO quit on monday and the audit is on friday", TODAY)
    assert story.months_to_coming_event == pytest.approx(on(2026, 11, 27))
    for text in ("On Monday our CFO quit", "this week we lost our biggest client", "they yelled at us this morning"):
        reading = deadlines.read(text, TODAY)
        assert reading.months is not None and reading.months_to_coming_event is None, describe(text)


def test_odd_input_reads_as_no_deadline_rather_than_failing():
    assert deadlines.read("1/" * 2000, TODAY).months is None
    assert deadlines.read(None, TODAY).months is None
