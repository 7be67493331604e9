"""The query log: fingerprints over every interface, hourly aggregates, off the read path."""

from __future__ import annotations

import random
import statistics
from pathlib import Path

import pytest
import sqlalchemy as sa
from insightdata import Clock, by_user, events, open_db, replay
from sqlalchemy import event

from thermodb.config import load_settings
from thermodb.database import Database
from thermodb.errors import ConfigError, NotFoundError
from thermodb.intelligence.fingerprint import fingerprint_spec, fingerprint_sql, spec_fields
from thermodb.intelligence.sketch import Histogram
from thermodb.query.spec import QuerySpec


def test_literals_do_not_split_a_fingerprint() -> None:
    a = QuerySpec.model_validate(
        {"collection": "e", "where": {"field": "x", "op": "in", "value": [1, 2]}, "limit": 5}
    )
    b = QuerySpec.model_validate(
        {"collection": "e", "where": {"field": "x", "op": "in", "value": [7]}, "limit": 50}
    )
    c = QuerySpec.model_validate(
        {"collection": "e", "where": {"field": "y", "op": "=", "value": 1}}
    )
    assert fingerprint_spec(a).id == fingerprint_spec(b).id != fingerprint_spec(c).id
    one = fingerprint_sql("SELECT count(*) FROM ev WHERE v > 10 AND k IN (1, 2)", "sqlite")
    two = fingerprint_sql("select COUNT(*)\n from ev where v > 99 and k in (3)", "sqlite")
    assert one.id == two.id and one.collection == "ev" and "?" in one.text
    assert fingerprint_sql("SELECT v FROM ev", "sqlite").id != one.id


def test_spec_fields_name_filter_order_and_group_roles() -> None:
    spec = QuerySpec.model_validate(
        {
            "collection": "e",
            "where": {
                "and": [
                    {"field": "user", "op": "=", "value": 1},
                    {"field": "amount", "op": ">", "value": 5},
                    {
                        "or": [
                            {"field": "a", "op": "=", "value": 1},
                            {"field": "b", "op": "=", "value": 2},
                        ]
                    },
                ]
            },
            "time": {"start": "2026-01-01T00:00:00Z"},
            "group_by": [{"field": "country"}, {"bucket": "day"}],
            "aggregates": [{"fn": "count", "alias": "n"}],
            "order": [{"field": "n", "desc": True}, {"field": "country"}],
        }
    )
    fields = spec_fields(spec)
    assert fields.equality == ["user"] and fields.range == ["amount"]
    assert fields.group == ["country"] and fields.order == ["country"]
    assert fields.time_range and fields.time_bucket


def test_histogram_percentiles_within_the_bucket_error() -> None:
    rnd = random.Random(3)
    samples = [rnd.lognormvariate(1.0, 1.2) for _ in range(20_000)]
    hist = Histogram.of(samples)
    ordered = sorted(samples)
    for q in (0.5, 0.9, 0.99):
        true = ordered[int(q * len(ordered))]
        assert hist.quantile(q) == pytest.approx(true, rel=0.1)
    merged = Histogram.of(samples[:5000])
    merged.merge(Histogram.of(samples[5000:]))
    assert merged.counts == hist.counts and merged.total == len(samples)


def test_every_interface_is_logged_by_fingerprint(tuned: Database) -> None:
    tuned.thermal.results.capacity = 512
    tuned.ingest(events(500), collection="events")
    for value in (1, 2, 3, 1, 1):  # three misses, then hits of the first spec
        where = {"field": "user_id", "op": "=", "value": value}
        tuned.query({"collection": "events", "where": where, "aggregates": [{"fn": "count"}]})
    tuned.sql("SELECT count(*) FROM events WHERE value > 10")
    tuned.sql("select count(*) from events where value > 50.5")
    answer = tuned.ask("how many events are there")
    assert answer is not None
    with pytest.raises(NotFoundError):
        tuned.query({"collection": "missing"})
    report = tuned.insights.queries()
    by_interface = {}
    for entry in report["frequent"]:
        by_interface.setdefault(entry["interface"], []).append(entry)
    spec = next(e for e in by_interface["spec"] if e["collection"] == "events")
    assert spec["calls"] == 5 and spec["cache_hits"] == 2 and spec["executed"] == 3
    assert spec["tiers"] == {"warm": 3, "cache": 2} and spec["rows_returned"] == 5
    assert spec["p50_ms"] > 0 and spec["p99_ms"] >= spec["p50_ms"]
    assert spec["arrivals_per_hour"][-1] == 5 and len(spec["arrivals_per_hour"]) == 24
    (sql,) = by_interface["sql"]
    assert sql["calls"] == 2 and "?" in sql["query"]
    assert by_interface["ask"][0]["calls"] >= 1
    failed = next(e for e in by_interface["spec"] if e["collection"] == "missing")
    assert failed["errors"] == 1 and failed["executed"] == 0
    (writes,) = report["writes"]
    assert writes["collection"] == "events" and writes["rows_returned"] == 500


def test_reads_never_write_the_log(tuned: Database) -> None:
    tuned.ingest(events(200), collection="events")
    tuned.insights.log.flush()
    written: list[str] = []

    def watch(_c: object, _cur: object, statement: str, *_args: object) -> None:
        if "thermo_query" in statement:
            written.append(statement)

    event.listen(tuned.store.engine, "before_cursor_execute", watch)
    try:
        replay(tuned, by_user, 30)
        assert written == [] and tuned.insights.log.buffered == 30
        assert tuned.insights.log.flush() == 30
        assert written, "the flush writes the aggregates in its own transaction"
    finally:
        event.remove(tuned.store.engine, "before_cursor_execute", watch)


def test_hourly_rows_merge_across_processes_and_hours(backend_url: str, clock: Clock) -> None:
    first, second = open_db(backend_url), open_db(backend_url)
    try:
        for db in (first, second):
            db.insights.clock = clock
        first.ingest(events(200), collection="events")
        replay(first, by_user, 7)
        replay(second, by_user, 5)
        first.insights.log.flush()
        second.insights.log.flush()
        clock.advance(1)
        replay(second, by_user, 4)
        report = second.insights.queries()
        entry = next(e for e in report["frequent"] if e["interface"] == "spec")
        assert entry["calls"] == 16
        assert entry["arrivals_per_hour"][-2:] == [12, 4]
        with first.store.read() as conn:
            writers = conn.execute(sa.text("SELECT count(DISTINCT writer) FROM thermo_query_stats"))
            assert writers.scalar_one() == 2
    finally:
        first.close()
        second.close()


def test_regressions_compare_with_the_week_before(tuned: Database, clock: Clock) -> None:
    log = tuned.insights.log
    spec = QuerySpec.model_validate({"collection": "events"})
    ok = tuned.query  # a real Result to log against
    tuned.ingest(events(10), collection="events")
    result = ok(spec)
    for ms in [2.0] * 20:
        log.record("spec", spec, ms / 1000, result)
    log.flush()
    clock.advance(48)
    for ms in [9.0] * 20:
        log.record("spec", spec, ms / 1000, result)
    (regressed,) = tuned.insights.queries()["regressions"]
    assert regressed["ratio"] == pytest.approx(4.5, rel=0.15)
    assert statistics.median([regressed["baseline_p50_ms"]]) == pytest.approx(2.0, rel=0.1)


def test_the_log_can_be_switched_off(backend_url: str) -> None:
    db = open_db(backend_url, query_log=False)
    try:
        db.ingest(events(50), collection="events")
        replay(db, by_user, 5)
        assert db.insights.log.buffered == 0
        assert db.insights.queries()["calls"] == 0
    finally:
        db.close()


def test_settings_from_the_environment_and_bad_values(tmp_path: Path) -> None:
    env = {"THERMODB_INSIGHTS_ADVISOR": "off", "THERMODB_INSIGHTS__SLOW_MS": "12.5"}
    db = Database(tmp_path / "data", load_settings(tmp_path / "data", environ=env))
    try:
        assert db.insights.settings.advisor == "off" and db.insights.settings.slow_ms == 12.5
    finally:
        db.close()
    bad = load_settings(tmp_path / "data", environ={"THERMODB_INSIGHTS_ADVISOR": "maybe"})
    with pytest.raises(ConfigError, match=r"insights\.advisor"):
        Database(tmp_path / "data", bad)
