"""Everyday questions whose answer is built from simpler ones, and linking from the data.

Shares, two periods, averages of per-entity counts, differences of two time fields, unit
suffixes and their conversions, states said in words ("still open", "unassigned"), and the
reading in words. Every derived part is an ordinary QuerySpec, so each case runs on SQLite
and PostgreSQL; expected values are computed here from the records themselves.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import mean
from typing import Any

import pytest

from cli_process import run_cli
from thermodb.database import Database
from thermodb.errors import NotUnderstoodError

NOW = datetime(2026, 9, 16, 12, 0, tzinfo=UTC)  # a Wednesday


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


RIDERS = [
    {"rider_id": i, "name": f"R{i}", "tier": ["basic", "gold", "silver"][i % 3],
     "currency": ["GBP", "EUR"][i % 2], "is_student": i % 4 == 0}
    for i in range(1, 13)
]  # fmt: skip
TRIPS = [
    {
        "trip_id": f"T{i:03d}",
        "rider_id": 1 + i % 9,  # riders 10, 11 and 12 never ride
        "started_at": _iso(NOW - timedelta(days=i, hours=1)),
        "ended_at": None if i % 5 == 0 else _iso(NOW - timedelta(days=i, minutes=60 - 2 * i)),
        "distance_m": 500 * i,
        "fare_cents": 150 * i,
        "status": "cancelled" if i % 5 == 0 else "completed",
    }
    for i in range(1, 21)
]
REPAIRS = [
    {
        "repair_id": i,
        "opened_at": _iso(NOW - timedelta(days=10 + i)),
        "resolved_at": None if i % 3 == 0 else _iso(NOW - timedelta(days=10 + i, hours=-5 * i)),
        "mechanic": None if i % 4 == 0 else ["Chen", "Okafor"][i % 2],
        "issue": ["brakes", "battery", "tyre", "tyre"][i % 4],
    }
    for i in range(1, 10)
]


@pytest.fixture
def fleet(db: Database) -> Database:
    db.ingest(RIDERS, collection="riders")
    db.ingest(TRIPS, collection="trips")
    db.ingest(REPAIRS, collection="repairs")
    return db


def ask(db: Database, question: str) -> Any:
    return db.ask(question, now=NOW)


def test_a_share_is_the_matching_count_over_the_whole(fleet: Database) -> None:
    cancelled = sum(t["status"] == "cancelled" for t in TRIPS)
    got = ask(fleet, "what share of trips were cancelled")
    assert got.rows == [[pytest.approx(cancelled / len(TRIPS)), cancelled, len(TRIPS)]]
    assert "out of count of trips" in got.reading
    pct = ask(fleet, "what percentage of riders are students")
    students = sum(r["is_student"] for r in RIDERS)
    assert pct.rows[0][0] == pytest.approx(100 * students / len(RIDERS))
    assert "%" in pct.insight and f"of {len(RIDERS)}" in pct.insight


def test_a_share_of_nothing_narrower_is_refused(fleet: Database) -> None:
    with pytest.raises(NotUnderstoodError, match="which part"):
        ask(fleet, "what share of trips are trips")


def test_two_periods_are_compared_in_one_row(fleet: Database) -> None:
    got = ask(fleet, "how many trips this week compared with last week")
    this_week = datetime(2026, 9, 14, tzinfo=UTC)
    last_week = this_week - timedelta(days=7)

    def between(a: datetime, b: datetime) -> int:
        return sum(a <= datetime.fromisoformat(t["started_at"]) < b for t in TRIPS)

    a, b = between(this_week, NOW), between(last_week, this_week)
    assert got.rows == [[a, b, a - b]]
    assert got.columns[:2] == ["this_week", "last_week"]
    assert "last week" in got.insight


def test_average_of_per_entity_counts(fleet: Database) -> None:
    per_rider: dict[int, int] = {}
    for t in TRIPS:
        per_rider[t["rider_id"]] = per_rider.get(t["rider_id"], 0) + 1
    for question in (
        "how many trips does a rider take on average",
        "average number of trips per rider",
    ):
        got = ask(fleet, question)
        assert got.rows[0][0] == pytest.approx(mean(per_rider.values())), question


def test_difference_of_two_time_fields_in_a_unit(fleet: Database) -> None:
    hours = [
        (datetime.fromisoformat(r["resolved_at"]) - datetime.fromisoformat(r["opened_at"]))
        / timedelta(hours=1)
        for r in REPAIRS
        if r["resolved_at"]
    ]
    got = ask(fleet, "average hours to resolve a repair")
    assert got.rows == [[pytest.approx(mean(hours))]]
    longest = ask(fleet, "longest time between opened and resolved for a repair, in hours")
    assert longest.rows == [[pytest.approx(max(hours))]]
    minutes = [
        (datetime.fromisoformat(t["ended_at"]) - datetime.fromisoformat(t["started_at"]))
        / timedelta(minutes=1)
        for t in TRIPS
        if t["ended_at"]
    ]
    duration = ask(fleet, "average trip duration in minutes")
    assert duration.rows == [[pytest.approx(mean(minutes))]]
    assert "started_at to ended_at" in duration.reading


def test_unit_suffixes_name_the_field_and_convert(fleet: Database) -> None:
    total = sum(t["fare_cents"] for t in TRIPS if t["status"] == "completed")
    got = ask(fleet, "what's the total fare of completed trips in euros")
    assert got.rows == [[pytest.approx(total / 100)]]
    assert got.columns == ["sum_fare_cents_in_euros"]
    km = ask(fleet, "average trip distance in kilometres")
    assert km.rows == [[pytest.approx(mean(t["distance_m"] for t in TRIPS) / 1000)]]
    far = ask(fleet, "trips longer than 9 km")
    assert sorted(r[0] for r in far.rows) == sorted(
        t["trip_id"] for t in TRIPS if t["distance_m"] > 9000
    )
    pricey = ask(fleet, "how many trips cost more than 20 euros")
    assert pricey.rows == [[sum(t["fare_cents"] > 2000 for t in TRIPS)]]


def test_currency_names_find_codes(fleet: Database) -> None:
    got = ask(fleet, "how many riders pay in British pounds?")
    assert got.rows == [[sum(r["currency"] == "GBP" for r in RIDERS)]]


def test_states_said_in_words(fleet: Database) -> None:
    still_open = ask(fleet, "how many repairs are still open?")
    assert still_open.rows == [[sum(r["resolved_at"] is None for r in REPAIRS)]]
    unassigned = ask(fleet, "how many repairs are unassigned")
    assert unassigned.rows == [[sum(r["mechanic"] is None for r in REPAIRS)]]
    chen = ask(fleet, "How many repairs were handled by Chen?")
    assert chen.rows == [[sum(r["mechanic"] == "Chen" for r in REPAIRS)]]


def test_anti_joins_and_most_common(fleet: Database) -> None:
    riding = {t["rider_id"] for t in TRIPS}
    never = ask(fleet, "how many riders never took a trip")
    assert never.rows == [[sum(r["rider_id"] not in riding for r in RIDERS)]]
    common = ask(fleet, "what is the most common repair issue")
    issues = [r["issue"] for r in REPAIRS]
    assert common.rows[0][0] == max(set(issues), key=issues.count)
    assert common.spec.limit == 1
    assert "1 groups" not in common.insight


def test_hyphenated_compound_is_read_as_its_parts(fleet: Database) -> None:
    got = ask(fleet, "how many gold-tier riders are there")
    assert got.rows == [[sum(r["tier"] == "gold" for r in RIDERS)]]


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("how many sensor trips were cancelled", "sensor"),
        ("average wobble of trips", "wobble"),
        ("how many trips were zorbed", "zorbed"),
    ],
)
def test_an_unexplained_word_is_refused_by_name(fleet: Database, question: str, word: str) -> None:
    with pytest.raises(NotUnderstoodError) as info:
        ask(fleet, question)
    assert word in info.value.message


def test_the_reading_is_in_the_answer(fleet: Database) -> None:
    got = ask(fleet, "how many trips per status last week")
    data = got.to_dict()
    assert data["reading"] == data["explain"]["nl"]["reading"]
    assert data["reading"].startswith("count of trips, grouped by status, last week: Mon 7 Sep")


def test_cli_table_shows_reading_and_a_bad_follow_up_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    file = tmp_path / "trips.ndjson"
    file.write_text("".join(__import__("json").dumps(t) + "\n" for t in TRIPS))
    assert run_cli("ingest", str(file), "--collection", "trips", data=data).returncode == 0
    now = _iso(NOW)
    first = run_cli(
        "ask", "how many trips per status", "--now", now, "--conversation", "c", data=data
    )
    assert first.returncode == 0, first.stderr
    assert "Read as: count of trips, grouped by status" in first.stdout
    assert "2 groups" in first.stdout
    bad = run_cli(
        "ask", "only the ones on the premium plan", "--now", now, "--conversation", "c", data=data
    )
    assert bad.returncode == 6
    assert "premium" in bad.stderr


def test_a_close_runner_up_is_named(sqlite_db: Database) -> None:
    sqlite_db.ingest(
        [
            {"id": 1, "home_city": "Paris", "work_city": "Lyon"},
            {"id": 2, "home_city": "Lyon", "work_city": "Paris"},
            {"id": 3, "home_city": "Paris", "work_city": "Paris"},
        ],
        collection="people",
    )
    got = sqlite_db.ask("how many people in Paris", now=NOW)
    assert "also possible" in got.reading
    assert got.confidence < 0.9
