"""Time words in a query ("this week", "on Monday", "in June", "since March", "two weeks ago", "June 12"),
resolved against an as-of date into a window of publication dates.

News questions are about time: "Which automaker recalled 2.9 million vehicles this week?" means the
week before the moment it is asked. ``resolve`` finds the first time expression of a query, returns
the window it names and the query without those words (they are not evidence of topic: "this week"
is in every weekly quiz question). Dates without a year take the most recent such date on or before
the as-of date, so "in June" asked in May 2022 means June 2021.

Windows are inclusive ISO dates. Relative weeks are rolling (the seven days before the as-of date,
and that day), because news "this week" is the past week, not the calendar week that began on Monday.
A named day or date also covers the week after it: coverage of an event is published on the day and
in the days that follow ("What did Putin say on December 19?" finds the report of December 21).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archive.types import Filters

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
MONTHS["sept"] = 9
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
           "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "couple of": 2, "few": 3}
COVERAGE_DAYS = 7  # a named day's window: the day and the week of coverage after it

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?P<weekday>" + "|".join(WEEKDAYS) + r")"
_NUMBER = r"(?<![\d,.])(?P<n>\d{1,3}|" + "|".join(sorted(NUMBERS, key=len, reverse=True)) + r")"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"


@dataclass(frozen=True)
class Window:
    """Publication dates a query's time words name, inclusive, and the words as written."""

    start: str  # ISO date, or "" for open
    end: str
    phrase: str

    def label(self) -> str:
        if self.start and self.end:
            return f"{self.start} to {self.end}" if self.start != self.end else self.start
        return f"from {self.start}" if self.start else f"until {self.end}"


def _clip(start: date | None, end: date | None, as_of: date) -> tuple[str, str] | None:
    """Nothing after the as-of date is known yet, so no window reaches past it; one that starts after it
    ("in 2029", "by June" asked in May) names the future, not when something was published: None."""
    if start and start > as_of:
        return None
    end = min(end, as_of) if end else as_of
    return (start.isoformat() if start else "", end.isoformat())


def _last(month: int, day: int, as_of: date) -> date | None:
    """The most recent ``month``/``day`` on or before ``as_of`` (None for a date that does not exist)."""
    for year in (as_of.year, as_of.year - 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= as_of:
            return candidate
    return None


def _month_window(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _recent_month(month: int, as_of: date) -> tuple[date, date]:
    year = as_of.year if month <= as_of.month else as_of.year - 1
    return _month_window(year, month)


def _months_back(as_of: date, n: int) -> tuple[date, date]:
    index = as_of.year * 12 + as_of.month - 1 - n
    return _month_window(index // 12, index % 12 + 1)


def _number(text: str) -> int:
    return int(text) if text.isdigit() else NUMBERS[text.lower()]


def _day_window(day: date | None) -> tuple[date, date] | None:
    return (day, day + timedelta(days=COVERAGE_DAYS)) if day else None


def _weekday(m: re.Match, a: date) -> tuple[date, date]:
    back = (a.weekday() - WEEKDAYS[m["weekday"].lower()]) % 7
    if m["which"] and m["which"].lower() == "last" and back == 0:
        back = 7
    return _day_window(a - timedelta(days=back))


def _ago(m: re.Match, a: date) -> tuple[date, date] | None:
    n, unit = _number(m["n"]), m["unit"].lower()
    if n == 0 or unit.startswith("year") and n > 50:
        return None  # "46,000 years ago" dates a fossil, not an article
    if unit.startswith("day"):
        return a - timedelta(days=n), a - timedelta(days=n)
    if unit.startswith("week"):
        centre = a - timedelta(days=7 * n)
        return centre - timedelta(days=3), centre + timedelta(days=3)
    if unit.startswith("month"):
        return _months_back(a, n)
    return date(a.year - n, 1, 1), date(a.year - n, 12, 31)


# Month names that are also everyday words count only when capitalised ("march 5 miles" is no date).
_WORDLIKE_MONTHS = {"may", "march", "mar"}


def _month_of(m: re.Match) -> int | None:
    name = m["month"]
    if name.lower() in _WORDLIKE_MONTHS and not name[0].isupper():
        return None
    return MONTHS[name.lower()]


def _explicit_day(m: re.Match, a: date) -> tuple[date, date] | None:
    month, day = _month_of(m), int(m["day"])
    if month is None:
        return None
    if m["year"]:
        try:
            return _day_window(date(int(m["year"]), month, day))
        except ValueError:
            return None
    return _day_window(_last(month, day, a))


def _iso_day(m: re.Match, a: date) -> tuple[date, date] | None:
    try:
        return _day_window(date(int(m["year"]), int(m["m"]), int(m["day"])))
    except ValueError:
        return None


def _in_month(m: re.Match, a: date) -> tuple[date, date] | None:
    month = _month_of(m)
    if month is None:
        return None
    return _month_window(int(m["year"]), month) if m["year"] else _recent_month(month, a)


def _since_month(m: re.Match, a: date) -> tuple[date, None] | None:
    month = _month_of(m)
    if month is None:
        return None
    start = date(int(m["year"]), month, 1) if m["year"] else _recent_month(month, a)[0]
    return start, None


# Longest, most specific forms first; each returns (start, end) dates or None when it names no real date.
_RULES = [
    (rf"\b(?:on\s+)?{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?\b", _explicit_day),
    (rf"\b(?:on\s+)?(?:the\s+)?{_DAY}(?:\s+of)?\s+{_MONTH}(?:,?\s+{_YEAR})?\b", _explicit_day),
    (r"\b(?:on\s+)?(?P<year>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<day>[0-3]\d)\b", _iso_day),
    (rf"\b{_NUMBER}\s+(?P<unit>days?|weeks?|months?|years?)\s+ago\b", _ago),
    (rf"\bsince\s+{_MONTH}(?:\s+{_YEAR})?\b", _since_month),
    (rf"\bsince\s+{_YEAR}\b", lambda m, a: (date(int(m["year"]), 1, 1), None)),
    (rf"\b(?:in|during)\s+{_MONTH}(?:\s+{_YEAR})?\b", _in_month),
    (rf"\b(?:in|during)\s+{_YEAR}\b", lambda m, a: (date(int(m["year"]), 1, 1), date(int(m["year"]), 12, 31))),
    (rf"\b(?:(?P<which>on|last|this|past)\s+){_WEEKDAY}\b", _weekday),
    (r"\b(?:this|the\s+past|past)\s+week\b|\bin\s+the\s+(?:past|last)\s+(?:week|seven\s+days|7\s+days)\b",
     lambda m, a: (a - timedelta(days=7), a)),
    (r"\blast\s+week\b", lambda m, a: (a - timedelta(days=14), a - timedelta(days=7))),
    (r"\bthis\s+month\b", lambda m, a: (a.replace(day=1), a)),
    (r"\blast\s+month\b", lambda m, a: _months_back(a, 1)),
    (r"\bthis\s+year\b", lambda m, a: (date(a.year, 1, 1), a)),
    (r"\blast\s+year\b", lambda m, a: (date(a.year - 1, 1, 1), date(a.year - 1, 12, 31))),
    (r"\byesterday(?:'s|’s)?\b", lambda m, a: (a - timedelta(days=1), a - timedelta(days=1))),
    (r"\btoday(?:'s|’s)?\b|\bthis\s+morning\b|\btonight\b", lambda m, a: (a, a)),
]
_COMPILED = [(re.compile(pattern, re.IGNORECASE), rule) for pattern, rule in _RULES]
_QUOTED = re.compile(r'"[^"]*"|“[^”]*”')
# "up 5% from a year ago", "higher than last month": a baseline of comparison, not when the news appeared.
_COMPARISON = re.compile(r"\b(?:compared\s+(?:to|with)|than|from|over|versus|vs\.?|against)\s+$", re.IGNORECASE)


def resolve(query: str, as_of: date) -> tuple[str, Window | None]:
    """(the query without its time words, the window they name), or (query, None) when it names no time.
    The rest is empty when the query is nothing but time words.

    The most specific form wins (a date before a month, a month before a year); one expression a query."""
    quoted = [m.span() for m in _QUOTED.finditer(query)]
    for pattern, rule in _COMPILED:
        for match in pattern.finditer(query):
            if any(s < match.end() and match.start() < e for s, e in quoted):
                continue  # a quoted phrase is matched as written: '"this week in history"'
            if _COMPARISON.search(query[: match.start()]):
                continue
            dates = rule(match, as_of)
            bounds = _clip(*dates, as_of) if dates else None
            if bounds is None:
                continue
            window = Window(*bounds, phrase=match.group(0).strip())
            rest = query[: match.start()] + " " + query[match.end():]
            rest = re.sub(r"\s+([?.!,;:])", r"\1", re.sub(r"\s+", " ", rest)).strip()
            return rest, window
    return query, None


def parse_as_of(value: str | date | None, today: date | None = None) -> date:
    """An as-of date from an ISO string (or a date); empty or None means today."""
    if isinstance(value, date):
        return value
    if not value:
        return today or date.today()
    from archive.errors import QueryError

    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError as e:
        raise QueryError(f"as-of expects an ISO date such as 2022-06-17, got {value!r}") from e


@dataclass(frozen=True)
class TimedQuery:
    """A query as search runs it: its words without the time words, and filters narrowed to their window."""

    text: str
    filters: Filters | None
    window: Window | None
    as_of: date
    unused: Window | None = None  # a window the time words named that no stored article is dated in


def timed_query(query: str, filters: Filters | None, as_of: date, explicit: bool, time_words: bool) -> TimedQuery:
    """Resolve the query's time words against ``as_of`` into a window of publication dates, and an
    ``explicit`` as-of date into an upper bound; dated articles outside them are left out, undated ones
    are not (the words say when, not that an article must carry a date)."""
    from archive.types import Filters

    text, window = resolve(query, as_of) if time_words else (query, None)
    text = text or query  # time words alone are all the query has to search with
    if window is None and not explicit:
        return TimedQuery(text, filters, None, as_of)
    f = filters or Filters()
    start = max(f.window_from, window.start if window is not None else "")
    end = min(x for x in (f.window_to, window.end if window is not None else as_of.isoformat()) if x)
    return TimedQuery(text, replace(f, window_from=start, window_to=end), window, as_of)
