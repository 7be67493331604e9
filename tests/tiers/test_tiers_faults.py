"""Crash safety: SIGKILL at every step of a demote and a promote, then restart.

After each kill the database is reopened (start-up recovery runs), and every record must
be present exactly once with unchanged content, with no file left that nothing references;
a further pass must then complete the move.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from tierdata import LATER, all_keys, events, stored

import thermodb
from thermodb.tiers.segments import segments_table

SCRIPT = Path(__file__).with_name("kill_during_move.py")
DEMOTE_STEPS = [
    "demote:planned",
    "demote:written",
    "demote:staged",
    "demote:switched",
    "demote:done",
]
PROMOTE_STEPS = ["promote:planned", "promote:staged", "promote:switched", "promote:done"]


def _kill_at(data: Path, step: str) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(data), step, LATER.isoformat()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr


def _check(data: Path, expected: dict[int, dict[str, object]]) -> None:
    with thermodb.open(data) as db:  # start-up recovery runs here
        assert all_keys(db, "logs") == sorted(expected)
        assert stored(db, "logs") == expected
        assert db.count("logs") == len(expected)
        live = {s.location for s in db.thermal.segments.segments("logs")}
        assert set(db.thermal.cold.files()) == live, "an unreferenced file survived recovery"
        open_moves = db.thermal.segments.moves(states=("planned", "written", "staged", "switched"))
        assert open_moves == []


@pytest.mark.parametrize("step", DEMOTE_STEPS)
def test_kill_during_demote(step: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THERMODB_COLD", raising=False)
    with thermodb.open(data_dir) as db:
        db.ingest(events(48), collection="logs")
        expected = stored(db, "logs")
    _kill_at(data_dir, step)
    _check(data_dir, expected)
    with thermodb.open(data_dir) as db:
        db.migrate(LATER)
        assert len(db.thermal.segments.segments("logs")) == 2
    _check(data_dir, expected)


@pytest.mark.parametrize("step", PROMOTE_STEPS)
def test_kill_during_promote(step: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THERMODB_COLD", raising=False)
    with thermodb.open(data_dir) as db:
        db.ingest(events(24), collection="logs")
        db.migrate(LATER)
        expected = stored(db, "logs")
        with db.store.begin() as conn:  # as if read often at the time of the pass
            conn.execute(segments_table.update().values(heat=100.0, heat_at=LATER.isoformat()))
    _kill_at(data_dir, step)
    _check(data_dir, expected)
    with thermodb.open(data_dir) as db:
        db.migrate(LATER)
        with db.store.read() as conn:
            states = conn.execute(sa.select(segments_table.c.state)).scalars().all()
        assert states == ["promoted"]
    _check(data_dir, expected)
