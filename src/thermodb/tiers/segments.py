"""The tier catalog: segment records, moves, tombstones, write windows and data versions.

These tables live in the operational store beside the rows they describe, so the step that
makes a move visible (insert or retire a segment record, delete or insert the rows, bump
the data version) is ONE transaction of that store. A record is therefore always in exactly
one place: in its collection's table, or in the file of exactly one ``active`` segment
(minus the keys tombstoned for that segment).

Timestamps are kept as canonical UTC text (``format_timestamp``) so they sort as text on
both dialects; keys as JSON text (``"42"``, ``"\\"u-7\\""``) so one column holds any key type.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thermodb.storage.columns import format_timestamp

__all__ = [
    "MoveConflict",
    "MoveKind",
    "MoveRecord",
    "MoveState",
    "Segment",
    "SegmentState",
    "bump_version",
    "decode_key",
    "encode_key",
    "parse_ts",
    "tier_metadata",
    "ts",
]

SegmentState = Literal["active", "promoted", "deleted", "compacted"]
MoveKind = Literal["demote", "promote", "delete", "compact"]
MoveState = Literal["planned", "written", "staged", "switched", "done", "failed", "rolled_back"]
OPEN_MOVE_STATES: tuple[MoveState, ...] = ("planned", "written", "staged", "switched")

tier_metadata = sa.MetaData()

segments_table = sa.Table(
    "thermo_segments",
    tier_metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("collection", sa.String(64), nullable=False, index=True),
    sa.Column("tier", sa.String(8), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("location", sa.Text, nullable=False),
    sa.Column("rows", sa.BigInteger, nullable=False),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("time_min", sa.String(40)),
    sa.Column("time_max", sa.String(40)),
    sa.Column("key_min", sa.Text),
    sa.Column("key_max", sa.Text),
    sa.Column("window_start", sa.String(40)),
    sa.Column("window_end", sa.String(40)),
    sa.Column("rid_min", sa.BigInteger),
    sa.Column("rid_max", sa.BigInteger),
    sa.Column("checksum", sa.String(64), nullable=False),
    sa.Column("columns", sa.Text, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("sealed_at", sa.String(40)),
    sa.Column("retired_at", sa.String(40)),
    sa.Column("reads", sa.BigInteger, nullable=False, default=0),
    sa.Column("heat", sa.Float, nullable=False, default=0.0),
    sa.Column("heat_at", sa.String(40)),
)

moves_table = sa.Table(
    "thermo_moves",
    tier_metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("collection", sa.String(64), nullable=False, index=True),
    sa.Column("segment_id", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("window_start", sa.String(40)),
    sa.Column("window_end", sa.String(40)),
    sa.Column("rid_min", sa.BigInteger),
    sa.Column("rid_max", sa.BigInteger),
    sa.Column("rows", sa.BigInteger),
    sa.Column("bytes", sa.BigInteger),
    sa.Column("checksum", sa.String(64)),
    sa.Column("temp_location", sa.Text),
    sa.Column("location", sa.Text),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("sources", sa.Text),
    # compaction: the JSON list of the segment ids a compact move replaces
)

tombstones_table = sa.Table(
    "thermo_tombstones",
    tier_metadata,
    sa.Column("segment_id", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(512), primary_key=True),
    sa.Column("collection", sa.String(64), nullable=False, index=True),
)

windows_table = sa.Table(
    "thermo_windows",
    tier_metadata,
    sa.Column("collection", sa.String(64), primary_key=True),
    sa.Column("window_start", sa.String(40), primary_key=True),
    sa.Column("last_write_at", sa.String(40), nullable=False),
)

versions_table = sa.Table(
    "thermo_versions",
    tier_metadata,
    sa.Column("collection", sa.String(64), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)


class MoveConflict(Exception):
    """The source changed between snapshot and switch: abandon this move, retry later."""


def ts(moment: datetime | None) -> str | None:
    """Canonical sortable text of a moment (None stays None)."""
    return None if moment is None else format_timestamp(moment.astimezone(UTC))


def parse_ts(text: str | None) -> datetime | None:
    if text is None:
        return None
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def encode_key(value: Any) -> str:
    """A key as JSON text: one column of the catalog holds int and text keys alike."""
    return orjson.dumps(value).decode()


def decode_key(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


@dataclass
class Segment:
    """One cold segment: a Parquet file of a collection's rows, and what we know of it."""

    id: str
    collection: str
    state: SegmentState
    location: str
    rows: int
    bytes: int
    checksum: str
    columns: dict[str, str]
    created_at: datetime
    time_min: datetime | None = None
    time_max: datetime | None = None
    key_min: Any = None
    key_max: Any = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    rid_min: int | None = None
    rid_max: int | None = None
    sealed_at: datetime | None = None
    retired_at: datetime | None = None
    reads: int = 0
    heat: float = 0.0
    heat_at: datetime | None = None
    tier: str = "cold"

    def may_hold_key(self, key: Any) -> bool:
        """False when the key is outside this segment's key range (so it can be pruned)."""
        if self.key_min is None or self.key_max is None:
            return True
        try:
            return bool(self.key_min <= key <= self.key_max)
        except TypeError:
            return True

    def overlaps(self, start: datetime | None, end: datetime | None) -> bool:
        """False when [start, end) misses this segment's time range (so it can be pruned)."""
        if self.time_min is None or self.time_max is None:
            return True
        if start is not None and self.time_max < start:
            return False
        return not (end is not None and self.time_min >= end)

    @classmethod
    def from_row(cls, row: Any) -> Segment:
        m = row._mapping
        return cls(
            id=m["id"],
            collection=m["collection"],
            state=m["state"],
            location=m["location"],
            rows=int(m["rows"]),
            bytes=int(m["bytes"]),
            checksum=m["checksum"],
            columns=orjson.loads(m["columns"]),
            created_at=parse_ts(m["created_at"]) or datetime.now(UTC),
            time_min=parse_ts(m["time_min"]),
            time_max=parse_ts(m["time_max"]),
            key_min=decode_key(m["key_min"]),
            key_max=decode_key(m["key_max"]),
            window_start=parse_ts(m["window_start"]),
            window_end=parse_ts(m["window_end"]),
            rid_min=m["rid_min"],
            rid_max=m["rid_max"],
            sealed_at=parse_ts(m["sealed_at"]),
            retired_at=parse_ts(m["retired_at"]),
            reads=int(m["reads"] or 0),
            heat=float(m["heat"] or 0.0),
            heat_at=parse_ts(m["heat_at"]),
            tier=m["tier"],
        )

    def to_values(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "collection": self.collection,
            "tier": self.tier,
            "state": self.state,
            "location": self.location,
            "rows": self.rows,
            "bytes": self.bytes,
            "checksum": self.checksum,
            "columns": orjson.dumps(self.columns).decode(),
            "created_at": ts(self.created_at),
            "time_min": ts(self.time_min),
            "time_max": ts(self.time_max),
            "key_min": None if self.key_min is None else encode_key(self.key_min),
            "key_max": None if self.key_max is None else encode_key(self.key_max),
            "window_start": ts(self.window_start),
            "window_end": ts(self.window_end),
            "rid_min": self.rid_min,
            "rid_max": self.rid_max,
            "sealed_at": ts(self.sealed_at),
            "retired_at": ts(self.retired_at),
            "reads": self.reads,
            "heat": self.heat,
            "heat_at": ts(self.heat_at),
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly view for `tiers` and `explain`."""
        out = self.to_values()
        out["columns"] = self.columns
        out["key_min"], out["key_max"] = self.key_min, self.key_max
        return out


@dataclass
class MoveRecord:
    """One move between tiers and how far it got (the row in ``thermo_moves``)."""

    id: str
    kind: MoveKind
    collection: str
    segment_id: str
    state: MoveState
    owner: str
    created_at: datetime
    updated_at: datetime
    window_start: datetime | None = None
    window_end: datetime | None = None
    rid_min: int | None = None
    rid_max: int | None = None
    rows: int | None = None
    bytes: int | None = None
    checksum: str | None = None
    temp_location: str | None = None
    location: str | None = None
    error: str | None = None
    sources: list[str] = field(default_factory=list)
    """The segments a compaction replaces (empty for other moves)."""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Any) -> MoveRecord:
        m = row._mapping
        return cls(
            id=m["id"],
            kind=m["kind"],
            collection=m["collection"],
            segment_id=m["segment_id"],
            state=m["state"],
            owner=m["owner"],
            created_at=parse_ts(m["created_at"]) or datetime.now(UTC),
            updated_at=parse_ts(m["updated_at"]) or datetime.now(UTC),
            window_start=parse_ts(m["window_start"]),
            window_end=parse_ts(m["window_end"]),
            rid_min=m["rid_min"],
            rid_max=m["rid_max"],
            rows=m["rows"],
            bytes=m["bytes"],
            checksum=m["checksum"],
            temp_location=m["temp_location"],
            location=m["location"],
            error=m["error"],
            sources=orjson.loads(m["sources"]) if m.get("sources") else [],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "collection": self.collection,
            "segment": self.segment_id,
            "state": self.state,
            "rows": self.rows,
            "bytes": self.bytes,
            "window_start": ts(self.window_start),
            "window_end": ts(self.window_end),
            "owner": self.owner,
            "updated_at": ts(self.updated_at),
            "error": self.error,
            **({"sources": self.sources} if self.sources else {}),
        }


class SegmentCatalog:
    """Reads and writes of the tier tables (writes always inside the caller's transaction)."""

    def __init__(self, conn_factory: Any) -> None:
        self._store = conn_factory

    def create_tables(self) -> None:
        with self._store.begin() as conn:
            tier_metadata.create_all(conn)

    # -- segments -------------------------------------------------------------------------
    def segments(
        self,
        collection: str | None = None,
        *,
        states: Sequence[SegmentState] = ("active",),
        conn: Connection | None = None,
    ) -> list[Segment]:
        query = sa.select(segments_table).where(segments_table.c.state.in_(list(states)))
        if collection is not None:
            query = query.where(segments_table.c.collection == collection)
        query = query.order_by(segments_table.c.window_start, segments_table.c.id)
        if conn is not None:
            return [Segment.from_row(r) for r in conn.execute(query)]
        with self._store.read() as c:
            return [Segment.from_row(r) for r in c.execute(query)]

    def segment(self, segment_id: str, conn: Connection) -> Segment | None:
        row = conn.execute(
            sa.select(segments_table).where(segments_table.c.id == segment_id)
        ).first()
        return None if row is None else Segment.from_row(row)

    @staticmethod
    def insert_segment(conn: Connection, segment: Segment) -> None:
        conn.execute(segments_table.insert().values(**segment.to_values()))

    @staticmethod
    def retire_segment(
        conn: Connection, segment_id: str, state: SegmentState, at: datetime
    ) -> bool:
        """Mark an active segment promoted, deleted or compacted; False if it was no longer
        active. Its tombstones go with it (a rewrite or promotion left those keys out)."""
        result = conn.execute(
            segments_table.update()
            .where(segments_table.c.id == segment_id, segments_table.c.state == "active")
            .values(state=state, retired_at=ts(at))
        )
        conn.execute(tombstones_table.delete().where(tombstones_table.c.segment_id == segment_id))
        return bool(result.rowcount)

    # -- tombstones -----------------------------------------------------------------------
    @staticmethod
    def tombstones(conn: Connection, segment_ids: Iterable[str]) -> dict[str, set[Any]]:
        ids = list(segment_ids)
        out: dict[str, set[Any]] = {i: set() for i in ids}
        if not ids:
            return out
        rows = conn.execute(
            sa.select(tombstones_table.c.segment_id, tombstones_table.c.key).where(
                tombstones_table.c.segment_id.in_(ids)
            )
        )
        for seg, key in rows:
            out[seg].add(decode_key(key))
        return out

    @staticmethod
    def add_tombstones(conn: Connection, collection: str, pairs: Iterable[tuple[str, Any]]) -> int:
        """Hide keys in segments (idempotent: a key already hidden stays hidden once)."""
        wanted = {(seg, encode_key(key)) for seg, key in pairs}
        if not wanted:
            return 0
        existing = set(
            conn.execute(
                sa.select(tombstones_table.c.segment_id, tombstones_table.c.key).where(
                    tombstones_table.c.segment_id.in_({s for s, _ in wanted}),
                    tombstones_table.c.key.in_({k for _, k in wanted}),
                )
            )
        )
        new = [
            {"segment_id": s, "key": k, "collection": collection}
            for s, k in sorted(wanted - existing)
        ]
        if new:
            conn.execute(tombstones_table.insert(), new)
        return len(new)

    # -- moves ----------------------------------------------------------------------------
    def moves(
        self, *, states: Sequence[MoveState] | None = None, collection: str | None = None
    ) -> list[MoveRecord]:
        query = sa.select(moves_table).order_by(moves_table.c.created_at)
        if states is not None:
            query = query.where(moves_table.c.state.in_(list(states)))
        if collection is not None:
            query = query.where(moves_table.c.collection == collection)
        with self._store.read() as conn:
            return [MoveRecord.from_row(r) for r in conn.execute(query)]

    @staticmethod
    def insert_move(conn: Connection, move: MoveRecord) -> None:
        conn.execute(
            moves_table.insert().values(
                id=move.id,
                kind=move.kind,
                collection=move.collection,
                segment_id=move.segment_id,
                state=move.state,
                owner=move.owner,
                created_at=ts(move.created_at),
                updated_at=ts(move.updated_at),
                window_start=ts(move.window_start),
                window_end=ts(move.window_end),
                rid_min=move.rid_min,
                rid_max=move.rid_max,
                rows=move.rows,
                bytes=move.bytes,
                checksum=move.checksum,
                temp_location=move.temp_location,
                location=move.location,
                error=move.error,
                sources=orjson.dumps(move.sources).decode() if move.sources else None,
            )
        )

    @staticmethod
    def set_move_state(
        conn: Connection,
        move: MoveRecord,
        state: MoveState,
        *,
        error: str | None = None,
        **values: Any,
    ) -> None:
        now = datetime.now(UTC)
        conn.execute(
            moves_table.update()
            .where(moves_table.c.id == move.id)
            .values(state=state, updated_at=ts(now), error=error, **values)
        )
        move.state, move.error, move.updated_at = state, error, now
        for name, value in values.items():
            setattr(move, name, value)

    # -- versions -------------------------------------------------------------------------
    def versions(
        self, collections: Iterable[str], conn: Connection | None = None
    ) -> dict[str, int]:
        names = sorted(set(collections))
        query = sa.select(versions_table.c.collection, versions_table.c.version).where(
            versions_table.c.collection.in_(names)
        )
        if conn is not None:
            found = dict(conn.execute(query).all())
        else:
            with self._store.read() as c:
                found = dict(c.execute(query).all())
        return {n: int(found.get(n, 0)) for n in names}


def bump_version(conn: Connection, collection: str) -> None:
    """Advance a collection's data version (inside the transaction that changed its data)."""
    updated = conn.execute(
        versions_table.update()
        .where(versions_table.c.collection == collection)
        .values(version=versions_table.c.version + 1)
    )
    if not updated.rowcount:
        conn.execute(versions_table.insert().values(collection=collection, version=1))
