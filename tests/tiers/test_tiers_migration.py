"""The migration protocol: demote, promote, retention, conflicts, failures and orphans."""

from __future__ import annotations

import errno
from datetime import timedelta
from pathlib import Path

import pytest
from tierdata import BASE, LATER, all_keys, contents, events, placement, stored

from thermodb.database import Database
from thermodb.errors import StorageError


def test_demote_then_promote_on_access_keeps_every_record_once(tiered_db: Database) -> None:
    db = tiered_db
    records = events(120)
    db.ingest(records, collection="logs")
    keys = [r["id"] for r in records]
    before = contents(db, "logs", keys)

    report = db.migrate(LATER)
    assert report.failed == []
    assert report.rows_moved == 120
    where = placement(db, "logs")
    assert where["warm"] == []
    assert len(where) == 1 + 5  # 120 hourly events = five daily windows
    assert all_keys(db, "logs") == sorted(keys)
    assert db.count("logs") == 120
    assert stored(db, "logs") == before

    where = placement(db, "logs")
    segment = next(s for s in db.thermal.segments.segments("logs") if 30 in where[s.id])
    db.thermal.clock = lambda: LATER  # reads happen at the time of the pass
    for _ in range(6):  # logs promote after 5 (decayed) reads
        db.thermal.cache.clear()
        assert db.get("logs", 30) == before[30]
    report = db.migrate(LATER)
    assert [d["kind"] for d in report.done] == ["promote"]
    assert not db.thermal.cold.exists(segment.location)
    assert 30 in placement(db, "logs")["warm"]
    assert all_keys(db, "logs") == sorted(keys)
    assert stored(db, "logs") == before
    assert contents(db, "logs", keys) == before
    # a promoted window stays warm for warm_for before it may go cold again
    assert "demote" not in [p.kind for p in db.thermal.migrator.plan(LATER)]
    assert any(p.kind == "demote" for p in db.thermal.migrator.plan(LATER + timedelta(days=9)))


def test_writes_hide_cold_copies_and_deletes_reach_cold(tdb: Database) -> None:
    tdb.ingest(events(48), collection="logs")
    tdb.migrate(LATER)
    assert placement(tdb, "logs")["warm"] == []
    tdb.ingest([{**events(1, start=7)[0], "level": "fixed"}], collection="logs")
    assert tdb.get("logs", 7)["level"] == "fixed"
    assert all_keys(tdb, "logs") == list(range(48))
    assert tdb.delete("logs", 8) is True
    assert tdb.get("logs", 8) is None
    assert tdb.delete("logs", 8) is False
    assert tdb.count("logs") == 47
    # promotion skips hidden keys: no duplicate of 7, no resurrection of 8
    segment = tdb.thermal.segments.segments("logs")[0]
    coll = tdb.collection("logs")
    tdb.thermal.migrator.promote(coll, segment.id, LATER)
    assert all_keys(tdb, "logs") == [k for k in range(48) if k != 8]
    assert tdb.get("logs", 7)["level"] == "fixed"


def test_backfilled_history_waits_for_min_age(tdb: Database) -> None:
    tdb.ingest(events(24), collection="logs")
    just_after = LATER - timedelta(days=2) + timedelta(minutes=5)
    assert tdb.migrate(just_after, dry_run=True).planned == []
    assert len(tdb.migrate(LATER, dry_run=True).planned) == 1


def test_dry_run_changes_nothing(tdb: Database) -> None:
    tdb.ingest(events(48), collection="logs")
    report = tdb.migrate(LATER, dry_run=True)
    assert [p.kind for p in report.planned] == ["demote", "demote"]
    assert report.done == [] and tdb.thermal.segments.segments("logs") == []
    assert len(placement(tdb, "logs")["warm"]) == 48


def test_a_write_into_the_window_during_a_move_abandons_the_switch(tdb: Database) -> None:
    tdb.ingest(events(24), collection="logs")

    def write_meanwhile(step: str) -> None:
        if step == "demote:staged":
            tdb.ingest([{**events(1, start=3)[0], "level": "changed"}], collection="logs")

    tdb.thermal.migrator.checkpoint = write_meanwhile
    report = tdb.migrate(LATER)
    assert report.done == [] and "changed" in report.failed[0]["error"]
    assert tdb.thermal.segments.segments("logs") == []
    assert list(tdb.thermal.cold.files()) == []
    failed = tdb.explain_tiers("logs", LATER)["queue"]
    assert [m["state"] for m in failed] == ["failed"]
    tdb.thermal.migrator.checkpoint = lambda step: None
    assert tdb.migrate(LATER).rows_moved == 24
    assert tdb.get("logs", 3)["level"] == "changed"


def test_full_disk_fails_the_move_and_keeps_the_rows(tdb: Database) -> None:
    tdb.ingest(events(24), collection="logs")
    cold = tdb.thermal.cold

    def full_disk(path: str, data: bytes) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(data[: len(data) // 2])  # a partial file, then ENOSPC
        raise OSError(errno.ENOSPC, "No space left on device")

    cold.put = full_disk
    report = tdb.migrate(LATER)
    assert "no space left" in report.failed[0]["error"]
    assert len(placement(tdb, "logs")["warm"]) == 24
    assert list(cold.files()) == []
    assert tdb.explain_tiers("logs", LATER)["queue"][0]["state"] == "failed"
    cold.put = cold._put
    assert tdb.migrate(LATER).rows_moved == 24
    assert all_keys(tdb, "logs") == list(range(24))


def test_orphans_are_collected_and_referenced_files_kept(tdb: Database) -> None:
    tdb.ingest(events(24), collection="logs")
    tdb.migrate(LATER)
    root = Path(tdb.thermal.cold.root)
    (root / "_tmp").mkdir(exist_ok=True)
    (root / "_tmp" / "sdead.parquet").write_bytes(b"half")
    (root / "logs" / "sgone.parquet").write_bytes(b"stale")
    report = tdb.thermal.recover()
    assert sorted(report.orphans_removed) == ["_tmp/sdead.parquet", "logs/sgone.parquet"]
    segment = tdb.thermal.segments.segments("logs")[0]
    assert tdb.thermal.cold.exists(segment.location)
    assert all_keys(tdb, "logs") == list(range(24))


def test_delete_after_retires_old_segments(tdb: Database) -> None:
    tdb.ingest(events(48), collection="logs")
    tdb.migrate(LATER)
    tdb.thermal.set_policy("logs", delete_after="400d")
    far = BASE + timedelta(days=402)
    report = tdb.migrate(max(far, LATER))
    assert [d["kind"] for d in report.done] == ["delete", "delete"]
    assert tdb.count("logs") == 0 and list(tdb.thermal.cold.files()) == []


def test_bad_policy_values_say_what_to_write(tdb: Database) -> None:
    tdb.ingest(events(2), collection="logs")
    with pytest.raises(Exception, match="30d"):
        tdb.thermal.set_policy("logs", warm_for="a month")


def test_unreadable_segment_is_a_storage_error(tdb: Database) -> None:
    tdb.ingest(events(24), collection="logs")
    tdb.migrate(LATER)
    segment = tdb.thermal.segments.segments("logs")[0]
    Path(tdb.thermal.cold.full(segment.location)).write_bytes(b"not parquet")
    tdb.thermal.cache.clear()
    with pytest.raises(StorageError):
        tdb.get("logs", 3)


def test_background_mover_demotes_and_promotes(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    import thermodb

    with thermodb.open(data_dir) as db:
        db.ingest(events(24), collection="logs")
    monkeypatch.setenv("THERMODB_MIGRATE_EVERY", "0.05")
    with thermodb.open(data_dir) as db:
        db.thermal.clock = lambda: LATER
        deadline = time.monotonic() + 10
        while not db.thermal.segments.segments("logs") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(db.thermal.segments.segments("logs")) == 1
        for _ in range(6):
            db.thermal.cache.clear()
            db.get("logs", 3)  # hot enough: wakes the mover, which promotes
        while db.thermal.segments.segments("logs") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert db.thermal.segments.segments("logs") == []
        assert db.thermal.last_error is None
    assert all_keys_after_close(data_dir) == list(range(24))


def all_keys_after_close(data_dir: Path) -> list[int]:
    import thermodb

    with thermodb.open(data_dir) as db:
        return all_keys(db, "logs")
