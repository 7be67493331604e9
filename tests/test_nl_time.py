"""Every row of the conventions' time table, resolved to half-open UTC ranges."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from thermodb.nl.text import tokenize
from thermodb.nl.timeexpr import find_times

NOW = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)  # a Wednesday


def d(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("today", "2026-03-18", "2026-03-18T15:30"),
        ("yesterday", "2026-03-17", "2026-03-18"),
        ("this week", "2026-03-16", "2026-03-18T15:30"),
        ("last week", "2026-03-09", "2026-03-16"),
        ("previous week", "2026-03-09", "2026-03-16"),
        ("past week", "2026-03-11T15:30", "2026-03-18T15:30"),
        ("last 7 days", "2026-03-11T15:30", "2026-03-18T15:30"),
        ("in the past 7 days", "2026-03-11T15:30", "2026-03-18T15:30"),
        ("last 6 hours", "2026-03-18T09:30", "2026-03-18T15:30"),
        ("last 90 minutes", "2026-03-18T14:00", "2026-03-18T15:30"),
        ("last three days", "2026-03-15T15:30", "2026-03-18T15:30"),
        ("this month", "2026-03-01", "2026-03-18T15:30"),
        ("last month", "2026-02-01", "2026-03-01"),
        ("previous month", "2026-02-01", "2026-03-01"),
        ("past month", "2026-02-16T15:30", "2026-03-18T15:30"),
        ("last 30 days", "2026-02-16T15:30", "2026-03-18T15:30"),
        ("this year", "2026-01-01", "2026-03-18T15:30"),
        ("last year", "2025-01-01", "2026-01-01"),
        ("in March", "2026-03-01", "2026-04-01"),
        ("in December", "2025-12-01", "2026-01-01"),
        ("in March 2025", "2025-03-01", "2025-04-01"),
        ("on 2026-03-05", "2026-03-05", "2026-03-06"),
        ("on March 5", "2026-03-05", "2026-03-06"),
        ("on 5th March", "2026-03-05", "2026-03-06"),
        ("on April 2", "2025-04-02", "2025-04-03"),
        ("since March 10", "2026-03-10", "2026-03-18T15:30"),
        ("since last week", "2026-03-09", "2026-03-18T15:30"),
        ("after March 14", "2026-03-15", "2026-03-18T15:30"),
        ("between March 2 and March 4", "2026-03-02", "2026-03-05"),
        ("from February 3 to February 5", "2026-02-03", "2026-02-06"),
        ("3 days ago", "2026-03-15", "2026-03-16"),
        ("in 2025", "2025-01-01", "2026-01-01"),
    ],
)
def test_time_table_row(phrase: str, start: str, end: str) -> None:
    found = find_times(tokenize(f"orders {phrase}"), NOW)
    assert len(found) == 1, phrase
    assert (found[0].start, found[0].end) == (d(start), d(end))


def test_before_is_open_ended_and_excludes_the_day() -> None:
    (match,) = find_times(tokenize("before January 15"), NOW)
    assert match.start is None
    assert match.end == d("2026-01-15")


@pytest.mark.parametrize(
    "text", ["over 2000 reactions", "users from Japan", "the last 5 orders", "may I see users"]
)
def test_words_that_are_not_time(text: str) -> None:
    assert find_times(tokenize(text), NOW) == []


def test_numbers_in_words_and_quotes() -> None:
    words = [t.text for t in tokenize("Top five rooms mentioning 'Disk Full'")]
    assert words == ["top", "5", "rooms", "mentioning", "disk full"]
    literal = tokenize("rooms mentioning 'Disk Full'")[-1]
    assert literal.literal and literal.raw == "Disk Full"
