"""Retention: delete_after for warm rows (with change events) and the change stream."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from thermodb.database import Database

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_delete_after_removes_old_warm_rows_and_says_so(db: Database) -> None:
    records = [
        {"id": i, "ts": (NOW - timedelta(days=i)).isoformat(), "v": i} for i in range(0, 60, 5)
    ]
    db.ingest(records, collection="visits", key="id")
    db.ingest(
        [{"ts": (NOW - timedelta(days=d)).isoformat(), "n": d} for d in (1, 40, 50)],
        collection="pings",
    )
    for name in ("visits", "pings"):
        db.thermal.set_policy(name, warm_for="3650d", delete_after="30d")  # stays warm
    assert db.query({"collection": "visits", "aggregates": [{"fn": "count"}]}).rows == [[12]]
    before = db.events.last_id()

    plan = db.migrate(NOW, dry_run=True)
    assert {(p.collection, p.rows) for p in plan.planned if p.kind == "delete"} == {
        ("visits", 5),  # 35..55 days old; 30 is at the cut-off, not past it
        ("pings", 2),
    }
    assert db.count("visits") == 12 and db.events.last_id() == before

    report = db.migrate(NOW)
    warm = {d["collection"]: d["rows"] for d in report.done if d.get("tier") == "warm"}
    assert warm == {"visits": 5, "pings": 2}
    assert db.count("visits") == 7 and db.count("pings") == 1
    assert db.get("visits", 35) is None and db.get("visits", 25) is not None
    # cached answers are retired with the data version
    assert db.query({"collection": "visits", "aggregates": [{"fn": "count"}]}).rows == [[7]]
    events = db.events.read(before)
    deleted = sorted(e.key for e in events if e.op == "delete")
    assert deleted == [35, 40, 45, 50, 55]
    expire = [e for e in events if e.op == "expire"]
    assert len(expire) == 1 and expire[0].payload["rows"] == 2
    assert db.migrate(NOW).done == []  # nothing left to expire


def test_the_change_stream_is_trimmed_behind_every_cursor(db: Database) -> None:
    db.ingest([{"id": i} for i in range(10)], collection="c", key="id")
    db.migrate(NOW)
    assert len(db.events.read()) == 11  # no consumer yet: nothing is trimmed
    db.events.commit("a", 6)
    db.events.commit("b", 9)
    report = db.migrate(NOW)
    assert {"kind": "trim", "tier": "events", "rows": 6} in report.done
    assert db.events.read()[0].id == 7
