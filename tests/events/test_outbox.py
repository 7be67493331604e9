"""The transactional outbox: one event per change, in the change's own transaction."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import thermodb
from thermodb.config import load_settings
from thermodb.database import Database
from thermodb.errors import InputError

BASE = datetime(2025, 1, 1, tzinfo=UTC)


def ops(db: Database, after: int = 0) -> list[tuple[str, str, object]]:
    return [(e.collection, e.op, e.key) for e in db.events.read(after, limit=10_000)]


def test_every_kind_of_change_is_one_event_in_order(db: Database) -> None:
    db.ingest(
        [{"id": 1, "name": "ann", "tags": ["a"], "vip": True}, {"id": 2, "name": "bob"}],
        collection="users",
        key="id",
    )
    db.ingest([{"id": 2, "name": "bob", "score": 2.5}], collection="users")
    assert db.delete("users", 1)
    assert not db.delete("users", 99)  # nothing deleted: no event
    db.alter("users", kind="entity")
    db.drop("users")
    assert ops(db) == [
        ("users", "schema", None),
        ("users", "upsert", 1),
        ("users", "upsert", 2),
        ("users", "schema", None),
        ("users", "upsert", 2),
        ("users", "delete", 1),
        ("users", "schema", None),
        ("users", "drop", None),
    ]
    events = db.events.read()
    assert [e.id for e in events] == list(range(1, 9))
    assert events[1].payload == {"id": 1, "name": "ann", "tags": ["a"], "vip": True}
    assert events[0].schema_version == 1
    assert events[0].payload["fields"] == {
        "id": "int",
        "name": "text",
        "tags": "json",
        "vip": "bool",
    }
    assert events[3].schema_version == 2
    assert events[3].payload["change"]["added"] == {"score": "float"}
    assert events[4].payload == {"id": 2, "name": "bob", "score": 2.5}
    assert events[4].schema_version == 2
    assert events[6].payload["kind"] == "entity"
    assert db.events.last_id() == 8


def test_a_recreated_collection_reports_its_schema_again(db: Database) -> None:
    db.ingest([{"id": 1, "x": 1}], collection="things", key="id")
    db.drop("things")
    db.ingest([{"id": 1, "x": "one"}], collection="things", key="id")
    assert [op for _, op, _ in ops(db)] == ["schema", "upsert", "drop", "schema", "upsert"]
    assert db.events.read(3)[0].payload["fields"]["x"] == "text"


def test_a_failed_ingest_leaves_no_event_and_no_gap(db: Database) -> None:
    db.ingest([{"id": 1, "name": "a"}], collection="users", key="id")
    before = db.events.last_id()
    with pytest.raises(InputError):
        db.ingest([{"id": 2, "name": "b"}, {"id": None, "name": "c"}], collection="users")
    with pytest.raises(InputError):
        db.ingest([{"id": 3, "big": 2**70}], collection="users")
    assert db.events.last_id() == before
    db.ingest([{"id": 4, "name": "d"}], collection="users")
    assert [e.id for e in db.events.read(before)] == [before + 1]
    report = db.ingest([{"id": 5, "name": "e"}], collection="users", dry_run=True)
    assert report.dry_run and db.events.last_id() == before + 1


def test_keyless_records_are_inserts_and_large_payloads_become_references(
    db: Database,
) -> None:
    db.ingest([{"msg": "x" * 10, "n": i} for i in range(3)], collection="notes")
    assert [op for _, op, _ in ops(db)] == ["schema", "insert", "insert", "insert"]
    db.events.inline_bytes = 100
    db.ingest([{"id": 7, "body": "y" * 500}, {"id": 8, "body": "z"}], collection="docs", key="id")
    big, small = db.events.read(db.events.last_id() - 2)
    assert big.payload is None and big.ref == "/v1/collections/docs/records/7"
    assert small.payload == {"id": 8, "body": "z"} and small.ref is None


def test_tier_moves_are_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THERMODB_COLD", f"file://{tmp_path / 'cold'}")
    db = thermodb.open(tmp_path / "data")
    try:
        records = [
            {"id": i, "ts": (BASE + timedelta(hours=i)).isoformat(), "v": i} for i in range(48)
        ]
        db.ingest(records, collection="logs")
        before = db.events.last_id()
        report = db.migrate(datetime.now(UTC) + timedelta(days=2))
        assert report.rows_moved == 48
        moves = db.events.read(before)
        segments = db.thermal.segments.segments("logs")
        assert [e.op for e in moves] == ["move"] * len(segments) and segments
        assert {e.payload["from"] for e in moves} == {"warm"}
        assert sum(e.payload["rows"] for e in moves) == 48
        assert all(e.payload["move"] == "demote" and e.payload["segment"] for e in moves)
        assert db.delete("logs", 5)  # a cold record's delete is an event too
        assert ops(db, db.events.last_id() - 1) == [("logs", "delete", 5)]
    finally:
        db.close()


def test_cursors_and_trim(db: Database) -> None:
    db.ingest([{"id": i} for i in range(10)], collection="c", key="id")
    assert db.events.position("billing") == 0
    db.events.commit("billing", 4)
    db.events.commit("search", 8)
    assert db.events.cursors() == {"billing": 4, "search": 8}
    assert db.events.trim() == 4  # only what every consumer has passed
    assert db.events.read()[0].id == 5
    db.events.commit("billing", 11)
    assert db.events.trim(up_to=6) == 2
    assert db.events.read()[0].id == 7
    with pytest.raises(InputError):
        db.events.commit("", 1)


def test_the_outbox_can_be_turned_off(tmp_path: Path) -> None:
    target = str(tmp_path / "data")
    settings = load_settings(target, environ={"THERMODB_OUTBOX": "0"})
    assert settings.outbox is False
    db = Database(target, settings)
    try:
        db.ingest([{"id": 1}], collection="c", key="id")
        db.delete("c", 1)
        assert db.events.read() == [] and db.events.last_id() == 0
    finally:
        db.close()


@pytest.mark.parametrize("writers", [3])
def test_ids_become_visible_in_order_under_concurrent_writers(
    backend_url: str, writers: int
) -> None:
    """A follower never sees an id below one it has already passed (commit order)."""
    dbs = [thermodb.open(backend_url) for _ in range(writers + 1)]
    reader = dbs[0]
    reader.ingest([{"id": -1}], collection="c", key="id")
    done = threading.Event()
    errors: list[BaseException] = []

    def write(db: Database, base: int) -> None:
        try:
            for i in range(15):
                db.ingest([{"id": base + i * 10 + j} for j in range(10)], collection="c")
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(d, 10_000 * n)) for n, d in enumerate(dbs[1:])]
    for t in threads:
        t.start()
    seen: list[int] = []
    position = 0
    while not done.is_set():
        batch = reader.events.read(position, limit=50)
        seen += [e.id for e in batch]
        position = seen[-1] if seen else 0
        if not any(t.is_alive() for t in threads) and not batch:
            done.set()
    for t in threads:
        t.join()
    seen += [e.id for e in reader.events.read(position, limit=10_000)]  # the last commits
    for d in dbs:
        d.close()
    assert not errors
    assert seen == list(range(1, len(seen) + 1))
    assert len(seen) == 2 + writers * 15 * 10


TRICKY = [
    {"n": 1, "f": 0.1, "t": 'quote " back \\ slash', "b": True, "j": {"a": [1, None, "x"]}},
    {"n": -(2**63), "f": 1 / 3, "t": "tab\tnl\ncontrol\x01 é ü 😀", "b": False, "j": [1.5]},
    {"n": 2**63 - 1, "f": 1e300, "t": "", "j": {}, "ts": "2026-03-01T10:00:00.123456Z"},
    {"f": 5e-324, "t": "'single'", "ts": "2026-03-01T10:00:00Z"},
    {"f": 3, "n": None, 'odd key "x"': 1},
    {"f": -0.5},
]


def test_the_engine_built_payloads_equal_the_python_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches on SQLite are turned into events by SQL; the result must not differ."""
    from thermodb.events import outbox

    def payloads(target: Path) -> list[tuple[Any, ...]]:
        db = thermodb.open(target)
        try:
            db.ingest(TRICKY, collection="odd")
            keyed = [{"id": f"k'{i}\"", **r} for i, r in enumerate(TRICKY)]
            db.ingest(keyed, collection="odd_keyed", key="id")
            return [
                (e.op, e.key, e.schema_version, e.payload)
                for e in db.events.read()
                if e.op != "schema"
            ]
        finally:
            db.close()

    fast = payloads(tmp_path / "fast")
    monkeypatch.setattr(outbox, "ENGINE_BUILT", False)
    slow = payloads(tmp_path / "slow")
    assert fast == slow
    assert [op for op, *_ in fast] == ["insert"] * 6 + ["upsert"] * 6
    assert fast[1][3]["f"] == 1 / 3 and fast[3][3]["f"] == 5e-324
    assert fast[1][3]["t"] == TRICKY[1]["t"] and fast[0][3]["j"] == {"a": [1, None, "x"]}
    assert fast[4][3] == {"f": 3.0, 'odd key "x"': 1}
    assert fast[6][1] == "k'0\"" and fast[6][3]["id"] == "k'0\""
