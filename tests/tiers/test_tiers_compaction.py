"""Right-sized cold segments: windows demoted together, small segments compacted, tombstones
dropped, and the compaction move as crash-safe as the others (SIGKILL at every step)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tiers_faults import _check, _kill_at
from tierdata import LATER, all_keys, events, placement, stored

import thermodb
from thermodb.database import Database

COMPACT_STEPS = [
    "compact:planned",
    "compact:written",
    "compact:staged",
    "compact:switched",
    "compact:done",
]
SPECS = [
    {"collection": "logs", "aggregates": [{"fn": "count"}, {"fn": "sum", "field": "ms"}]},
    {
        "collection": "logs",
        "group_by": [{"bucket": "day"}],
        "aggregates": [{"fn": "percentile", "field": "ms", "q": 0.5}],
    },
]


@pytest.mark.right_sized
def test_consecutive_windows_demote_into_one_segment(tdb: Database) -> None:
    tdb.ingest(events(120), collection="logs")  # five daily windows
    before = [tdb.query(s).rows for s in SPECS]
    report = tdb.migrate(LATER)
    assert [m["kind"] for m in report.done] == ["demote"]
    segs = tdb.thermal.segments.segments("logs")
    assert len(segs) == 1 and segs[0].rows == 120
    assert [tdb.query(s).rows for s in SPECS] == before


def test_a_segment_target_cuts_runs_of_windows(tdb: Database) -> None:
    tdb.ingest(events(120), collection="logs")
    tdb.thermal.set_policy("logs", segment_rows=48)
    tdb.migrate(LATER)
    assert [s.rows for s in tdb.thermal.segments.segments("logs")] == [48, 48, 24]


def test_compaction_merges_small_segments_and_drops_tombstones(tdb: Database) -> None:
    tdb.ingest(events(120), collection="logs")
    tdb.migrate(LATER)  # 24 rows a segment (the fixture's target): five segments
    assert len(tdb.thermal.segments.segments("logs")) == 5
    for key in (3, 30, 31):
        assert tdb.delete("logs", key)
    before = [tdb.query(s).rows for s in SPECS]
    expected = stored(tdb, "logs")
    tdb.thermal.set_policy("logs", segment_rows=1000)
    report = tdb.migrate(LATER)
    assert [m["kind"] for m in report.done] == ["compact"]
    segs = tdb.thermal.segments.segments("logs")
    assert len(segs) == 1 and segs[0].rows == 117
    with tdb.store.read() as conn:
        assert tdb.thermal.segments.tombstones(conn, [segs[0].id]) == {segs[0].id: set()}
    assert stored(tdb, "logs") == expected
    assert all_keys(tdb, "logs") == sorted(expected)
    assert placement(tdb, "logs")["warm"] == []
    assert [tdb.query(s).rows for s in SPECS] == before
    assert sorted(tdb.thermal.cold.files()) == [segs[0].location]
    assert tdb.get("logs", 3) is None and tdb.get("logs", 4) is not None
    assert tdb.migrate(LATER).done == []  # nothing left to compact


def test_a_segment_mostly_tombstoned_is_rewritten_alone(tdb: Database) -> None:
    tdb.ingest(events(24), collection="logs")
    tdb.migrate(LATER)
    for key in range(8):
        tdb.delete("logs", key)
    tdb.thermal.set_policy("logs", segment_rows=24)
    tdb.migrate(LATER)
    segs = tdb.thermal.segments.segments("logs")
    assert [s.rows for s in segs] == [16]
    assert all_keys(tdb, "logs") == list(range(8, 24))


def test_compaction_abandons_when_a_record_is_deleted_meanwhile(tdb: Database) -> None:
    tdb.ingest(events(48), collection="logs")
    tdb.migrate(LATER)
    tdb.thermal.set_policy("logs", segment_rows=1000)
    migrator = tdb.thermal.migrator

    def delete_during(step: str) -> None:
        if step == "compact:staged":
            tdb.delete("logs", 5)

    migrator.checkpoint = delete_during
    report = tdb.migrate(LATER)
    assert report.done == [] and "deleted during the compaction" in report.failed[0]["error"]
    assert 5 not in all_keys(tdb, "logs") and len(all_keys(tdb, "logs")) == 47
    migrator.checkpoint = lambda step: None
    tdb.migrate(LATER)
    assert [s.rows for s in tdb.thermal.segments.segments("logs")] == [47]
    assert set(tdb.thermal.cold.files()) == {
        s.location for s in tdb.thermal.segments.segments("logs")
    }


@pytest.mark.parametrize("step", COMPACT_STEPS)
def test_kill_during_compaction(step: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THERMODB_COLD", raising=False)
    with thermodb.open(data_dir) as db:
        db.ingest(events(48), collection="logs")
        db.migrate(LATER)
        assert len(db.thermal.segments.segments("logs")) == 2
        db.delete("logs", 7)
        db.thermal.set_policy("logs", segment_rows=1000)
        expected = stored(db, "logs")
    _kill_at(data_dir, step)
    _check(data_dir, expected)
    with thermodb.open(data_dir) as db:
        db.migrate(LATER)
        assert [s.rows for s in db.thermal.segments.segments("logs")] == [47]
    _check(data_dir, expected)
