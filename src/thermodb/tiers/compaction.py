"""Compaction: small cold segments merged into right-sized ones, tombstoned rows dropped.

A compaction is a move like the others and follows the same protocol
(:mod:`thermodb.tiers.migration`): ``planned`` records the source segments, ``written``
the merged file under ``_tmp/`` (fsynced), ``staged`` it read back, verified and renamed,
``switched`` ONE transaction that re-checks every source is still active with the same
tombstones, inserts the new segment, retires the sources (``compacted``, their tombstones
with them) and bumps the data version, and ``done`` once the source files are removed. Until
the switch the sources are the visible copy, afterwards the new segment: a crash anywhere
leaves exactly one.

What is merged: consecutive active segments of one collection written with the same
columns (so no value is converted), each under half the policy's targets, greedily up to
``segment_rows`` rows and ``segment_bytes`` bytes; and any segment whose tombstones hide a
quarter or more of its rows, rewritten alone without them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from thermodb.catalog.model import Collection
from thermodb.errors import ThermoError
from thermodb.storage.operational import ROW_ID
from thermodb.tiers.policy import Policy
from thermodb.tiers.rowsets import table_checksum
from thermodb.tiers.segments import MoveConflict, MoveRecord, Segment, bump_version

if TYPE_CHECKING:
    from thermodb.tiers.migration import Migrator, PlannedMove

__all__ = ["compact", "finish_compaction", "plan_compactions"]

TOMBSTONE_SHARE = 0.25
"""A segment with this share of its rows tombstoned is rewritten without them."""


def plan_compactions(
    m: Migrator, coll: Collection, policy: Policy, busy: set[str | None]
) -> list[PlannedMove]:
    """The compactions a pass makes for ``coll`` (segments other moves take are left)."""
    from thermodb.tiers.migration import PlannedMove

    with m.store.read() as conn:
        segs = [s for s in m.segments.segments(coll.name, conn=conn) if s.id not in busy]
        hidden = m.segments.tombstones(conn, [s.id for s in segs])
    segs.sort(key=lambda s: (s.window_start or s.time_min or s.created_at, s.id))
    out: list[PlannedMove] = []
    batch: list[Segment] = []

    def flush() -> None:
        gone = sum(len(hidden[s.id]) for s in batch)
        if len(batch) > 1 or (batch and gone >= TOMBSTONE_SHARE * batch[0].rows):
            out.append(
                PlannedMove(
                    "compact",
                    coll.name,
                    f"{len(batch)} segments of {sum(s.rows for s in batch)} rows"
                    + (f", {gone} tombstoned" if gone else "")
                    + f" into one (target {policy.segment_rows} rows)",
                    min((s.window_start for s in batch if s.window_start), default=None),
                    max((s.window_end for s in batch if s.window_end), default=None),
                    rows=sum(s.rows for s in batch) - gone,
                    sources=[s.id for s in batch],
                )
            )
        batch.clear()

    for seg in segs:
        small = seg.rows < policy.segment_rows / 2 and seg.bytes < policy.segment_bytes / 2
        stale = len(hidden[seg.id]) >= TOMBSTONE_SHARE * max(seg.rows, 1)
        if not (small or stale):
            flush()
            continue
        if batch and (
            seg.columns != batch[0].columns
            or sum(s.rows for s in batch) + seg.rows > policy.segment_rows
            or sum(s.bytes for s in batch) + seg.bytes > policy.segment_bytes
        ):
            flush()
        batch.append(seg)
    flush()
    return out


def compact(
    m: Migrator, coll: Collection, sources: Sequence[str], now: datetime
) -> MoveRecord | None:
    """Merge ``sources`` (active segments of ``coll``) into one new segment."""
    from thermodb.tiers.migration import as_storage_error

    with m.store.read() as conn:
        segs = [m.segments.segment(i, conn) for i in sources]
        live = [s for s in segs if s is not None and s.state == "active"]
        if len(live) != len(sources):
            return None  # another pass took one of them
        hidden = m.segments.tombstones(conn, sources)
    merged = _merged(m, coll, live, hidden)
    seg_id = f"c{(live[0].window_start or now):%Y%m%d%H%M}-{uuid.uuid4().hex[:16]}"
    move = m._new_move(
        "compact",
        coll.name,
        seg_id,
        window_start=min((s.window_start for s in live if s.window_start), default=None),
        window_end=max((s.window_end for s in live if s.window_end), default=None),
        rows=merged.num_rows,
        checksum=table_checksum(merged),
        temp_location=m.cold.temp_location(seg_id),
        location=m.cold.segment_location(coll.name, seg_id),
        sources=list(sources),
    )
    m.checkpoint("compact:planned")
    try:
        assert move.temp_location is not None and move.location is not None
        size = m.cold.write(move.temp_location, merged)
        m._set(move, "written", bytes=size)
        m.checkpoint("compact:written")
        m._verify(move.temp_location, move.rows, move.checksum)
        m.cold.finalize(move.temp_location, move.location)
        m._set(move, "staged")
        m.checkpoint("compact:staged")
        _switch(m, coll, live, hidden, move, merged, now)
    except (ThermoError, OSError, pa.ArrowException, MoveConflict) as exc:
        m._fail(move, exc)
        raise as_storage_error(exc) from exc
    m.checkpoint("compact:switched")
    m._finish(move)
    m.checkpoint("compact:done")
    return move


def _merged(
    m: Migrator, coll: Collection, segs: list[Segment], hidden: dict[str, set[Any]]
) -> pa.Table:
    """The sources' live rows, in row-id order, as one table of their (shared) columns."""
    key = coll.fields.get(coll.key_field or "")
    parts = []
    for seg in segs:
        table = m.cold.read(seg.location)
        gone = hidden.get(seg.id) or set()
        if gone and key is not None and key.column in table.column_names:
            keep = pc.invert(pc.is_in(table.column(key.column), pa.array(sorted(gone))))
            table = table.filter(pc.fill_null(keep, True))
        parts.append(table)
    merged = pa.concat_tables(parts, promote_options="none")
    return merged.sort_by(ROW_ID)


def _switch(
    m: Migrator,
    coll: Collection,
    sources: list[Segment],
    hidden: dict[str, set[Any]],
    move: MoveRecord,
    merged: pa.Table,
    now: datetime,
) -> None:
    from thermodb.tiers.migration import segment_for

    assert move.location is not None
    segment = segment_for(coll, move, merged, m.cold.size(move.location), now)
    segment.columns = dict(sources[0].columns)  # the sources' schema, not today's
    segment.heat = max(s.heat for s in sources)
    segment.heat_at = max((s.heat_at for s in sources if s.heat_at), default=None)
    segment.reads = sum(s.reads for s in sources)
    with m.store.begin() as conn:
        now_hidden = m.segments.tombstones(conn, [s.id for s in sources])
        if now_hidden != {s.id: hidden.get(s.id, set()) for s in sources}:
            raise MoveConflict("records of the segments were deleted during the compaction")
        for seg in sources:
            if not m.segments.retire_segment(conn, seg.id, "compacted", now):
                raise MoveConflict(f"segment {seg.id} is no longer active")
        m.segments.insert_segment(conn, segment)
        bump_version(conn, coll.name)
        for hook in m.switch_hooks:
            hook(conn, move)
        m.segments.set_move_state(conn, move, "switched")


def finish_compaction(m: Migrator, move: MoveRecord) -> None:
    """After the switch: remove the source files and the temporary file; idempotent."""
    with m.store.read() as conn:
        locations = [
            seg.location
            for seg in (m.segments.segment(i, conn) for i in move.sources)
            if seg is not None and seg.state == "compacted"
        ]
    for location in [*locations, *([move.temp_location] if move.temp_location else [])]:
        m.cold.delete(location)
