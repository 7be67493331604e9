"""Backups: consistent online snapshots, incremental segments, verify, restore (both backends)."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

import thermodb
from thermodb.config import Settings
from thermodb.database import Database
from thermodb.errors import ConfigError, StorageError
from thermodb.lifecycle import restore_backup, take_backup, verify_backup
from thermodb.lifecycle.destination import Destination
from thermodb.lifecycle.manifest import read_manifest

BASE = datetime(2025, 1, 1, tzinfo=UTC)
LATER = datetime.now(UTC) + timedelta(days=2)


@pytest.fixture
def tiered(backend_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("THERMODB_COLD", f"file://{tmp_path / 'cold'}")
    db = thermodb.open(backend_url)
    yield db
    db.close()


@pytest.fixture
def second_target(backend_url: str, tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    """An empty store on the same backend as ``backend_url``, with its own cold folder."""
    cold = f"file://{tmp_path / 'restored-cold'}"
    if "://" not in backend_url:
        target = str(tmp_path / "restored")
        yield target, Settings(data_dir=target, cold=cold)
        return
    import psycopg

    schema = f"r_{uuid.uuid4().hex[:12]}"
    base = backend_url.split("?", 1)[0]
    target = f"{base}?schema={schema}"
    yield target, Settings(operational=target, data_dir=str(tmp_path / "r"), cold=cold)
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def fill(db: Database) -> None:
    logs = [
        {"id": i, "ts": (BASE + timedelta(hours=i)).isoformat(), "v": i * 1.5, "ctx": {"h": i % 3}}
        for i in range(96)
    ]
    db.ingest(logs, collection="logs")
    db.ingest(
        [{"id": i, "name": f"u{i}", "vip": i % 2 == 0} for i in range(40)],
        collection="users",
        key="id",
    )
    assert db.migrate(LATER).rows_moved == 96  # logs go cold (in one or more segments)
    db.delete("logs", 7)  # a tombstone in a cold segment
    db.ingest([{"id": 200, "ts": datetime.now(UTC).isoformat(), "v": 1.0}], collection="logs")


def records(db: Database, collection: str) -> list[dict[str, object]]:
    result = db.query({"collection": collection, "order": [{"field": "id"}], "limit": 10_000})
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def test_backup_verify_restore_round_trip(
    tiered: Database, tmp_path: Path, second_target: tuple[str, Settings]
) -> None:
    db = tiered
    fill(db)
    dest = tmp_path / "backups"
    report = take_backup(db, dest)
    assert report.manifest.collections["logs"]["rows"] == 96
    assert report.manifest.collections["logs"]["cold_rows"] == 95
    assert report.manifest.collections["users"]["rows"] == 40
    cold = len(db.thermal.segments.segments("logs"))
    assert cold >= 1 and (report.segments_copied, report.segments_reused) == (cold, 0)
    assert report.manifest.last_event_id == db.events.last_id()

    check = verify_backup(dest)
    assert check.ok, check.problems
    assert check.collections == report.manifest.collections

    target, settings = second_target
    restored = restore_backup(dest, target, settings=settings)
    assert restored.ok
    with Database(target, settings) as copy:
        assert copy.count("logs") == 96 and copy.count("users") == 40
        assert records(copy, "logs") == records(db, "logs")
        assert records(copy, "users") == records(db, "users")
        assert copy.get("logs", 7) is None and copy.get("logs", 8) == db.get("logs", 8)
        assert copy.thermal.cold.url != db.thermal.cold.url  # a new database id
        copy.ingest([{"id": 41, "name": "new"}], collection="users")  # writable, ids go on
        assert copy.count("users") == 41
        assert copy.events.last_id() == report.manifest.last_event_id + 1


def test_cold_segments_are_copied_once(tiered: Database, tmp_path: Path) -> None:
    db = tiered
    fill(db)
    dest = tmp_path / "backups"
    take_backup(db, dest)
    again = take_backup(db, dest)
    cold = len(db.thermal.segments.segments("logs"))
    assert (again.segments_copied, again.segments_reused) == (0, cold)
    db.ingest([{"id": 500, "ts": (BASE + timedelta(days=10)).isoformat()}], collection="logs")
    db.migrate(LATER)
    third = take_backup(db, dest)
    now = {s.location for s in db.thermal.segments.segments("logs")}
    new = len(now - {e.path.removeprefix("segments/") for e in again.manifest.segments})
    assert new >= 1 and (third.segments_copied, third.segments_reused) == (new, len(now) - new)
    assert len(list((dest / "segments").rglob("*.parquet"))) >= len(now)
    assert verify_backup(dest).ok


def test_verify_catches_a_flipped_byte_in_any_file(sqlite_db: Database, tmp_path: Path) -> None:
    db = sqlite_db
    fill(db)
    dest = tmp_path / "backups"
    manifest = take_backup(db, dest).manifest
    for entry in manifest.files():
        damaged = tmp_path / f"damaged-{uuid.uuid4().hex[:6]}"
        shutil.copytree(dest, damaged)
        path = damaged / entry.path
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
        report = verify_backup(damaged)
        assert not report.ok and entry.path in report.problems[0], (entry.path, report.problems)
        with pytest.raises(StorageError, match="damaged"):
            restore_backup(damaged, tmp_path / f"r-{uuid.uuid4().hex[:6]}")


def test_verify_compares_records_with_the_manifest(sqlite_db: Database, tmp_path: Path) -> None:
    fill(sqlite_db)
    dest = tmp_path / "backups"
    manifest = take_backup(sqlite_db, dest).manifest
    doc = orjson.loads((dest / manifest.id / "manifest.json").read_bytes())
    doc["collections"]["users"]["checksum"] = "0" * 32
    doc["collections"]["logs"]["rows"] = 97
    (dest / manifest.id / "manifest.json").write_bytes(orjson.dumps(doc))
    report = verify_backup(dest)
    assert sorted(report.problems) == [
        "logs: 96 records restored, 97 backed up",
        "users: the restored records' checksum differs",
    ]


def test_restore_refuses_a_store_that_holds_data(sqlite_db: Database, tmp_path: Path) -> None:
    fill(sqlite_db)
    dest = tmp_path / "backups"
    take_backup(sqlite_db, dest)
    with pytest.raises(ConfigError, match="not empty"):
        restore_backup(dest, sqlite_db.target)
    assert read_manifest(Destination(dest)).collections["users"]["rows"] == 40


def test_a_backup_during_steady_ingest_holds_exactly_what_had_committed(
    db: Database, tmp_path: Path, second_target: tuple[str, Settings]
) -> None:
    """Each batch is one transaction: the restore holds a whole prefix of the batches."""
    batch = 200
    db.ingest([{"id": -1, "n": 0}], collection="stream", key="id")
    stop = threading.Event()
    written = [0]
    failures: list[BaseException] = []

    def write() -> None:
        writer = thermodb.open(db.target)
        try:
            while not stop.is_set():
                b = written[0]
                writer.ingest(
                    [{"id": b * batch + i, "n": b} for i in range(batch)], collection="stream"
                )
                written[0] = b + 1
        except BaseException as exc:  # reported by the test
            failures.append(exc)
        finally:
            writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        while written[0] < 3:
            stop.wait(0.01)
        manifest = take_backup(db, tmp_path / "backups").manifest
        at_backup = written[0]
        while written[0] < at_backup + 2:  # writes went on after the snapshot
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join()
    assert not failures
    target, settings = second_target
    restore_backup(tmp_path / "backups", target, settings=settings)
    with Database(target, settings) as copy:
        table = copy.store.table(copy.collection("stream"))
        with copy.store.read() as conn:
            ids = sorted(r[0] for r in conn.execute(sa.select(table.c.id)))
        batches = (len(ids) - 1) // batch
        assert ids == [-1, *range(batches * batch)]  # whole batches, in commit order
        assert len(ids) == manifest.collections["stream"]["rows"]
        assert 3 <= batches < written[0]
        assert copy.events.last_id() == manifest.last_event_id
        assert copy.events.last_id() == 2 + batches * batch  # schema + first record + batches
