"""The point-read fast path (raw sqlite3) and the warm result cache: fast and never stale."""

from __future__ import annotations

from typing import Any

from tierdata import LATER, events

import thermodb
from thermodb.database import Database

COUNT = {"collection": "logs", "aggregates": [{"fn": "count"}]}
ERRORS = {"collection": "logs", "where": {"field": "level", "op": "=", "value": "error"}}


def _typed(n: int) -> list[dict[str, Any]]:
    return [{**e, "ok": e["id"] % 2 == 0, "tags": ["a", e["id"]]} for e in events(n)]


def test_fast_path_returns_what_the_sqlalchemy_path_returns(tdb: Database) -> None:
    assert tdb.thermal.keyread is not None  # a data directory: the raw sqlite3 reader is used
    tdb.ingest(_typed(30), collection="logs")
    fast = {k: tdb.get("logs", k) for k in range(30)}
    tdb.thermal.cache.clear()
    tdb.thermal.keyread = None
    slow = {k: tdb.get("logs", k) for k in range(30)}
    assert fast == slow
    assert fast[4] is not None and fast[4]["ok"] is True and fast[4]["tags"] == ["a", 4]


def test_a_hot_get_is_served_by_the_cache(tdb: Database) -> None:
    tdb.ingest(events(10), collection="logs")
    first = tdb.get("logs", 3)
    hits = tdb.thermal.cache.stats().hits
    assert tdb.get("logs", 3) == first
    assert tdb.thermal.cache.stats().hits == hits + 1


def test_point_reads_see_writes_deletes_schema_changes_and_moves(tiered_db: Database) -> None:
    db = tiered_db
    db.ingest(events(48), collection="logs")
    assert db.get("logs", 3)["level"] == "info"  # type: ignore[index]
    db.ingest([{**events(1, start=3)[0], "level": "new"}], collection="logs")
    assert db.get("logs", 3)["level"] == "new"  # type: ignore[index]
    db.ingest([{**events(1, start=3)[0], "extra": "field"}], collection="logs")  # schema grows
    assert db.get("logs", 3)["extra"] == "field"  # type: ignore[index]
    db.migrate(LATER)  # moves 3 to cold
    assert db.get("logs", 3)["extra"] == "field"  # type: ignore[index]
    assert db.delete("logs", 3) is True
    assert db.get("logs", 3) is None


def test_another_process_writing_invalidates_gets_and_queries(tiered_db: Database) -> None:
    db = tiered_db
    db.ingest(events(10), collection="logs")
    assert db.get("logs", 2)["level"] == "info"  # type: ignore[index]
    assert db.query(COUNT).scalar() == 10
    with thermodb.open(db.target) as other:  # a second Database: its own caches and versions
        other.ingest([{**events(1, start=2)[0], "level": "other"}], collection="logs")
        other.ingest(events(1, start=50), collection="logs")
    assert db.get("logs", 2)["level"] == "other"  # type: ignore[index]
    assert db.query(COUNT).scalar() == 11


def test_warm_query_results_are_cached_and_never_stale(tiered_db: Database) -> None:
    db = tiered_db
    db.ingest(events(48), collection="logs")
    first = db.query(ERRORS)
    assert first.explain["result_cache"] == "miss"
    again = db.query(ERRORS)
    assert again.explain["result_cache"] == "hit" and again.rows == first.rows
    assert db.query(ERRORS, max_rows=2).explain["result_cache"] == "miss"  # cap is in the key

    def errors() -> int:
        return len(db.query(ERRORS).rows)

    assert errors() == 10
    db.ingest([{**events(1, start=1)[0], "level": "error"}], collection="logs")  # a write
    assert errors() == 11
    db.delete("logs", 1)  # a delete
    assert errors() == 10
    db.ingest([{**events(1, start=7)[0], "level": "error", "new": 1}], collection="logs")
    assert errors() == 11  # a schema change
    assert db.query(COUNT).scalar() == 47
    db.migrate(LATER)  # a move to cold
    assert db.query(COUNT).scalar() == 47
    db.drop("logs")
    db.ingest(events(3), collection="logs")
    assert db.query(COUNT).scalar() == 3
    stats = db.tiers()[0]["result_cache"]
    assert stats["hits"] >= 2 and 0 < stats["hit_rate"] < 1


def test_a_new_key_field_retires_cached_gets_and_answers(tdb: Database) -> None:
    tdb.ingest([{**e, "uid": e["id"] + 1000} for e in events(10)], collection="logs")
    assert tdb.get("logs", 5) is not None
    by_key = {"collection": "logs", "aggregates": [{"fn": "count"}]}
    assert tdb.query(by_key).scalar() == 10
    tdb.alter("logs", key_field="uid")
    assert tdb.get("logs", 5) is None
    assert tdb.get("logs", 1005)["id"] == 5  # type: ignore[index]
    assert tdb.query(by_key).explain["result_cache"] == "miss"
