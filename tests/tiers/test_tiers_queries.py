"""Queries across tiers give the answers they gave before any move, on both backends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tierdata import BASE, LATER, events

from thermodb.database import Database
from thermodb.storage.backends.duckdb.session import SCAN_LIVE_SQLITE

SPECS: list[dict[str, Any]] = [
    {"collection": "logs", "aggregates": [{"fn": "count"}]},
    {
        "collection": "logs",
        "group_by": [{"field": "level"}],
        "aggregates": [
            {"fn": "count", "alias": "n"},
            {"fn": "avg", "field": "ms"},
            {"fn": "percentile", "field": "ms", "q": 0.9},
            {"fn": "count_distinct", "field": "ctx.host"},
            {"fn": "min", "field": "ts"},
        ],
        "order": [{"field": "level"}],
    },
    {
        "collection": "logs",
        "group_by": [{"bucket": "day"}],
        "aggregates": [{"fn": "sum", "field": "ms"}],
        "order": [{"field": "day"}],
    },
    {
        "collection": "logs",
        "where": {
            "and": [
                {"field": "level", "op": "!=", "value": "info"},
                {"field": "ctx.host", "op": "=", "value": "h1"},
            ]
        },
        "order": [{"field": "id", "desc": True}],
        "limit": 5,
    },
    {
        "collection": "logs",
        "time": {"start": "2025-01-02T00:00:00Z", "end": "2025-01-03T12:00:00Z"},
        "aggregates": [{"fn": "count"}, {"fn": "max", "field": "ms"}],
    },
    {
        "collection": "logs",
        "group_by": [{"field": "host"}],
        "aggregates": [
            {"fn": "avg", "field": "ms", "alias": "avg_ms"},
            {"fn": "count", "field": "level"},
            {"fn": "max", "field": "ts"},
        ],
        "order": [{"field": "avg_ms", "desc": True}],
        "limit": 2,
    },
    {
        "collection": "logs",
        "links": [
            {
                "collection": "hosts",
                "kind": "semi",
                "on": ["host", "name"],
                "where": {"field": "tier", "op": "=", "value": "gold"},
            }
        ],
        "aggregates": [{"fn": "count"}],
    },
]


def _load(db: Database) -> None:
    db.ingest([{**r, "host": r["ctx"]["host"]} for r in events(120)], collection="logs")
    db.ingest(
        [
            {"name": f"h{i}", "tier": "gold" if i else "basic", "seen": BASE.isoformat()}
            for i in range(3)
        ],
        collection="hosts",
        key="name",
    )


def test_answers_are_the_same_before_and_after_moves(tiered_db: Database) -> None:
    db = tiered_db
    _load(db)
    before = [db.query(spec).rows for spec in SPECS]
    db.migrate(LATER)
    assert db.thermal.segments.segments("logs"), "nothing went cold"
    after = [db.query(spec) for spec in SPECS]
    assert [a.rows for a in after] == before
    assert after[0].explain["tiers"] == ["warm", "cold"]
    assert after[4].explain["segments_pruned"]["logs"] == 3  # only 2 of 5 days overlap
    # a SQLite file is scanned in place by DuckDB: one statement over both tiers; from
    # PostgreSQL, decomposable aggregates run as partials on each tier, merged after
    in_place = SCAN_LIVE_SQLITE and db.store.backend.file_path(db.store.engine) is not None
    assert db.thermal.duckdb.scans_warm == in_place
    if in_place:
        assert after[0].explain["merge"].startswith("union")
        assert after[0].explain["warm"] == "read in place (sqlite_scan)"
    else:
        assert {"warm_ms", "cold_ms", "total_ms"} <= set(after[0].explain["timings"])
        assert after[0].explain["merge"].startswith("partial aggregates")
    assert after[1].explain["merge"].startswith("union")  # percentile: merged in DuckDB
    timings = set(after[1].explain["timings"])
    assert {"duckdb_ms", "total_ms"} <= timings
    assert ("warm_ms" in timings) != in_place
    # half promoted back: still the same answers
    segment = db.thermal.segments.segments("logs")[0]
    db.thermal.migrator.promote(db.collection("logs"), segment.id, LATER)
    assert [db.query(spec).rows for spec in SPECS] == before


def test_cross_tier_results_are_cached_until_data_changes(tdb: Database) -> None:
    _load(tdb)
    tdb.migrate(LATER)
    spec = SPECS[0]
    assert tdb.query(spec).explain["result_cache"] == "miss"
    assert tdb.query(spec).explain["result_cache"] == "hit"
    tdb.ingest(events(1, start=500), collection="logs")
    fresh = tdb.query(spec)
    assert fresh.explain["result_cache"] == "miss" and fresh.rows == [[121]]
    tdb.migrate(LATER + timedelta(days=1))
    assert tdb.query(spec).rows == [[121]]


def test_a_move_during_a_query_makes_it_run_again(tdb: Database) -> None:
    _load(tdb)
    spec = SPECS[0]
    expected = tdb.query(spec).rows
    coll = tdb.collection("logs")
    first = next(p for p in tdb.thermal.migrator.plan(LATER) if p.collection == "logs")
    tdb.thermal.migrator.demote(coll, first.window_start, first.window_end, LATER)
    original = tdb.thermal._run
    moves = iter([p for p in tdb.thermal.migrator.plan(LATER) if p.collection == "logs"][:1])

    def run_with_a_move_under_it(spec_: Any, plan: Any) -> Any:
        answer = original(spec_, plan)
        move = next(moves, None)
        if move is not None:  # a demote commits after the tiers were read
            assert move.window_start and move.window_end
            tdb.thermal.migrator.demote(coll, move.window_start, move.window_end, LATER)
        return answer

    tdb.thermal._run = run_with_a_move_under_it  # type: ignore[method-assign]
    result = tdb.query(spec)
    assert result.rows == expected
    assert result.explain["attempts"] == 2 and "note" not in result.explain


DEEP_SPECS: list[dict[str, Any]] = [
    {
        "collection": "deep",
        "where": {"field": "m.a.b.c.d", "op": "=", "value": 1},
        "aggregates": [{"fn": "count", "alias": "n"}],
    },
    {
        "collection": "deep",
        "group_by": [{"field": "m.a.b.c.d"}],
        "aggregates": [{"fn": "count", "alias": "n"}, {"fn": "sum", "field": "m.a.b.w"}],
    },
    {
        "collection": "deep",
        "where": {"field": "m.a.b.c.label", "op": "starts_with", "value": "L1"},
        "select": ["id", "m.a.b.c.label", "m.a.b.c.d"],
        "order": [{"field": "id"}],
    },
]


def test_json_paths_of_any_depth_answer_alike_warm_and_cold(tiered_db: Database) -> None:
    """A filter, a group key and a listing on a four-level path, warm, then cold."""
    db = tiered_db
    rows = [
        {
            "id": i,
            "ts": (BASE + timedelta(hours=i)).isoformat().replace("+00:00", "Z"),
            "m": {"a": {"b": {"c": {"d": i % 3, "label": f"L{i % 12}"}, "w": i}}},
        }
        for i in range(96)
    ]
    db.ingest(rows, collection="deep")
    warm = [db.query(spec) for spec in DEEP_SPECS]
    assert warm[0].rows == [[32]]
    db.thermal.set_policy("deep", hot_for="1h", warm_for="1h", window="1d")
    db.migrate(LATER)
    assert db.thermal.cold_rows("deep") == 96
    cold = [db.query(spec) for spec in DEEP_SPECS]
    for before, after in zip(warm, cold, strict=True):
        assert after.explain["tiers"] == ["warm", "cold"]
        assert (after.columns, after.rows) == (before.columns, before.rows)
    # grouped rows with no order come in group-key order on every engine and tier
    assert [r[0] for r in cold[1].rows] == [0, 1, 2]
