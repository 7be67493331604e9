"""Time expressions → half-open UTC ranges, exactly as ``nlq/CONVENTIONS.md`` defines them.

Calendar arithmetic comes from ``dateutil.relativedelta``; this module adds what no library
fixes for us: which phrase means which range ("last week" is the previous ISO week, "past
week" the last 7 days, a bare month the most recent one that has started) and operators
over periods (``since``, ``before``, ``after``, ``between``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dateutil.relativedelta import relativedelta

from thermodb.nl.text import Token

__all__ = ["TIME_WORDS", "TimeMatch", "find_times"]

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
}  # fmt: skip
_UNIT = {
    "minute": "minutes", "minutes": "minutes", "min": "minutes", "mins": "minutes",
    "hour": "hours", "hours": "hours", "hr": "hours", "hrs": "hours", "h": "hours",
    "day": "days", "days": "days", "d": "days", "week": "weeks", "weeks": "weeks",
    "month": "months", "months": "months", "year": "years", "years": "years",
}  # fmt: skip
_AMBIGUOUS_MONTHS = frozenset({"may", "mar", "jan", "jun", "dec", "sep", "oct", "aug", "apr"})
_PREFIX = frozenset({"in", "during", "on", "for", "from", "over", "within", "of", "at", "the"})
_BARE_PREFIX = frozenset({"in", "during", "on", "for", "from", "of"})
_DAY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?$")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_YEAR = re.compile(r"^(19|20)\d\d$")
_QUARTER = re.compile(r"^q([1-4])$")

TIME_WORDS = frozenset(
    {"today", "yesterday", "tomorrow", "tonight", "week", "weeks", "month", "months", "year",
     "years", "quarter", "weekend", "ago", "since", "until", "ytd", "fortnight", "morning",
     "evening", "night", "hours", "minutes", "days", "hour", "day", "minute"}
    | (set(MONTHS) - _AMBIGUOUS_MONTHS)
    | set(WEEKDAYS)
)  # fmt: skip
"""Words that only appear in time phrases: left unread, they make the question unanswerable."""

Range = tuple[datetime | None, datetime | None]


@dataclass
class TimeMatch:
    """A time phrase: tokens [first, last) and the half-open range it means."""

    first: int
    last: int
    start: datetime | None
    end: datetime | None
    text: str
    relative: str | None = None
    """For calendar periods ("week", "month"...): the unit a follow-up comparison steps by."""


_STEPS = {
    "week": relativedelta(weeks=1),
    "month": relativedelta(months=1),
    "quarter": relativedelta(months=3),
    "year": relativedelta(years=1),
}
"""One calendar period of each unit, for "last week", "previous month"..."""


def _delta(unit: str, amount: int) -> relativedelta:
    """A relativedelta of ``amount`` ``unit`` (minutes, hours, days, weeks, months, years)."""
    return relativedelta(**{unit: amount})  # type: ignore[arg-type]


def _day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


class _Reader:
    def __init__(self, tokens: list[Token], now: datetime) -> None:
        self.words = [t.text if not t.literal else "\x00" for t in tokens]
        self.now = now.astimezone(UTC)
        self.today = _day(self.now)

    def at(self, i: int) -> str:
        return self.words[i] if 0 <= i < len(self.words) else ""

    # -- periods ------------------------------------------------------------------------
    def period(self, i: int, *, bare: bool) -> tuple[int, datetime, datetime, str | None] | None:
        """A period starting at token i: (next index, start, end, calendar unit)."""
        w, n = self.at(i), self.at(i + 1)
        today, now = self.today, self.now
        if w == "the" and n:
            got = self.period(i + 1, bare=bare)
            return got
        if w == "today":
            return i + 1, today, now, "day"
        if w == "yesterday":
            return i + 1, today - timedelta(days=1), today, "day"
        if w in ("this", "current") and n in ("week", "month", "year", "quarter"):
            return (i + 2, *self._calendar(n, 0, to_now=True))
        if w in ("last", "previous", "prior") and n in ("week", "month", "year", "quarter"):
            return (i + 2, *self._calendar(n, -1, to_now=False))
        if w == "past" and n in ("week", "month", "year", "day", "hour", "fortnight"):
            span = {"week": 7, "month": 30, "year": 365, "day": 1, "fortnight": 14}.get(n)
            start = now - timedelta(hours=1) if n == "hour" else now - timedelta(days=span or 1)
            return i + 2, start, now, None
        if w in ("last", "past", "previous") and self._num(n) is not None:
            unit = _UNIT.get(self.at(i + 2))
            if unit:
                amount = self._num(n) or 0
                return i + 3, now - _delta(unit, int(amount)), now, None
        if self._num(w) is not None and _UNIT.get(n) and self.at(i + 2) == "ago":
            unit = _UNIT[n]
            moment = now - _delta(unit, int(self._num(w) or 0))
            calendar = unit.rstrip("s")
            if calendar in ("day", "week", "month", "year"):
                start, end, _ = self._calendar_of(calendar, moment)
                return i + 3, start, end, None
            return i + 3, moment, now, None
        if w in ("year", "month") and n == "to" and self.at(i + 2) == "date":
            return (i + 3, *self._calendar(w, 0, to_now=True))
        if w == "ytd":
            return (i + 1, *self._calendar("year", 0, to_now=True))
        if m := _ISO_DAY.match(w):
            start = datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=UTC)
            return i + 1, start, start + timedelta(days=1), "day"
        if w in MONTHS and (bare or w not in _AMBIGUOUS_MONTHS or self._dateish(i + 1)):
            return self._month_phrase(i)
        if (d := _DAY.match(w)) and self.at(i + 1) in MONTHS:
            day = int(d[1])
            month = MONTHS[self.at(i + 1)]
            j, year = self._year_after(i + 2)
            day_start = self._day_in(month, day, year)
            if day_start is not None:
                return j, day_start, day_start + timedelta(days=1), "day"
        if q := _QUARTER.match(w):
            j, year = self._year_after(i + 1)
            quarter = int(q[1])
            yr = year or (now.year if quarter <= (now.month - 1) // 3 + 1 else now.year - 1)
            start = datetime(yr, 3 * quarter - 2, 1, tzinfo=UTC)
            return j, start, start + relativedelta(months=3), None
        if _YEAR.match(w) and bare:
            start = datetime(int(w), 1, 1, tzinfo=UTC)
            return i + 1, start, start + relativedelta(years=1), None
        if w in WEEKDAYS:
            back = (self.today.weekday() - WEEKDAYS[w]) % 7
            start = self.today - timedelta(days=back)
            return i + 1, start, start + timedelta(days=1), None
        return None

    def _dateish(self, i: int) -> bool:
        w = self.at(i)
        return bool(_DAY.match(w) or _YEAR.match(w))

    def _num(self, w: str) -> float | None:
        try:
            return float(w)
        except ValueError:
            return None

    def _year_after(self, i: int) -> tuple[int, int | None]:
        if _YEAR.match(self.at(i)):
            return i + 1, int(self.at(i))
        return i, None

    def _day_in(self, month: int, day: int, year: int | None) -> datetime | None:
        now = self.now
        if year is None:
            year = now.year if (month, day) <= (now.month, now.day) else now.year - 1
        try:
            return datetime(year, month, day, tzinfo=UTC)
        except ValueError:
            return None

    def _month_phrase(self, i: int) -> tuple[int, datetime, datetime, str | None] | None:
        month = MONTHS[self.at(i)]
        if d := _DAY.match(self.at(i + 1)):
            j, year = self._year_after(i + 2)
            start = self._day_in(month, int(d[1]), year)
            if start is not None:
                return j, start, start + timedelta(days=1), "day"
        j, year = self._year_after(i + 1)
        if year is None:
            year = self.now.year if month <= self.now.month else self.now.year - 1
        start = datetime(year, month, 1, tzinfo=UTC)
        return j, start, start + relativedelta(months=1), "month"

    def _calendar_of(self, unit: str, moment: datetime) -> tuple[datetime, datetime, str]:
        day = _day(moment)
        if unit == "day":
            return day, day + timedelta(days=1), unit
        if unit == "week":
            start = day - timedelta(days=day.weekday())
            return start, start + timedelta(days=7), unit
        if unit == "month":
            start = day.replace(day=1)
            return start, start + relativedelta(months=1), unit
        if unit == "quarter":
            start = day.replace(day=1, month=3 * ((day.month - 1) // 3) + 1)
            return start, start + relativedelta(months=3), unit
        start = day.replace(month=1, day=1)
        return start, start + relativedelta(years=1), unit

    def _calendar(self, unit: str, shift: int, *, to_now: bool) -> tuple[datetime, datetime, str]:
        start, end, _ = self._calendar_of(unit, self.now)
        if shift:
            step = _STEPS[unit]
            start, end = start - step, start
        return start, (self.now if to_now else end), unit

    # -- phrases ------------------------------------------------------------------------
    def phrase(self, i: int) -> TimeMatch | None:
        w = self.at(i)
        if w in ("since", "from", "starting") and (p := self.period(i + 1, bare=True)):
            j, start, end, _ = p
            if self.at(j) in ("to", "until", "through", "till") and (
                q := self.period(j + 1, bare=True)
            ):
                return self._match(i, q[0], start, q[2])
            if w == "from":  # "from last week" is that period itself
                return self._match(i, j, start, end, p[3])
            return self._match(i, j, start, self.now)
        if w in ("before", "until", "till", "prior") and (
            p := self.period(i + (2 if self.at(i + 1) == "to" else 1), bare=True)
        ):
            bound = p[1] if w in ("before", "prior") else p[2]
            return self._match(i, p[0], None, bound)
        if w == "after" and (p := self.period(i + 1, bare=True)):
            return self._match(i, p[0], p[2], self.now)
        if w == "between" and (p := self.period(i + 1, bare=True)):  # noqa: SIM102
            if self.at(p[0]) == "and" and (q := self.period(p[0] + 1, bare=True)):
                return self._match(i, q[0], p[1], q[2])
        first = i
        while self.at(first) in _PREFIX and first < i + 3:
            first += 1
        bare = bool(set(self.words[i:first]) & _BARE_PREFIX)
        if (p := self.period(first, bare=bare)) is not None:
            return self._match(i if bare else first, p[0], p[1], p[2], p[3])
        return None

    def _match(
        self, i: int, j: int, start: datetime | None, end: datetime | None, unit: str | None = None
    ) -> TimeMatch:
        return TimeMatch(i, j, start, end, " ".join(self.words[i:j]), unit)


def find_times(tokens: list[Token], now: datetime) -> list[TimeMatch]:
    """Every time phrase in the tokens, longest first at each position; marks them used."""
    reader = _Reader(tokens, now)
    found: list[TimeMatch] = []
    i = 0
    while i < len(tokens):
        match = None if tokens[i].used else reader.phrase(i)
        if match is None or any(t.used for t in tokens[match.first : match.last]):
            i += 1
            continue
        for t in tokens[match.first : match.last]:
            t.used = "time"
        found.append(match)
        i = match.last
    return found
