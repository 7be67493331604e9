"""Values written as text: numbers, booleans, dates and durations that arrive as strings.

Tables from CSV files, spreadsheets and scrapers hold every value as text: ``"1,234"``,
``"$3.50"``, ``"12 km"``, ``"45%"``, ``"March 5, 1998"``, ``"1:23.45"``, ``"—"`` for a
missing value. :func:`read_text` reads one such string; the ingest pipeline
(:mod:`thermodb.ingest.values`) decides per field whether the field is numeric, and keeps
the original strings when it is not. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from thermodb.catalog.naming import split_words
from thermodb.catalog.types import FieldType

__all__ = [
    "NULL_TEXT",
    "Reading",
    "identifier_name",
    "read_text",
    "why_text",
]

NULL_TEXT = frozenset({"", "-", "--", "—", "–", "−", "?", "n/a", "N/A", "NaN"})
"""Strings that stand for a missing value in a field of numbers, dates or booleans."""


@dataclass(frozen=True, slots=True)
class Reading:
    """What a string says: a typed value (None for a missing-value marker) and its unit."""

    type: FieldType | None
    value: Any
    unit: str | None = None
    """``$``/``€``/``£``..., ``%``, a trailing word (``km``), ``ordinal`` or ``duration``."""


_MISSING = Reading(None, None)
_CURRENCIES = "$€£¥₹"
_NUMBER = re.compile(
    r"(?P<sign>[+\-−]?)(?P<cur>[$€£¥₹])?\s?"
    r"(?P<num>(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:\.\d+)?\.?|\.\d+)"
    r"(?:(?P<ord>st|nd|rd|th)|\s?(?P<unit>%|[A-Za-z°µ²³][A-Za-z°µ²³/]{0,11}\.?))?"
)
_DURATION = re.compile(r"(?P<sign>[+\-−]?)(?:(?P<h>\d+):)?(?P<m>\d{1,2}):(?P<s>[0-5]\d(?:\.\d+)?)")
_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        1,
    )
    for name in names
}
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})")
_MONTH_DAY_YEAR = re.compile(r"([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})")
_SEASON = re.compile(r"(\d{4})\s?[–\-/]\s?(\d{2}|\d{4})")
_SLASH_DATE = re.compile(r"\d{1,2}[/.]\d{1,2}[/.]\d{2,4}")
_INT64 = 2**63
_IDENTIFIER_WORDS = frozenset(
    {
        "id",
        "ids",
        "uuid",
        "guid",
        "code",
        "zip",
        "zipcode",
        "postcode",
        "postal",
        "isbn",
        "sku",
        "ean",
        "upc",
        "iban",
        "phone",
        "tel",
        "ssn",
        "key",
    }
)


def identifier_name(name: str) -> bool:
    """Whether a field's name says its values are identifiers (``order_id``, ``zip``,
    ``isbn``...): digits written as text there stay text (``"02134"``, ``"1001"``)."""
    words = split_words(name)
    return bool(words) and words[-1] in _IDENTIFIER_WORDS


def read_text(text: str) -> Reading | None:
    """What ``text`` says, or None when it is just text.

    >>> read_text("1,234")
    Reading(type=<FieldType.INT: 'int'>, value=1234, unit=None)
    >>> read_text("$3.50").unit
    '$'
    """
    s = text.strip()
    if s in NULL_TEXT:
        return _MISSING
    first = s[0]
    if first.isdigit() or first in "+-−." or first in _CURRENCIES:
        return _number(s) or _duration(s) or _date(s)
    lowered = s.lower()
    if lowered in {"true", "false"}:
        return Reading(FieldType.BOOL, lowered == "true")
    if first.isalpha() and first.isascii():
        return _date(s)
    return None


def _number(s: str) -> Reading | None:
    m = _NUMBER.fullmatch(s)
    if m is None:
        return None
    digits = m["num"].replace(",", "").replace(" ", "").replace("\u00a0", "")
    digits = digits.replace("\u202f", "").rstrip(".")
    if len(digits) > 1 and digits[0] == "0" and digits[1] != ".":
        return None  # a leading zero: a code ("007", "02134"), not a number
    unit = m["cur"] or ("ordinal" if m["ord"] else None) or (m["unit"] or "").rstrip(".") or None
    if m["cur"] and m["unit"]:
        return None  # "$12 km": two units
    if m["unit"] and m["unit"].lower().rstrip(".") in _MONTHS:
        return None  # "2 March": a day of a month, not a quantity
    negative = m["sign"] in ("-", "−")
    if "." in digits:
        number: int | float = float(digits)
    else:
        number = int(digits)
        if number >= _INT64:
            return None  # beyond 64 bits: no column holds it exactly
    if negative:
        number = -number
    return Reading(FieldType.FLOAT if isinstance(number, float) else FieldType.INT, number, unit)


def _duration(s: str) -> Reading | None:
    m = _DURATION.fullmatch(s)
    if m is None:
        return None
    minutes = int(m["m"])
    if m["h"] is not None and minutes >= 60:
        return None
    seconds = float(m["s"]) + 60 * minutes + 3600 * int(m["h"] or 0)
    if m["sign"] in ("-", "−"):
        seconds = -seconds
    return Reading(FieldType.FLOAT, seconds, "duration")


def _date(s: str) -> Reading | None:
    m = _DAY_MONTH_YEAR.fullmatch(s)
    if m is not None:
        day, month, year = m[1], m[2], m[3]
    else:
        m = _MONTH_DAY_YEAR.fullmatch(s)
        if m is None:
            return None
        month, day, year = m[1], m[2], m[3]
    number = _MONTHS.get(month.lower())
    if number is None:
        return None
    try:
        moment = datetime(int(year), number, int(day), tzinfo=UTC)
    except ValueError:
        return None  # "February 30, 1998"
    return Reading(FieldType.TIMESTAMP, moment)


def why_text(text: str) -> str | None:
    """Why a string that looks like a date or number stays text, where there is a reason
    worth saying in ``describe``; None otherwise."""
    s = text.strip()
    m = _SEASON.fullmatch(s)
    if m is not None and _years(int(m[1]), m[2]):
        return f"values like {s!r} name a span of years (a season), so they stay text"
    if _SLASH_DATE.fullmatch(s):
        return f"dates like {s!r} could be day or month first, so they stay text"
    return None


def _years(start: int, end_text: str) -> bool:
    """Whether ``2001`` and ``02`` (or ``2002``) are the two ends of a span of years."""
    if not 1800 <= start <= 2100:
        return False
    end = int(end_text)
    if len(end_text) == 2:
        end += start - start % 100 + (100 if end < start % 100 else 0)
    return start < end <= start + 30
