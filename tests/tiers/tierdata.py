"""Helpers for the tier tests: event records spread over days, and a full-content check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from thermodb.database import Database
from thermodb.records import row_to_record
from thermodb.tiers.rowsets import records_from_table

BASE = datetime(2025, 1, 1, tzinfo=UTC)
LATER = datetime.now(UTC) + timedelta(days=2)
"""A pass at this time finds every window of BASE... old and quiet for longer than min_age."""


def events(n: int = 120, *, start: int = 0, hours: int = 1) -> list[dict[str, Any]]:
    """Keyed events, one every ``hours`` from BASE, over several daily windows."""
    return [
        {
            "id": i,
            "ts": (BASE + timedelta(hours=i * hours)).isoformat(),
            "level": "error" if i % 5 == 0 else "info",
            "ms": float(i % 17) * 1.5,
            "ctx": {"host": f"h{i % 3}"},
        }
        for i in range(start, start + n)
    ]


def placement(db: Database, collection: str) -> dict[str, list[Any]]:
    """Every key of a collection and where it is: warm rows and live rows of each segment."""
    coll = db.collection(collection)
    key = coll.fields[coll.key_field or ""]
    table = db.store.table(coll)
    assert key.column is not None
    with db.store.read() as conn:
        warm = [r[0] for r in conn.execute(sa.select(table.c[key.column]))]
    out: dict[str, list[Any]] = {"warm": warm}
    tiers = db.thermal
    segs = tiers.segments.segments(collection)
    with db.store.read() as conn:
        hidden = tiers.segments.tombstones(conn, [s.id for s in segs])
    for seg in segs:
        table_ = tiers.cold.read(seg.location)
        out[seg.id] = [
            r[key.path]
            for r in records_from_table(coll, table_)
            if r[key.path] not in hidden[seg.id]
        ]
    return out


def all_keys(db: Database, collection: str) -> list[Any]:
    """Every visible key, with repeats if a record were in two places (it must never be)."""
    return sorted(k for keys in placement(db, collection).values() for k in keys)


def contents(db: Database, collection: str, keys: list[Any]) -> dict[Any, Any]:
    """Records as `get` returns them (cold reads count towards promotion)."""
    db.thermal.cache.clear()
    return {k: db.get(collection, k) for k in keys}


def stored(db: Database, collection: str) -> dict[Any, Any]:
    """Every visible record by key, read from the tiers directly (no access counted)."""
    coll = db.collection(collection)
    key = coll.fields[coll.key_field or ""]
    out: dict[Any, Any] = {}
    with db.store.read() as conn:
        for row in conn.execute(db.store.table(coll).select()).mappings():
            record = row_to_record(coll, row)
            out[record[key.path]] = record
    segs = db.thermal.segments.segments(collection)
    with db.store.read() as conn:
        hidden = db.thermal.segments.tombstones(conn, [s.id for s in segs])
    for seg in segs:
        for record in records_from_table(coll, db.thermal.cold.read(seg.location)):
            if record[key.path] not in hidden[seg.id]:
                assert record[key.path] not in out, "a record is in two places"
                out[record[key.path]] = record
    return out


def redis_problem() -> str | None:
    """Why Redis at 127.0.0.1:6379 cannot be used, or None."""
    try:
        import redis
    except ImportError:
        return "the redis package is not installed (pip install 'thermodb[redis]')"
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return str(exc)
    return None
