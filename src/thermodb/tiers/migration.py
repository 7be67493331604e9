"""The migration engine: verified, crash-safe moves of rows between warm and cold.

Every move, demote and promote alike, runs the same protocol, one idempotent step at a
time, with its progress recorded in ``thermo_moves`` *before* the step's side effect:

=========  =============================================================================
planned    the move is recorded (owner, window, row-id range, checksum of the snapshot)
written    demote: the Parquet file is written under ``_tmp/`` and fsynced
staged     the destination is verified (read back: row count and checksum) and, for a
           demote, renamed to its final name
switched   ONE transaction of the operational store: re-check that the source still
           holds exactly the snapshot, switch the catalog (segment active / retired),
           delete or insert the rows, bump the data version
done       superseded files removed
=========  =============================================================================

Until ``switched`` commits, the source is the only visible copy; from then on the
destination is. A crash anywhere leaves one visible copy and, at worst, a file nobody
references: :meth:`Migrator.recover` (run at start-up and before each pass) resumes a
``staged`` or ``switched`` move of a dead owner, rolls back earlier ones, and sweeps
unreferenced files. A move whose source changed under it (a write into its window) is
abandoned at the switch and re-planned on a later pass.

``checkpoint(step)`` is called after each step; tests use it to kill the process there.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thermodb.catalog.model import Collection
from thermodb.catalog.store import Catalog, collections_table
from thermodb.errors import StorageError, ThermoError
from thermodb.storage.cold import ColdStore
from thermodb.storage.operational import ROW_ID, OperationalStore
from thermodb.tiers.compaction import compact, finish_compaction, plan_compactions
from thermodb.tiers.policy import Policy
from thermodb.tiers.rowsets import column_types, rows_to_table, storage_rows, table_checksum
from thermodb.tiers.segments import (
    OPEN_MOVE_STATES,
    MoveConflict,
    MoveKind,
    MoveRecord,
    Segment,
    SegmentCatalog,
    bump_version,
    parse_ts,
    ts,
    windows_table,
)
from thermodb.tiers.temperature import decayed

__all__ = [
    "Migrator",
    "PassReport",
    "PlannedMove",
    "Throttle",
    "as_moment",
    "touch_windows",
    "window_floor",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LEASE = timedelta(minutes=10)
"""A move not touched for this long by a live owner on another host is taken over."""


def window_floor(moment: datetime, width: timedelta) -> datetime:
    """The start of the window (aligned on the Unix epoch) that holds ``moment``."""
    n = (moment - EPOCH) // width
    return EPOCH + n * width


@dataclass
class PlannedMove:
    """A move a pass would make, and why."""

    kind: MoveKind
    collection: str
    reason: str
    window_start: datetime | None = None
    window_end: datetime | None = None
    segment_id: str | None = None
    rows: int = 0
    sources: list[str] = field(default_factory=list)
    """For a compaction: the segments it merges."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "collection": self.collection,
            "reason": self.reason,
            "window_start": ts(self.window_start),
            "window_end": ts(self.window_end),
            "segment": self.segment_id,
            "rows": self.rows,
            **({"sources": self.sources} if self.sources else {}),
        }


@dataclass
class PassReport:
    """What one migration pass planned and did."""

    now: datetime
    dry_run: bool
    planned: list[PlannedMove] = field(default_factory=list)
    done: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    recovered: list[dict[str, Any]] = field(default_factory=list)
    orphans_removed: list[str] = field(default_factory=list)
    rows_moved: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": ts(self.now),
            "dry_run": self.dry_run,
            "planned": [p.to_dict() for p in self.planned],
            "done": self.done,
            "failed": self.failed,
            "recovered": self.recovered,
            "orphans_removed": self.orphans_removed,
            "rows_moved": self.rows_moved,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class Throttle:
    """How fast moves may go: rows per second, and a pause while the store is busy."""

    rows_per_second: float | None = 500_000.0
    busy: Callable[[], bool] = lambda: False
    max_pause: float = 5.0

    def wait_until_idle(self) -> None:
        deadline = time.monotonic() + self.max_pause
        while self.busy() and time.monotonic() < deadline:
            time.sleep(0.05)

    def pace(self, rows: int, started: float) -> None:
        if not self.rows_per_second or rows <= 0:
            return
        wanted = rows / self.rows_per_second
        spent = time.monotonic() - started
        if wanted > spent:
            time.sleep(wanted - spent)


_Conflict = MoveConflict


class Migrator:
    """Plans and runs moves for one database."""

    def __init__(
        self,
        store: OperationalStore,
        catalog: Catalog,
        cold: ColdStore,
        segments: SegmentCatalog,
        policy_of: Callable[[str], Policy],
        *,
        throttle: Throttle | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.cold = cold
        self.segments = segments
        self.policy_of = policy_of
        self.throttle = throttle or Throttle()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.before_pass: Callable[[], None] = lambda: None
        """Called at the start of each pass (the tiers flush buffered read counts here)."""
        self.checkpoint: Callable[[str], None] = lambda step: None
        """Called after each step (``demote:written``...); a seam for fault tests."""
        self.switch_hooks: list[Callable[[Connection, MoveRecord], None]] = []
        """Called inside each move's switch transaction (the change stream's outbox)."""

    # -- planning -------------------------------------------------------------------------
    def plan(self, now: datetime) -> list[PlannedMove]:
        """The moves a pass at ``now`` would make, demotions of old windows first."""
        moves: list[PlannedMove] = []
        for coll in self.catalog.all():
            policy = self.policy_of(coll.name)
            moves += self._plan_demotions(coll, policy, now)
            for seg in self.segments.segments(coll.name):
                heat = decayed(seg.heat, seg.heat_at, now, policy.promote_window)
                if (
                    policy.delete_after is not None
                    and seg.window_end is not None
                    and (seg.window_end + policy.delete_after <= now)
                ):
                    moves.append(
                        PlannedMove(
                            "delete",
                            coll.name,
                            f"older than delete_after ({policy.describe()['delete_after']})",
                            seg.window_start,
                            seg.window_end,
                            seg.id,
                            seg.rows,
                        )
                    )
                elif heat >= policy.promote_after:
                    moves.append(
                        PlannedMove(
                            "promote",
                            coll.name,
                            f"read often: heat {heat:.1f} ≥ promote_after {policy.promote_after:g}",
                            seg.window_start,
                            seg.window_end,
                            seg.id,
                            seg.rows,
                        )
                    )
            moves += plan_compactions(self, coll, policy, {m.segment_id for m in moves})
        return moves

    def _plan_demotions(self, coll: Collection, policy: Policy, now: datetime) -> list[PlannedMove]:
        """Windows due for cold, consecutive ones merged into one move of up to
        ``segment_rows`` rows (a window that is not due ends a run)."""
        tcol = self._time_column(coll)
        if tcol is None:
            return []
        table = self.store.table(coll)
        column = table.c[tcol]
        cutoff = now - policy.cold_after
        with self.store.read() as conn:
            writes = {
                parse_ts(w): parse_ts(at)
                for w, at in conn.execute(
                    sa.select(windows_table.c.window_start, windows_table.c.last_write_at).where(
                        windows_table.c.collection == coll.name
                    )
                )
            }
            promoted = [
                (seg.window_start, seg.window_end, seg.retired_at)
                for seg in self.segments.segments(coll.name, states=("promoted",), conn=conn)
                if seg.retired_at is not None and seg.window_start is not None
            ]
            out: list[PlannedMove] = []
            run: list[tuple[datetime, datetime, int, datetime]] = []

            def flush() -> None:
                if run:
                    out.append(_demotion(coll, policy, now, run))
                    run.clear()

            first = conn.execute(
                sa.select(sa.func.min(column)).where(column < cutoff)
            ).scalar_one_or_none()
            while first is not None:
                start = window_floor(as_moment(first), policy.window)
                end = start + policy.window
                if end > cutoff:
                    break
                last_write = writes.get(start)
                # age counts from the window's end, or from its promotion back to warm
                sealed = max([end, *(at for s0, e0, at in promoted if s0 <= start < (e0 or end))])
                rows = int(
                    conn.execute(
                        sa.select(sa.func.count()).where(column >= start, column < end)
                    ).scalar_one()
                )
                due = now - sealed >= policy.cold_after and (
                    last_write is None or now - last_write >= policy.min_age
                )
                if not due:
                    flush()
                else:
                    if run and sum(r[2] for r in run) + rows > policy.segment_rows:
                        flush()
                    run.append((start, end, rows, sealed))
                first = conn.execute(
                    sa.select(sa.func.min(column)).where(column >= end, column < cutoff)
                ).scalar_one_or_none()
            flush()
        return out

    def _time_column(self, coll: Collection) -> str | None:
        f = coll.fields.get(coll.time_field or "")
        return f.column if f is not None and f.column else None

    # -- a pass ---------------------------------------------------------------------------
    def run_pass(self, now: datetime, *, dry_run: bool = False) -> PassReport:
        started = time.monotonic()
        report = PassReport(now=now, dry_run=dry_run)
        self.catalog.reload()
        self.before_pass()
        if not dry_run:
            self.recover(report)
        report.planned = self.plan(now)
        if dry_run:
            report.seconds = time.monotonic() - started
            return report
        for planned in report.planned:
            self.throttle.wait_until_idle()
            step_started = time.monotonic()
            try:
                move = self.execute(planned, now)
            except ThermoError as exc:
                report.failed.append({**planned.to_dict(), "error": exc.message})
                continue
            if move is not None:
                report.done.append(move.to_dict())
                report.rows_moved += move.rows or 0
                self.throttle.pace(move.rows or 0, step_started)
        report.seconds = time.monotonic() - started
        return report

    def execute(self, planned: PlannedMove, now: datetime) -> MoveRecord | None:
        coll = self.catalog.get(planned.collection)
        if planned.kind == "demote":
            assert planned.window_start is not None and planned.window_end is not None
            return self.demote(coll, planned.window_start, planned.window_end, now)
        if planned.kind == "compact":
            return compact(self, coll, planned.sources, now)
        assert planned.segment_id is not None
        if planned.kind == "promote":
            return self.promote(coll, planned.segment_id, now)
        return self.delete_segment(coll, planned.segment_id, now)

    # -- demote ---------------------------------------------------------------------------
    def demote(
        self, coll: Collection, start: datetime, end: datetime, now: datetime
    ) -> MoveRecord | None:
        """Move the rows of one time window to a new cold segment."""
        rows = self._window_rows(coll, start, end, None)
        if not rows:
            return None
        snapshot = rows_to_table(coll, rows)
        seg_id = f"s{start:%Y%m%d%H%M}-{uuid.uuid4().hex[:16]}"
        move = self._new_move(
            "demote",
            coll.name,
            seg_id,
            window_start=start,
            window_end=end,
            rid_min=int(rows[0][ROW_ID]),
            rid_max=int(rows[-1][ROW_ID]),
            rows=len(rows),
            checksum=table_checksum(snapshot),
            temp_location=self.cold.temp_location(seg_id),
            location=self.cold.segment_location(coll.name, seg_id),
        )
        self.checkpoint("demote:planned")
        try:
            assert move.temp_location is not None
            size = self.cold.write(move.temp_location, snapshot)
            self._set(move, "written", bytes=size)
            self.checkpoint("demote:written")
            self._stage_demote(move)
            self.checkpoint("demote:staged")
            self._switch_demote(coll, move, now)
        except (ThermoError, OSError, pa.ArrowException, _Conflict) as exc:
            self._fail(move, exc)
            raise as_storage_error(exc) from exc
        self.checkpoint("demote:switched")
        self._finish(move)
        self.checkpoint("demote:done")
        return move

    def _window_rows(
        self,
        coll: Collection,
        start: datetime,
        end: datetime,
        rids: tuple[int, int] | None,
        conn: Connection | None = None,
    ) -> list[Any]:
        table = self.store.table(coll)
        tcol = self._time_column(coll)
        assert tcol is not None
        query = (
            sa.select(table)
            .where(table.c[tcol] >= start, table.c[tcol] < end)
            .order_by(table.c[ROW_ID])
        )
        if rids is not None:
            query = query.where(table.c[ROW_ID].between(*rids))
        if conn is not None:
            return list(conn.execute(query).mappings().all())
        with self.store.read() as c:
            return list(c.execute(query).mappings().all())

    def _stage_demote(self, move: MoveRecord) -> None:
        """Read the temporary file back, check it, and rename it to its final name."""
        assert move.temp_location is not None and move.location is not None
        self._verify(move.temp_location, move.rows, move.checksum)
        self.cold.finalize(move.temp_location, move.location)
        self._set(move, "staged")

    def _verify(self, location: str, rows: int | None, checksum: str | None) -> pa.Table:
        table = self.cold.read(location)
        if table.num_rows != rows or table_checksum(table) != checksum:
            raise StorageError(
                f"verification of {location} failed: {table.num_rows} rows read back, "
                f"{rows} expected, or the checksum differs",
                hint="the move was rolled back; the next pass retries it",
            )
        return table

    def _switch_demote(self, coll: Collection, move: MoveRecord, now: datetime) -> None:
        assert move.location is not None and move.window_start and move.window_end
        assert move.rid_min is not None and move.rid_max is not None
        table = self.cold.read(move.location)
        segment = segment_for(coll, move, table, self.cold.size(move.location), now)
        with self.store.begin() as conn:
            self._lock(conn, coll)
            self._check_schema(conn, coll)
            rows = self._window_rows(
                coll, move.window_start, move.window_end, (move.rid_min, move.rid_max), conn
            )
            current = rows_to_table(coll, rows)
            if len(rows) != move.rows or table_checksum(current) != move.checksum:
                raise _Conflict("rows of the window changed during the move")
            self.segments.insert_segment(conn, segment)
            t = self.store.table(coll)
            tcol = self._time_column(coll)
            assert tcol is not None
            deleted = conn.execute(
                t.delete().where(
                    t.c[tcol] >= move.window_start,
                    t.c[tcol] < move.window_end,
                    t.c[ROW_ID].between(move.rid_min, move.rid_max),
                )
            ).rowcount
            if deleted != move.rows:
                raise _Conflict(f"deleted {deleted} rows, expected {move.rows}")
            bump_version(conn, coll.name)
            self.segments.set_move_state(conn, move, "switched")
            for hook in self.switch_hooks:
                hook(conn, move)

    # -- promote --------------------------------------------------------------------------
    def promote(self, coll: Collection, segment_id: str, now: datetime) -> MoveRecord | None:
        """Move a cold segment's (live) rows back into the operational store."""
        with self.store.read() as conn:
            seg = self.segments.segment(segment_id, conn)
        if seg is None or seg.state != "active":
            return None
        move = self._new_move(
            "promote",
            coll.name,
            seg.id,
            window_start=seg.window_start,
            window_end=seg.window_end,
            rows=seg.rows,
            checksum=seg.checksum,
            location=seg.location,
        )
        self.checkpoint("promote:planned")
        try:
            table = self._verify(seg.location, seg.rows, seg.checksum)
            self._set(move, "staged")
            self.checkpoint("promote:staged")
            self._switch_promote(coll, seg, table, move, now)
        except (ThermoError, OSError, pa.ArrowException, _Conflict) as exc:
            self._fail(move, exc, remove_destination=False)
            raise as_storage_error(exc) from exc
        self.checkpoint("promote:switched")
        self._finish(move)
        self.checkpoint("promote:done")
        return move

    def _switch_promote(
        self, coll: Collection, seg: Segment, table: pa.Table, move: MoveRecord, now: datetime
    ) -> None:
        with self.store.begin() as conn:
            self._lock(conn, coll)
            self._check_schema(conn, coll)
            hidden = self.segments.tombstones(conn, [seg.id])[seg.id]
            key = coll.fields.get(coll.key_field or "")
            if hidden and key is not None and key.column in table.column_names:
                keep = [v not in hidden for v in table.column(key.column).to_pylist()]
                table = table.filter(pa.array(keep, type=pa.bool_()))
            if not self.segments.retire_segment(conn, seg.id, "promoted", now):
                raise _Conflict("the segment is no longer active")
            columns, rows = storage_rows(coll, table, self.store.timestamp_value)
            self.store.insert_rows(conn, coll, columns, rows)
            if seg.window_start is not None:
                width = self.policy_of(coll.name).window
                start = window_floor(seg.window_start, width)
                while True:  # every window the segment spans counts as written now
                    _touch_window(conn, coll.name, start, now)
                    start += width
                    if seg.window_end is None or start >= seg.window_end:
                        break
            bump_version(conn, coll.name)
            self.segments.set_move_state(conn, move, "switched", rows=len(rows))
            for hook in self.switch_hooks:
                hook(conn, move)

    # -- delete (retention) ---------------------------------------------------------------
    def delete_segment(self, coll: Collection, segment_id: str, now: datetime) -> MoveRecord | None:
        with self.store.read() as conn:
            seg = self.segments.segment(segment_id, conn)
        if seg is None or seg.state != "active":
            return None
        move = self._new_move(
            "delete",
            coll.name,
            seg.id,
            rows=seg.rows,
            location=seg.location,
            window_start=seg.window_start,
            window_end=seg.window_end,
        )
        with self.store.begin() as conn:
            if not self.segments.retire_segment(conn, seg.id, "deleted", now):
                self.segments.set_move_state(conn, move, "rolled_back")
                return None
            bump_version(conn, coll.name)
            self.segments.set_move_state(conn, move, "switched")
            for hook in self.switch_hooks:
                hook(conn, move)
        self._finish(move)
        return move

    # -- recovery -------------------------------------------------------------------------
    def recover(self, report: PassReport | None = None) -> PassReport:
        """Finish or roll back the moves of dead owners, then remove unreferenced files."""
        report = report or PassReport(now=datetime.now(UTC), dry_run=False)
        files = set(self.cold.files())
        for move in self.segments.moves(states=OPEN_MOVE_STATES):
            if not self._stale(move):
                continue
            try:
                outcome = self._resume(move)
            except (ThermoError, OSError, pa.ArrowException) as exc:
                self._fail(move, exc, remove_destination=move.kind in ("demote", "compact"))
                outcome = "failed"
            report.recovered.append({**move.to_dict(), "outcome": outcome})
        live: set[str] = set()
        for move in self.segments.moves(states=OPEN_MOVE_STATES):
            live.update(x for x in (move.temp_location, move.location) if x)
        live.update(s.location for s in self.segments.segments(states=("active",)))
        for location in sorted(files - live):
            self.cold.delete(location)
            report.orphans_removed.append(location)
        return report

    def _resume(self, move: MoveRecord) -> str:
        self._claim(move)
        if move.state == "switched":
            self._finish(move)
            return "finished"
        if move.kind == "demote" and move.state == "staged":
            coll = self.catalog.find(move.collection)
            assert move.location is not None
            if coll is not None and self.cold.exists(move.location):
                self._verify(move.location, move.rows, move.checksum)
                try:
                    self._switch_demote(coll, move, datetime.now(UTC))
                except _Conflict as exc:
                    self._fail(move, exc)
                    return "rolled back (source changed)"
                self._finish(move)
                return "resumed and finished"
        self._rollback(move)
        return "rolled back"

    def _stale(self, move: MoveRecord) -> bool:
        if move.owner == self.owner:
            return False
        host, pid_text, _token = [*move.owner.split(":"), "", "", ""][:3]
        if host == socket.gethostname() and pid_text.isdigit():
            pid = int(pid_text)
            if pid == os.getpid():
                return True  # an earlier Database of this process: it is not running it
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            except PermissionError:
                pass
        return datetime.now(UTC) - move.updated_at > LEASE

    def _claim(self, move: MoveRecord) -> None:
        with self.store.begin() as conn:
            conn.execute(
                sa.text("UPDATE thermo_moves SET owner = :o WHERE id = :i"),
                {"o": self.owner, "i": move.id},
            )
        move.owner = self.owner

    # -- step helpers ---------------------------------------------------------------------
    def _new_move(
        self, kind: MoveKind, collection: str, segment_id: str, **values: Any
    ) -> MoveRecord:
        now = datetime.now(UTC)
        move = MoveRecord(
            id=uuid.uuid4().hex,
            kind=kind,
            collection=collection,
            segment_id=segment_id,
            state="planned",
            owner=self.owner,
            created_at=now,
            updated_at=now,
            **values,
        )
        with self.store.begin() as conn:
            self.segments.insert_move(conn, move)
        return move

    def _set(self, move: MoveRecord, state: Any, **values: Any) -> None:
        with self.store.begin() as conn:
            self.segments.set_move_state(conn, move, state, **values)

    def _finish(self, move: MoveRecord) -> None:
        """After the switch: remove what the move superseded; idempotent."""
        if move.kind == "compact":
            finish_compaction(self, move)
        elif move.kind == "demote":
            if move.temp_location:
                self.cold.delete(move.temp_location)
        elif move.location:
            self.cold.delete(move.location)
        self._set(move, "done")

    def _rollback(self, move: MoveRecord) -> None:
        if move.kind in ("demote", "compact"):
            for location in (move.temp_location, move.location):
                if location:
                    self.cold.delete(location)
        self._set(move, "rolled_back")

    def _fail(
        self, move: MoveRecord, exc: BaseException, *, remove_destination: bool = True
    ) -> None:
        """Record a failed move (visible in `tiers explain`); its source stays untouched."""
        message = exc.message if isinstance(exc, ThermoError) else str(exc) or type(exc).__name__
        if remove_destination and move.kind in ("demote", "compact"):
            for location in (move.temp_location, move.location):
                # an unreachable store keeps the file: the orphan sweep removes it later
                if location:
                    with contextlib.suppress(StorageError):
                        self.cold.delete(location)
        # the operational store itself down: recovery will see a stale move instead
        with contextlib.suppress(StorageError):
            self._set(move, "failed", error=message[:2000])

    def _lock(self, conn: Connection, coll: Collection) -> None:
        """Keep writers out of the table for the switch (the backend knows how)."""
        self.store.backend.lock_table(conn, coll.name)

    def _check_schema(self, conn: Connection, coll: Collection) -> None:
        doc = conn.execute(
            sa.select(collections_table.c.doc).where(collections_table.c.name == coll.name)
        ).scalar_one_or_none()
        if doc is None or orjson.loads(doc).get("schema_version") != coll.schema_version:
            raise _Conflict("the collection's schema changed during the move")


def segment_for(
    coll: Collection, move: MoveRecord, table: pa.Table, size: int, now: datetime
) -> Segment:
    import pyarrow.compute as pc

    def bounds(column: str | None) -> tuple[Any, Any]:
        if column is None or column not in table.column_names or table.num_rows == 0:
            return None, None
        mm = pc.min_max(table.column(column)).as_py()
        return mm["min"], mm["max"]

    tf = coll.fields.get(coll.time_field or "")
    kf = coll.fields.get(coll.key_field or "")
    tmin, tmax = bounds(tf.column if tf else None)
    kmin, kmax = bounds(kf.column if kf else None)
    if not isinstance(tmin, datetime):
        tmin = tmax = None
    rids = bounds(ROW_ID)
    return Segment(
        id=move.segment_id,
        collection=coll.name,
        state="active",
        location=move.location or "",
        rows=table.num_rows,
        bytes=size,
        checksum=move.checksum or "",
        columns=column_types(coll),
        created_at=now,
        time_min=tmin,
        time_max=tmax,
        key_min=kmin if isinstance(kmin, int | str) else None,
        key_max=kmax if isinstance(kmax, int | str) else None,
        window_start=move.window_start,
        window_end=move.window_end,
        rid_min=rids[0],
        rid_max=rids[1],
        sealed_at=now,
    )


def _demotion(
    coll: Collection,
    policy: Policy,
    now: datetime,
    run: Sequence[tuple[datetime, datetime, int, datetime]],
) -> PlannedMove:
    start, end = run[0][0], run[-1][1]
    sealed = max(r[3] for r in run)
    windows = f"{len(run)} windows, " if len(run) > 1 else ""
    return PlannedMove(
        "demote",
        coll.name,
        f"{windows}sealed {_age(now - sealed)} ago "
        f"(cold after {policy.describe()['hot_for']} hot + "
        f"{policy.describe()['warm_for']} warm)",
        start,
        end,
        rows=sum(r[2] for r in run),
    )


def _touch_window(conn: Connection, collection: str, start: datetime, now: datetime) -> None:
    key = {"collection": collection, "window_start": ts(start)}
    updated = conn.execute(
        windows_table.update()
        .where(windows_table.c.collection == collection, windows_table.c.window_start == ts(start))
        .values(last_write_at=ts(now))
    )
    if not updated.rowcount:
        conn.execute(windows_table.insert().values(**key, last_write_at=ts(now)))


def touch_windows(
    conn: Connection, collection: str, starts: Sequence[datetime], now: datetime
) -> None:
    """Record a write into these windows now (so min_age counts from it)."""
    for start in sorted(set(starts)):
        _touch_window(conn, collection, start, now)


def as_moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _age(delta: timedelta) -> str:
    days = delta.total_seconds() / 86400
    return f"{days:.1f}d" if days >= 1 else f"{delta.total_seconds() / 3600:.1f}h"


def as_storage_error(exc: BaseException) -> ThermoError:
    if isinstance(exc, ThermoError):
        return exc
    if isinstance(exc, _Conflict):
        return StorageError(f"move abandoned: {exc}", hint="the next pass retries it")
    return StorageError(f"move failed: {exc}", hint="see `thermodb tiers explain`")
