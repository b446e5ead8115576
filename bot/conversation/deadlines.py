"""Deadlines as visitors write them: how many months ahead the nearest date in an answer lies, and whether
the answer speaks of a renewal, a contract end or a trial end.

Pure: `read(text, today)` depends on nothing but its arguments (no clock, no network).

dateparser (English only) reads calendar dates ("January 15", "15 Jan 2027", "by 01/15", "2027-01-15"),
weekdays ("by Friday"), "tomorrow" and months ("in March"). Our own table reads what it does not read, or
misreads: durations in words and in context ("two weeks", "a couple of months", "in a fortnight", but not "for
two weeks", "two weeks ago" or "a year of data"), days of the month without a month ("by the 3rd"), dotted dates
("15.01."), periods and where in them ("end of March", "mid-April", "Q2", "end of Q1", "next quarter", "FY27",
"the January sales" as a deadline, read at the start of that month,
"end of the fiscal year", "this month", "later this year"), "next Friday" (Friday of next week), seasons,
holidays and shopping events, and urgency ("ASAP", "urgently", "as soon as the new hires start"). Words that are
only sometimes dates count only where they are used as dates: "we may lose clients", "the march to digital",
"we sat down", "24/7" and "1/2 of the team" name no date.

Conventions, so that every reading can be explained:
- months ahead = days ahead / 30.44; a duration counts in its own unit ("in 3 months" is 3.0);
- a period that has begun ("this month", "this autumn", "Q4" in November) is read at its end; one still to
  come at its start ("next spring" is 1 March, "before summer" 1 June, "Q2" 1 April), except a whole year,
  which lies a year ahead per year ("next year", "in 2028") unless it is a limit ("by 2027" is 1 January);
  "end of", "late", "mid", "early" and "start of" place the date inside the period;
- seasons are the northern hemisphere's meteorological ones; quarters and fiscal years are calendar ones
  (a visitor's own fiscal calendar is unknown); holidays are the US dates where countries differ;
- a date in the past ("yesterday", "last week", "two weeks ago", "in March 2025") is a mention with no
  months ahead: the answer named a time, but no deadline;
- a renewal, contract end or trial end is dated by the dates in its own sentence.
"""
from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional, Tuple

from dateutil.easter import easter

DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Mention:
    text: str  # as found in the lower-cased answer
    months: Optional[float]  # months ahead; None for a time in the past
    source: str  # "dateparser" or the rule of our own that read it
    under_way: bool = False  # "this week", "this morning": the time that is going on, not a date ahead
    told_as_past: bool = False  # in a clause told in the past tense: "on Monday our CFO quit"


@dataclass(frozen=True)
class Reading:
    months: Optional[float]  # the nearest deadline ahead, None when the answer names none
    renewal: bool  # a renewal, a contract end or a trial end still to come is mentioned
    mentions: Tuple[Mention, ...]  # every time the answer names, past ones included
    renewal_months: Optional[float] = None  # the nearest date ahead in a sentence that speaks of the renewal

    @property
    def names_a_time(self) -> bool:
        return bool(self.mentions)

    @property
    def overdue(self) -> bool:
        """Only past times, not told as events: "yesterday, honestly" answering when they need it."""
        return bool(self.mentions) and all(m.months is None and not m.told_as_past for m in self.mentions)

    @property
    def months_to_coming_event(self) -> Optional[float]:
        """The nearest date told as still to come: what a story of events ("On Monday our CFO quit, and the
        auditors arrive in January") says is ahead, leaving out when things happened and the time under way."""
        ahead = [m.months for m in self.mentions if m.months is not None and not (m.under_way or m.told_as_past)]
        return min(ahead) if ahead else None


# ---------------------------------------------------------------------------------------------- words

MONTHS = {"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
          "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
          "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12}
WEEKDAYS = {"monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "wednesday": 2, "wed": 2, "thursday": 3, "thu": 3,
            "friday": 4, "fri": 4, "saturday": 5, "sat": 5, "sunday": 6, "sun": 6}
MONTH_WORD = "|".join(sorted(MONTHS, key=len, reverse=True))
WEEKDAY_WORD = "|".join(sorted(WEEKDAYS, key=len, reverse=True))

# Common misspellings and shorthands, rewritten before reading.
TYPOS = {
    "tomorow": "tomorrow", "tommorow": "tomorrow", "tommorrow": "tomorrow", "tmrw": "tomorrow", "tmr": "tomorrow",
    "tomorro": "tomorrow", "febuary": "february", "feburary": "february", "janurary": "january",
    "januray": "january", "janaury": "january", "septmber": "september", "setpember": "september",
    "ocotber": "october", "novmber": "november", "decmber": "december", "decemeber": "december",
    "wensday": "wednesday", "wendsday": "wednesday", "wednsday": "wednesday", "wedensday": "wednesday",
    "weds": "wednesday", "thursay": "thursday", "thrusday": "thursday", "thurs": "thursday", "thur": "thursday",
    "tues": "tuesday", "teusday": "tuesday", "firday": "friday", "fridy": "friday", "frday": "friday",
    "chrismas": "christmas", "christmass": "christmas", "chistmas": "christmas", "crhistmas": "christmas",
    "xmas": "christmas", "x-mas": "christmas", "haloween": "halloween", "thanksgivng": "thanksgiving",
    "fortnite": "fortnight", "fortnigth": "fortnight", "nxt": "next", "teh": "the", "b4": "before",
    "befor": "before", "untill": "until", "til": "until", "till": "until", "summmer": "summer",
    "a.s.a.p.": "asap", "a.s.a.p": "asap",
}
TYPO = re.compile(r"(?<![\w.])(" + "|".join(re.escape(t) for t in sorted(TYPOS, key=len, reverse=True))
                  + r")(?![\w])")

NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
                "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
                "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100}
VAGUE_NUMBERS = {"a couple of": 2, "a couple": 2, "couple of": 2, "couple": 2, "a few": 3, "few": 3, "several": 4,
                 "a handful of": 4, "handful of": 4, "one and a half": 1.5, "half a": 0.5, "half an": 0.5,
                 "a": 1, "an": 1}
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
NUMBER = (r"(?:\d+(?:\.\d+)?|(?:" + _TENS + r")(?:[- ](?:" + _UNITS + r"))?|ten|eleven|twelve|thirteen|fourteen"
          r"|fifteen|sixteen|seventeen|eighteen|nineteen|hundred|" + _UNITS + "|"
          + "|".join(re.escape(v) for v in sorted(VAGUE_NUMBERS, key=len, reverse=True)) + ")")
UNIT_MONTHS = {"hour": 1 / 24 / DAYS_PER_MONTH, "day": 1 / DAYS_PER_MONTH, "week": 7 / DAYS_PER_MONTH,
               "fortnight": 14 / DAYS_PER_MONTH, "month": 1.0, "quarter": 3.0, "year": 12.0}
UNIT = (r"(?P<unit>hours?|hrs?|days?|weeks?|weeeks?|weks?|wks?|fortnights?|months?|mnths?|mths?|monts?|mos?"
        r"|quarters?|qtrs?|years?|yrs?)")

ORDINAL_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
                 "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
                 "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
                 "nineteenth": 19, "twentieth": 20, "twenty-first": 21, "twenty-second": 22, "twenty-third": 23,
                 "twenty-fourth": 24, "twenty-fifth": 25, "twenty-sixth": 26, "twenty-seventh": 27,
                 "twenty-eighth": 28, "twenty-ninth": 29, "thirtieth": 30, "thirty-first": 31}

# Words that may stand around a time without making it part of a longer phrase ("maybe two weeks, tops").
LEAD_FILLERS = (r"(?:maybe|probably|ideally|hopefully|realistically|honestly|roughly|about|around|approximately"
                r"|approx|like|say|um+|uh+|hmm+|ok|okay|well|yeah|yes|i think|i guess|i'd say|definitely"
                r"|sometime|some time|within|in|by|before|until|the|max|maximum|at most|under|less than"
                r"|no more than|no later than|not later than|latest|only|just|due|on|for|around the)")
TRAIL_FILLERS = (r"(?:at the latest|at the very latest|latest|tops|max|or so|-?ish|ideally|hopefully|probably"
                 r"|i think|i guess|if possible|at most|or sooner|or earlier|would be (?:great|ideal|good|nice"
                 r"|best|perfect)|is fine|works|please|from now|from today|out|away|to go|left|realistically"
                 r"|or less|or two|or three|at the earliest|would work|is the deadline|is our deadline|time)")
CLAUSE_START = re.compile(r"(?:^|[,.;:!?()]|\b(?:and|or|but|so|then|because|as|is|it's|its|was|be|deadline)\b)"
                          r"\s*(?:" + LEAD_FILLERS + r"\s+)*$")
CLAUSE_END = re.compile(r"\s*(?:" + TRAIL_FILLERS + r"\b\s*)*'?(?:$|[,.;:!?()]|-\s|\b(?:and|or|but|so|because"
                        r"|since|when|if|otherwise|then)\b)")
NEGATED = re.compile(r"(?:\bnot|\bno|\bnothing|n't|\bisnt|\barent|\bnever|\bhardly|\bwithout)\b(?:\s+\w+){0,3}\s*$")


def _standalone(text: str, start: int, end: int) -> bool:
    """The time is a phrase of its own: it starts a clause (after fillers) and ends one."""
    return bool(CLAUSE_START.search(text[:start]) and CLAUSE_END.match(text[end:]))


# ------------------------------------------------------------------------------------------- calendar

def _months_until(day: dt.date, today: dt.date) -> Optional[float]:
    days = (day - today).days
    return None if days < 0 else days / DAYS_PER_MONTH


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th `weekday` of a month (n = -1: the last)."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = _last_day(year, month)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _thanksgiving(year: int) -> dt.date:
    return _nth_weekday(year, 11, 3, 4)


LUNAR_NEW_YEAR = {2025: (1, 29), 2026: (2, 17), 2027: (2, 6), 2028: (1, 26), 2029: (2, 13), 2030: (2, 3),
                  2031: (1, 23), 2032: (2, 11)}


def _fixed(month: int, day: int) -> Callable[[int], dt.date]:
    return lambda year: dt.date(year, month, day)


# Holidays and shopping events: a pattern and the date in a given year (None: unknown that year).
HOLIDAYS: List[Tuple[str, Callable[[int], Optional[dt.date]]]] = [
    (r"christmas eve", _fixed(12, 24)),
    (r"boxing day", _fixed(12, 26)),
    (r"christmas(?:time| time| day| holidays?| break| season| rush| peak)?", _fixed(12, 25)),
    (r"new year'?s'? eve|nye", _fixed(12, 31)),
    (r"(?:lunar|chinese) new year", lambda y: dt.date(y, *LUNAR_NEW_YEAR[y]) if y in LUNAR_NEW_YEAR else None),
    (r"(?:the )?new year'?s'?(?: day)?|(?:the )?new years?", _fixed(1, 1)),
    (r"(?:the )?holiday(?:s| season| rush| period| peak| shopping season)|(?:the )?festive season", _fixed(12, 20)),
    (r"black friday(?:[ /&-]+cyber monday)?|bfcm", lambda y: _thanksgiving(y) + dt.timedelta(days=1)),
    (r"small business saturday", lambda y: _thanksgiving(y) + dt.timedelta(days=2)),
    (r"cyber monday|cyber week(?:end)?", lambda y: _thanksgiving(y) + dt.timedelta(days=4)),
    (r"thanksgiving(?: day| weekend| break)?", _thanksgiving),
    (r"hall?oween", _fixed(10, 31)),
    (r"(?:st\.? |saint )?valentine'?s?'?(?: day)?", _fixed(2, 14)),
    (r"(?:st\.? |saint )patrick'?s?(?: day)?|paddy'?s day", _fixed(3, 17)),
    (r"good friday", lambda y: easter(y) - dt.timedelta(days=2)),
    (r"easter(?: sunday| weekend| holidays?| break| monday)?", easter),
    (r"mother'?s'? day", lambda y: _nth_weekday(y, 5, 6, 2)),
    (r"father'?s'? day", lambda y: _nth_weekday(y, 6, 6, 3)),
    (r"memorial day", lambda y: _nth_weekday(y, 5, 0, -1)),
    (r"labou?r day", lambda y: _nth_weekday(y, 9, 0, 1)),
    (r"independence day|(?:the )?(?:4th|fourth) of july|july (?:4th|fourth)", _fixed(7, 4)),
    (r"prime day", _fixed(7, 15)),  # Amazon moves it every year: mid-July is near enough
    (r"back[- ]to[- ]school(?: season)?", _fixed(8, 15)),
    (r"singles'? day", _fixed(11, 11)),
    (r"tax day", _fixed(4, 15)),
]
HOLIDAY = re.compile(r"\b(?:(?P<rel>last|this|next|the coming|this coming|this past)\s+)?(?P<name>"
                     + "|".join(f"(?:{pattern})" for pattern, _ in HOLIDAYS)
                     + r")(?:\s+(?:of\s+)?(?P<year>20\d\d))?(?![\w'])")
HOLIDAY_PARTS = [re.compile(f"(?:{pattern})$") for pattern, _ in HOLIDAYS]

SEASONS = {"spring": 3, "springtime": 3, "summer": 6, "summertime": 6, "autumn": 9, "fall": 9, "winter": 12,
           "wintertime": 12}


# -------------------------------------------------------------------------------------------- periods

Span = Tuple[dt.date, dt.date]
PAST_RELATIONS = {"last", "past", "previous", "this past"}
NEXT_RELATIONS = {"next", "following", "coming", "upcoming", "this coming", "new"}
LIMIT_PREPOSITIONS = {"by", "before", "until", "prior to", "ahead of", "no later than", "not later than"}
POSITIONS = {"end": 1.0, "close": 1.0, "later": 1.0, "late": 0.8, "latter part": 0.8, "mid": 0.5, "middle": 0.5,
             "early": 0.15, "start": 0.0, "beginning": 0.0}

PERIOD = re.compile(
    r"\b(?:(?P<prep>by|before|until|in|during|over|within|for|from|after|around|at|sometime in|some time in"
    r"|no later than|not later than|prior to|ahead of|through|thru|starting)\s+)?"
    r"(?:the\s+)?(?:(?:(?P<qual>end|close|start|beginning|middle|latter part)\s+of\s+"
    r"|(?P<qual2>early|mid|later|late|end)(?:\s*-\s*|\s+))(?:the\s+)?)?"
    r"(?:(?P<rel>this coming|this past|this|next|last|past|previous|coming|following|current|upcoming|new)\s+)?"
    r"(?:"
    r"(?P<alias>eom|eoq|eoy|eow|month[- ]end|quarter[- ]end|fiscal year[- ]end|fiscal[- ]year[- ]end|fye"
    r"|year[- ]end|financial year[- ]end)"
    r"|(?P<q>q[1-4])(?:\s*(?:'|/|-)?\s*(?P<qy>20\d\d|\d\d)\b|\s+fy\s*'?(?P<qfy>20\d\d|\d\d))?"
    r"|(?P<qord>first|second|third|fourth|1st|2nd|3rd|4th|final) (?:quarter|qtr)"
    r"(?:\s+of\s+(?:the\s+)?(?P<qordy>this year|next year|year|20\d\d))?"
    r"|(?P<h>h[12])(?:\s*'?(?P<hy>20\d\d|\d\d)\b)?"
    r"|(?P<hord>first|second|1st|2nd|latter|back) half(?:\s+of\s+(?:the\s+)?(?P<hordy>this year|next year|year"
    r"|20\d\d))?"
    r"|(?:fy|fiscal(?:\s+year)?|financial\s+year)\s*'?(?P<fy>20\d\d|\d\d)\b"
    r"|(?P<unit>weekend|week|month|quarter|qtr|fiscal year|financial year|fiscal|year)"
    r"|(?P<season>springtime|spring|summertime|summer|autumn|fall|wintertime|winter)(?:\s+(?:of\s+)?(?P<sy>20\d\d))?"
    r"|(?P<month>" + MONTH_WORD + r")\.?(?:\s+(?:of\s+)?(?P<my>20\d\d))?"
    r"|(?P<year>20\d\d)"
    r")(?![\w/])")


def _year(text: Optional[str], today: dt.date) -> Optional[int]:
    if not text:
        return None
    if text in ("this year", "year"):
        return today.year
    if text == "next year":
        return today.year + 1
    return int(text) if len(text) == 4 else 2000 + int(text)


def _week(today: dt.date, offset: int) -> Span:
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=offset)
    return monday, monday + dt.timedelta(days=6)


def _weekend(today: dt.date, offset: int) -> Span:
    monday = _week(today, offset)[0]
    return monday + dt.timedelta(days=5), monday + dt.timedelta(days=6)


def _month(year: int, month: int) -> Span:
    return dt.date(year, month, 1), _last_day(year, month)


def _quarter(year: int, quarter: int) -> Span:
    return dt.date(year, 3 * quarter - 2, 1), _last_day(year, 3 * quarter)


def _half(year: int, half: int) -> Span:
    return dt.date(year, 6 * half - 5, 1), _last_day(year, 6 * half)


def _year_span(year: int) -> Span:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _season(year: int, first_month: int) -> Span:
    start = dt.date(year, first_month, 1)
    end_month, end_year = (first_month + 1) % 12 + 1, year + (first_month == 12)
    return start, _last_day(end_year, end_month)


def _point(span: Span, position: Optional[float]) -> dt.date:
    start, end = span
    return start + dt.timedelta(days=round((position or 0.0) * (end - start).days))


Period = Tuple[Optional[float], bool]  # months ahead, whether it is the period under way


def _in_period(span: Span, qual: Optional[str], prep: Optional[str], today: dt.date,
               whole_year: bool = False) -> Period:
    """Months ahead to the date a period stands for, by the conventions in the module's docstring."""
    start, end = span
    if qual:
        return _months_until(_point(span, POSITIONS[qual]), today), False
    if start <= today <= end:
        return _months_until(end, today), prep not in LIMIT_PREPOSITIONS
    if start > today and whole_year and prep not in LIMIT_PREPOSITIONS:
        return 12.0 * (start.year - today.year), False
    return _months_until(start, today), False


def _named(spans: Iterator[Span], rel: Optional[str], qual: Optional[str], prep: Optional[str],
           today: dt.date) -> Period:
    """A named period without a year ("Q2", "spring", "end of March"): the next one, or the one under way."""
    if rel in PAST_RELATIONS:
        return None, False
    for span in spans:
        if rel in NEXT_RELATIONS and span[0] <= today:
            continue
        months, under_way = _in_period(span, qual, prep, today)
        if months is not None:
            return months, under_way
    return None, False


def _read_period(match: re.Match, text: str, today: dt.date) -> Optional[Period]:
    """The months ahead a period stands for, None if the match is not used as a time."""
    g = match.groupdict()
    prep, qual, rel = g["prep"], g["qual"] or g["qual2"], g["rel"]
    qual = "mid" if qual == "middle" else "start" if rel == "new" and not qual else qual  # "the new fiscal year"
    years = range(today.year - 1, today.year + 3)
    context = bool(prep or qual or rel)
    if rel in PAST_RELATIONS:
        return None, False
    if g["alias"]:
        alias = g["alias"].replace("-", " ")
        if alias in ("eow",):
            return _months_until(_week(today, 0)[1], today), False
        if alias in ("eom", "month end"):
            return _months_until(_month(today.year, today.month)[1], today), False
        if alias in ("eoq", "quarter end"):
            return _months_until(_quarter(today.year, (today.month - 1) // 3 + 1)[1], today), False
        return _months_until(dt.date(today.year, 12, 31), today), False
    if g["q"] or g["qord"]:
        quarter = int(g["q"][1]) if g["q"] else {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
                                                   "fourth": 4, "4th": 4, "final": 4}[g["qord"]]
        year = _year(g["qy"] or g["qfy"] or g["qordy"], today)
        if year:
            return _in_period(_quarter(year, quarter), qual, prep, today)
        return _named((_quarter(y, quarter) for y in years), rel, qual, prep, today)
    if g["h"] or g["hord"]:
        half = 1 if (g["h"] or g["hord"]) in ("h1", "first", "1st") else 2
        year = _year(g["hy"] or g["hordy"], today) or (today.year if g["hord"] else None)
        if year:
            return _in_period(_half(year, half), qual, prep, today)
        return _named((_half(y, half) for y in years), rel, qual, prep, today)
    if g["fy"]:
        year = _year(g["fy"], today)
        return _in_period(_year_span(year), qual, prep, today, whole_year=True)
    if g["unit"]:
        if not (qual or rel or prep in LIMIT_PREPOSITIONS | {"within", "during", "over", "through", "thru"}
                or _standalone(text, match.start(), match.end())):
            return None  # "close the month", "for the year" name no time
        offset = 1 if rel in NEXT_RELATIONS else 0
        unit = g["unit"]
        if unit == "week":
            span = _week(today, offset)
        elif unit == "weekend":
            span = _weekend(today, offset)
        elif unit == "month":
            span = _month(today.year + (today.month + offset - 1) // 12, (today.month + offset - 1) % 12 + 1)
        elif unit in ("quarter", "qtr"):
            index = (today.month - 1) // 3 + offset
            span = _quarter(today.year + index // 4, index % 4 + 1)
        else:  # year, fiscal year
            span = _year_span(today.year + offset)
        return _in_period(span, qual, prep, today, whole_year=unit in ("year", "fiscal year", "financial year",
                                                                        "fiscal"))
    if g["season"]:
        first = SEASONS[g["season"]]
        event = re.match(r"\s+(?:sale|sales|collection|launch|season|rush|break|holidays?|peak|campaign|release"
                         r"|shutdown|intake)\b", text[match.end():])  # "in time for our summer sale"
        if not (context or g["sy"] or event or _standalone(text, match.start(), match.end())):
            return None
        if g["sy"]:
            return _in_period(_season(int(g["sy"]), first), qual, prep, today)
        return _named((_season(y, first) for y in years), rel, qual, prep, today)
    if g["month"]:
        if not qual:
            return None  # a month on its own is dateparser's, behind the guard below
        month = MONTHS[g["month"]]
        if g["my"]:
            return _in_period(_month(int(g["my"]), month), qual, prep, today)
        return _named((_month(y, month) for y in years), rel, qual, prep, today)
    # a year number
    before = text[:match.start()]
    if re.search(r"(?:" + MONTH_WORD + r"|\d)\W{0,3}$", before):
        return None  # "March 15, 2028": the year of a date dateparser reads
    if not (context or _standalone(text, match.start(), match.end())):
        return None
    return _in_period(_year_span(int(g["year"])), qual, prep, today, whole_year=True)


# ------------------------------------------------------------------------------------ our own rules

Found = Tuple[int, int, Optional[float], str]  # start, end, months ahead (None: past), rule

URGENT = re.compile(
    r"\b(?:asap|as soon as (?:possible|we can|humanly possible|feasible|practical|you can|we possibly can)"
    r"|soonest|urgent(?:ly)?|immediate(?:ly)?|right away|straight ?away|at once|the sooner the better"
    r"|sooner rather than later|(?:by |before )?(?:the )?end of (?:the |to)?(?:day|business)|eod|cob"
    r"|close of business|(?:every|each) (?:single )?(?:day|week|month) (?:we wait|that passes|we delay|of delay"
    r"|without (?:it|this|a fix))"
    r"|(?:need(?:ed|s)?|wanted|should have (?:had|done|started|finished|been done|been live))"
    r"(?: (?:it|this|that|one|them|something|a solution))?(?: by| done| live)? yesterday"
    r"|(?:by|before|until|for|need(?:ed|s)? (?:it|this|that|one|them|something) |due )today)\b")
SOON_AS = re.compile(r"\b(?:as soon as|the moment)\b(?= (?:the|our|we|they|it|i|he|she|budget|funding)\b)")
TIME_OF_DAY = re.compile(r"\b(?:this (?:morning|afternoon|evening)|tonight)\b")
SOON = re.compile(r"\b(?P<very>very |really |pretty |quite |fairly )?(?:soon(?:ish)?|shortly)\b")
PAST_WORDS = re.compile(
    r"\b(?:yesterday|the other day|last night|earlier (?:today|this (?:week|month|year|quarter))"
    r"|(?:last|past|previous|this past)\s+(?:" + WEEKDAY_WORD + r")s?"
    r"|(?:last|past|previous|this past) (?:" + MONTH_WORD + r")"
    r"|since (?:the )?(?:(?:\d{1,2}(?:st|nd|rd|th)? (?:of )?)?(?:" + MONTH_WORD + r")|" + WEEKDAY_WORD + r")"
    r"(?: \d{1,2}(?:st|nd|rd|th)?)?)\b")
DURATION = re.compile(r"(?<![\w$€£])(?P<count>" + NUMBER + r"(?:\s*(?:-|–|to|or)\s*" + NUMBER + r")?)\s*-?\s*"
                      + UNIT + r"(?P<half>\s+and\s+a\s+half)?(?:\s+or\s+(?:two|so|three|more|less|\d+))?"
                      r"(?:'s?)?\b")
BARE_FORTNIGHT = re.compile(r"\b(?:the\s+)?fortnight\b")
VAGUE_PLURAL = re.compile(r"\b(?:in |within |over |during )?the (?:coming|next|following|upcoming) "
                          r"(?P<unit>days|weeks|months)\b")
FUTURE_BEFORE = re.compile(
    r"(?:^|\W)(?:in|within|inside(?: of)?|next|the next|the coming|the following|another|a further|have|has"
    r"|got|give us|gives us|giving us|give it|due in|about|around|roughly|approximately|approx|max|maximum|at most"
    r"|under|less than|no more than|no later than|not later than|only|just|like|in about|in around"
    r"|by|before|until)\s+$")
PAST_DURATION_BEFORE = re.compile(r"(?:^|\W)(?:been|past|last|over the past|over the last|the past|the last"
                                  r"|in the last|in the past|within the last)\s+$")
NOT_AHEAD_BEFORE = re.compile(r"(?:^|\W)(?:for|spent|spend|took|taken|takes|take|since|lost|lose|losing|wasted"
                              r"|waste|save|saving|saves|every|each|per|a|times|of|after)\s+$")
SUFFIX_PAST = re.compile(r"\s+(?:ago|back|earlier|prior)\b")
SUFFIX_NOT_A_DATE = re.compile(r"\s*(?:'s\s+)?(?:of|old|long|in a row|straight|late|behind|overdue|running|per|each"
                               r"|instead|more|extra|on|off|free|paid|every|a (?:day|week|month|year)|worth|notice"
                               r"|delay|trial|contract|subscription|project|turnaround|backlog|rollout|pilot"
                               r"|onboarding|implementation)\b")
SUFFIX_RELATIVE = re.compile(r"\s+(?:later|before|after|into|prior to)\b")  # "two weeks before the audit"
SUFFIX_FUTURE = re.compile(r"\s+(?:from now|from today|of today|of now|out|away|to go|left|time|'s time|' time|tops"
                           r"|max)\b")
ORDINAL = re.compile(r"\b(?:(?P<prep>by|on|before|until|due|for|no later than|not later than)\s+)?(?P<the>the\s+)?"
                     r"(?:(?P<day>\d{1,2})(?:st|nd|rd|th)|(?P<word>"
                     + "|".join(sorted(ORDINAL_WORDS, key=len, reverse=True)).replace("-", "[- ]")
                     + r"))\b(?:\s+of\s+(?P<which>this|next|the)\s+month)?")
DOTTED = re.compile(r"(?<![\d.])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>20\d\d|\d\d)?(?![\d])")
SLASHED = re.compile(r"(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<y>\d{2}|\d{4}))?(?![\d/])")


def _count(text: str) -> float:
    """The number in "two", "2-3" (the nearer end), "a couple of", "twenty-one", "1.5", "one and a half"."""
    text = text.strip()
    for vague, value in sorted(VAGUE_NUMBERS.items(), key=lambda item: -len(item[0])):
        if text == vague:
            return float(value)
    first = re.split(r"\s+(?:to|or)\s+|\s*–\s*|(?<=\d)\s*-\s*(?=\d)", text, maxsplit=1)[0]
    if re.fullmatch(r"\d+(?:\.\d+)?", first):
        return float(first)
    if first in VAGUE_NUMBERS:
        return float(VAGUE_NUMBERS[first])
    return float(sum(NUMBER_WORDS.get(part, 0) for part in re.split(r"[- ]", first))) or 1.0


def _durations(text: str) -> Iterator[Found]:
    for match in DURATION.finditer(text):
        before, after = text[:match.start()], text[match.end():]
        count_text, unit = match.group("count"), match.group("unit").rstrip("s")
        unit = {"hr": "hour", "wk": "week", "weeek": "week", "wek": "week", "mth": "month", "mnth": "month",
                "mont": "month", "mo": "month", "qtr": "quarter", "yr": "year"}.get(unit, unit)
        if SUFFIX_PAST.match(after) or PAST_DURATION_BEFORE.search(before):
            yield match.start(), match.end(), None, "duration"  # "two weeks ago", "the past 3 months"
            continue
        ahead = FUTURE_BEFORE.search(before) or SUFFIX_FUTURE.match(after)
        if SUFFIX_NOT_A_DATE.match(after) and not SUFFIX_FUTURE.match(after):
            continue  # "a year of data", "2 days instead of 8", "a 30-day trial"
        if SUFFIX_RELATIVE.match(after) and not ahead:
            continue  # "two weeks before the audit": before an unknown date; "we have two weeks before it" counts
        if not ahead and (NOT_AHEAD_BEFORE.search(before) or not _standalone(text, match.start(), match.end())):
            continue  # "for two weeks", "3 times a week", "it takes 3 weeks"
        if unit == "day" and count_text in ("one", "a") and not ahead:
            continue  # "one day" is someday
        count = _count(count_text) + (0.5 if match.group("half") else 0.0)
        yield match.start(), match.end(), count * UNIT_MONTHS[unit], "duration"


def _ordinals(text: str, today: dt.date) -> Iterator[Found]:
    for match in ORDINAL.finditer(text):
        before, after = text[:match.start()], text[match.end():]
        if re.search(r"(?:" + MONTH_WORD + r")\.?\s*$", before) or re.match(
                r"\s*(?:of\s+)?(?:" + MONTH_WORD + r")\b", after):
            continue  # "Jan 15th", "15th of January": dateparser reads those
        word = match.group("word")
        if word and not (match.group("prep") and match.group("the")):
            continue  # "the second time" is not a date; "by the second" is
        if not (match.group("prep") or match.group("which") or _standalone(text, match.start(), match.end())):
            continue
        day = int(match.group("day")) if match.group("day") else ORDINAL_WORDS[word.replace(" ", "-")]
        if not 1 <= day <= 31:
            continue
        year, month = today.year, today.month
        if match.group("which") == "next" or day < today.day:
            year, month = year + month // 12, month % 12 + 1
        while day > calendar.monthrange(year, month)[1]:
            year, month = year + month // 12, month % 12 + 1
        yield match.start(), match.end(), _months_until(dt.date(year, month, day), today), "day of the month"


def _dotted(text: str, today: dt.date) -> Iterator[Found]:
    for match in DOTTED.finditer(text):
        day, month = int(match.group("d")), int(match.group("m"))
        if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(2028, month)[1]):
            continue
        if match.group("y"):
            year = int(match.group("y")) if len(match.group("y")) == 4 else 2000 + int(match.group("y"))
            candidates = [year]
        else:
            candidates = [today.year, today.year + 1]
        for year in candidates:
            try:
                months = _months_until(dt.date(year, month, day), today)
            except ValueError:
                continue  # 29.02. in a year without it
            if months is not None or len(candidates) == 1:
                yield match.start(), match.end(), months, "dotted date"
                break


def _holidays(text: str, today: dt.date) -> Iterator[Found]:
    for match in HOLIDAY.finditer(text):
        name = match.group("name")
        resolve = next(fn for part, (_, fn) in zip(HOLIDAY_PARTS, HOLIDAYS) if part.match(name))
        if match.group("rel") in PAST_RELATIONS:
            yield match.start(), match.end(), None, "holiday"
            continue
        years = [int(match.group("year"))] if match.group("year") else [today.year, today.year + 1]
        months = None
        for year in years:
            day = resolve(year)
            months = _months_until(day, today) if day else None
            if months is not None:
                break
        yield match.start(), match.end(), months, "holiday"


def _urgency(text: str) -> Iterator[Found]:
    for match in URGENT.finditer(text):
        if NEGATED.search(text[:match.start()]):
            continue  # "not urgent", "nothing urgent"
        yield match.start(), match.end(), 0.0, "urgency"
    for match in TIME_OF_DAY.finditer(text):
        yield match.start(), match.end(), 0.0, "time of day"  # under way: "they called this morning"
    for match in re.finditer(r"\btoday\b", text):
        if _standalone(text, match.start(), match.end()):
            yield match.start(), match.end(), 0.0, "urgency"  # "Today!" as the answer; not "I'm here today"
    for match in SOON.finditer(text):
        before = text[:match.start()]
        if NEGATED.search(before) or re.search(r"\b(?:as|too|any ?time|how)\s*$", before):
            continue
        yield match.start(), match.end(), 0.5 if match.group("very") else 1.0, "soon"
    for match in SOON_AS.finditer(text):
        if not NEGATED.search(text[:match.start()]):
            yield match.start(), match.end(), 1.0, "soon"  # "as soon as the new hires start": soon, once it does


def _next_weeks(text: str, today: dt.date) -> Iterator[Found]:
    """"The week after next"; "next Friday" is Friday of next week (dateparser reads it as the coming Friday)."""
    for match in re.finditer(r"\b(?:the )?(?P<unit>week|month) after next\b", text):
        if match.group("unit") == "week":
            start = _week(today, 2)[0]
        else:
            start = _month(today.year + (today.month + 1) // 12, (today.month + 1) % 12 + 1)[0]
        yield match.start(), match.end(), _months_until(start, today), "period"
    for match in re.finditer(r"\b(?:by |on |before |until )?next (?P<day>" + WEEKDAY_WORD + r")\b", text):
        day = _week(today, 1)[0] + dt.timedelta(days=WEEKDAYS[match.group("day")])
        yield match.start(), match.end(), _months_until(day, today), "weekday"


def _vague_plurals(text: str) -> Iterator[Found]:
    for match in VAGUE_PLURAL.finditer(text):
        unit = match.group("unit").rstrip("s")
        yield match.start(), match.end(), 3 * UNIT_MONTHS[unit], "duration"
    for match in BARE_FORTNIGHT.finditer(text):
        yield match.start(), match.end(), UNIT_MONTHS["fortnight"], "duration"


def _periods(text: str, today: dt.date) -> Iterator[Found]:
    for match in PERIOD.finditer(text):
        period = _read_period(match, text, today)
        if period is not None:
            months, under_way = period
            yield match.start(), match.end(), months, "period under way" if under_way else "period"


# A month naming an event that a deadline is set by: "before the January sales", "ahead of our March launch".
MONTH_EVENT = re.compile(r"\b(?P<prep>by|before|until|for|ahead of|in time for|prior to|no later than)\s+"
                         r"(?:the|our|their|its|this year's|next year's)\s+(?P<month>" + MONTH_WORD + r")\s+"
                         r"(?P<event>[a-z][a-z-]+)")


def _month_events(text: str, today: dt.date) -> Iterator[Found]:
    years = range(today.year - 1, today.year + 3)
    for match in MONTH_EVENT.finditer(text):
        if match.group("event") in ("of", "and", "or", "to", "through", "thru"):
            continue  # "the January of 2028", a list of months: the other rules read them
        months, _ = _named((_month(y, MONTHS[match.group("month")]) for y in years), None, "start",
                           match.group("prep"), today)
        if months is not None:
            yield match.start(), match.end(), months, "month event"


def _past(text: str) -> Iterator[Found]:
    for match in PAST_WORDS.finditer(text):
        if match.group(0) == "yesterday" and URGENT.search(text[max(0, match.start() - 40):match.end()]):
            continue
        yield match.start(), match.end(), None, "past"


# ------------------------------------------------------------------- words that are sometimes dates

PREPOSITIONS = re.compile(r"\b(?:by|in|before|until|on|of|from|after|during|around|for|due|next|this|coming"
                          r"|early|mid|late|end of|start of|beginning of|middle of|starting|through|thru|deadline is"
                          r"|date is)\s*-?\s*$")
IN_A_LIST = re.compile(r"\b(?:" + MONTH_WORD + "|" + WEEKDAY_WORD + r")\s*(?:and|or|to|-|,|/)\s*$")
AMBIGUOUS_MONTH = re.compile(r"\b(?:" + MONTH_WORD + r")\b")
AMBIGUOUS_WEEKDAY = re.compile(r"\b(?P<day>" + WEEKDAY_WORD + r")(?P<plural>s)?\b")
DAY_AFTER = re.compile(r"\.?\s*(?:the\s+)?\d{1,2}(?:st|nd|rd|th)?\b|\.?\s*,?\s*20\d\d\b")
DAY_BEFORE = re.compile(r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?$")
MAY_AS_VERB = re.compile(r"\s+(?:be|not|or may|have|need|want|also|well|still|lose|switch|take|get|look|as|just|never"
                         r"|only|go|move|end|start|decide|consider|change|come|use|buy)\b")


A_DOMAIN = re.compile(r"\.(?:com|io|app|co|net|org|ai|dev|so|me)\b")  # "monday.com" is a tool, not a weekday


def _used_as_date(text: str, start: int, end: int, word: str) -> bool:
    """A month or weekday name that stands where a date stands: "by March", "March 3", "on Fri", "March."."""
    before, after = text[:start], text[end:]
    if A_DOMAIN.match(after):
        return False
    if DAY_AFTER.match(after) or DAY_BEFORE.search(before):
        return True
    if word == "may" and MAY_AS_VERB.match(after):
        return False  # "by then we may lose them"
    return bool(PREPOSITIONS.search(before) or IN_A_LIST.search(before)) or _standalone(text, start, end)


def _mask(text: str, spans: List[Tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _unsure_words(text: str) -> List[Tuple[int, int]]:
    """Spans of month names, weekdays and n/n numbers that are not used as dates here: dateparser must not see
    them ("we may lose clients", "the march to digital", "we sat down", "every friday", "24/7", "1/2 of us")."""
    masked = []
    for match in AMBIGUOUS_MONTH.finditer(text):
        if not _used_as_date(text, match.start(), match.end(), match.group(0)):
            masked.append(match.span())
    for match in AMBIGUOUS_WEEKDAY.finditer(text):
        day = match.group("day")
        recurring = match.group("plural") or re.search(r"\b(?:every|each)\s+$", text[:match.start()])
        if recurring or A_DOMAIN.match(text[match.end():]) or (
                len(day) <= 3 and not _used_as_date(text, match.start(), match.end(), day)):
            masked.append(match.span())
    for match in SLASHED.finditer(text):
        a, b = int(match.group("a")), int(match.group("b"))
        valid = (1 <= a <= 12 and 1 <= b <= 31) or (1 <= b <= 12 and 1 <= a <= 31)
        as_date = re.search(r"\b(?:by|on|before|until|due|from|after|is|for|the|deadline|date|around)\W*$",
                            text[:match.start()]) or _standalone(text, match.start(), match.end())
        fraction = re.match(r"\s*(?:of|support|coverage|service|split)\b", text[match.end():])
        if not valid or not as_date or fraction or match.group(0) in ("24/7", "50/50"):
            masked.append(match.span())
    return masked


DATE_ANCHOR = re.compile(r"\b(?:" + MONTH_WORD + "|" + WEEKDAY_WORD + r"|tomorrow)\b|\d{1,2}/\d{1,2}|\d{4}-\d\d-\d\d")


@functools.lru_cache(maxsize=1)
def _search_dates() -> Callable:
    from dateparser.search import search_dates  # imported on first use: ~0.5 s

    return search_dates


def _dateparser(text: str, today: dt.date) -> Iterator[Found]:
    if not DATE_ANCHOR.search(text):
        return  # nothing dateparser could add: skip it (and its import)
    settings = {"RELATIVE_BASE": dt.datetime.combine(today, dt.time()), "PREFER_DATES_FROM": "future",
                "PREFER_DAY_OF_MONTH": "first", "RETURN_AS_TIMEZONE_AWARE": False,
                "PARSERS": ["relative-time", "custom-formats", "absolute-time"]}
    try:
        found = _search_dates()(text, languages=["en"], settings=settings) or []
    except Exception:  # odd input ("1/1/1/…" recurses past Python's limit) must not lose the visitor
        return
    cursor = 0
    for phrase, when in found:
        start = text.find(phrase, cursor)
        if start < 0:
            continue
        cursor = start + len(phrase)
        if DATE_ANCHOR.search(phrase):  # "a week", "10 minutes", "at 5pm" alone are no dates
            yield start, cursor, _months_until(when.date(), today), "dateparser"


# ------------------------------------------------------------------------------------------ renewal

RENEWAL = re.compile(
    r"\b(?:re-?new(?:s|al|als|ing)?|up for renewal|auto-?renew\w*|notice period|cancell?ation (?:deadline|window)"
    r"|(?:contract|subscription|licen[cs]e|lease|trial|pilot|agreement|membership)s?"
    r"(?:\s+[\w'-]+){0,4}?\s+(?:ends|ending|end|expires?|expiring|runs? out|running out|is up|are up"
    r"|lapses?|terminates?|finishes|comes to an end|is ending|will end|is expiring|will expire|is up for)"
    r"|(?:end|expiry|expiration|renewal) (?:of|date of|on) (?:our|the|my|their) (?:current )?"
    r"(?:contract|subscription|licen[cs]e|lease|trial|agreement)"
    r"|(?:contract|subscription|licen[cs]e|trial|lease) (?:end|expiry|expiration|renewal) date)\b")


# --------------------------------------------------------------------------------------------- read

def normalise(text: str) -> str:
    text = (text or "").lower().replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")
    return TYPO.sub(lambda match: TYPOS[match.group(1)], text)


UNDER_WAY = ("period under way", "time of day")
CLAUSE_BREAK = re.compile(r"[.;!?]|\b(?:and|but|so|because|since|although|while|when|then|that|who|which)\b")
# A clause told in the past tense: irregular pasts common in why-now stories, and regular "-ed" verbs that do
# not speak of what is wanted or planned ("needed by March", "scheduled for Q2").
PAST_VERB = re.compile(
    r"\b(?:was|were|had|did|quit|left|lost|came|went|got|made|took|began|told|said|sent|found|broke|fell|hit|ran"
    r"|spent|paid|kept|saw|heard|became|grew|blew up|walked out|(?!(?:need|want|plan|schedul|expect|requir|hop"
    r"|aim|target|book|suppos|intend)ed\b)[a-z]{2,}ed)\b")
TOLD_AHEAD = re.compile(r"\b(?:will|'ll|going to|gonna|need|needs|must|have to|has to|should|want|wants|plan|plans"
                        r"|planning|deadline|due|starts?|begins?|arrives?|comes|coming|kicks? in|ends|expires?"
                        r"|renews?|launch(?:es)?|goes live|go live|is|are|'s|'re|next|upcoming|by|before|until)\b")


def _told_as_past(text: str, start: int) -> bool:
    clause_start = max((m.end() for m in CLAUSE_BREAK.finditer(text, 0, start)), default=0)
    following = CLAUSE_BREAK.search(text, start)
    clause = text[clause_start:following.start() if following else len(text)]
    return bool(PAST_VERB.search(clause)) and not TOLD_AHEAD.search(clause)


def _claim(found: List[Found], claimed: List[Found]) -> None:
    for item in sorted(found, key=lambda f: (f[0], -(f[1] - f[0]))):
        if all(item[1] <= other[0] or item[0] >= other[1] for other in claimed):
            claimed.append(item)


@functools.lru_cache(maxsize=2048)
def read(text: Optional[str], today: dt.date) -> Reading:
    """The nearest deadline ahead in `text` (in months from `today`) and whether it speaks of a renewal."""
    said = normalise(text or "")
    claimed: List[Found] = []
    # Each round claims its spans before the next, and within a round the longer reading wins: "Black Friday"
    # before "Friday", "end of the fiscal year" before "year", our readings before dateparser's.
    _claim(list(_past(said)) + list(_holidays(said, today)) + list(_urgency(said)) + list(_month_events(said, today)),
           claimed)
    _claim(list(_periods(said, today)) + list(_ordinals(said, today)) + list(_dotted(said, today)), claimed)
    _claim(list(_durations(said)) + list(_vague_plurals(said)) + list(_next_weeks(said, today)), claimed)
    rest = _mask(said, [(start, end) for start, end, _, _ in claimed] + _unsure_words(said))
    _claim(list(_dateparser(rest, today)), claimed)
    mentions = tuple(Mention(said[start:end].strip(), months, rule, rule in UNDER_WAY, _told_as_past(said, start))
                     for start, end, months, rule in sorted(claimed))
    ahead = [mention.months for mention in mentions if mention.months is not None]
    renewals = [match.start() for match in RENEWAL.finditer(said)]
    sentence_of = functools.partial(_sentence, said)
    renewal_sentences = {sentence_of(at) for at in renewals}
    dated = [months for (start, _, months, _), mention in zip(sorted(claimed), mentions)
             if months is not None and sentence_of(start) in renewal_sentences]
    return Reading(min(ahead) if ahead else None, bool(renewals), mentions, min(dated) if dated else None)


def _sentence(text: str, at: int) -> int:
    """Which sentence of `text` the position `at` is in (a dot inside "15.01." or "a.s.a.p." ends none)."""
    return len(re.findall(r"[!?;\n]|\.(?=\s+[a-z])", text[:at]))


def explain(text: Optional[str], today: dt.date) -> Dict[str, object]:
    """Every time found and how it was read: for debugging a misread answer."""
    reading = read(text, today)
    return {"months": reading.months, "renewal": reading.renewal,
            "mentions": [(m.text, None if m.months is None else round(m.months, 2), m.source)
                         for m in reading.mentions]}
