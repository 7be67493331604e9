"""`Outbox`: the change stream, written in the same transaction as every change it records.

Write side: hooks that the write paths call inside their own transaction (ingest batches,
deletes, drops, alters, tier moves), so an event exists exactly when its change committed.
Read side: events after an id, optionally of one collection; cursors per named consumer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thermodb.catalog.model import Collection
from thermodb.catalog.types import FieldType
from thermodb.errors import InputError, StorageError
from thermodb.events.model import Event
from thermodb.events.sqlite_copy import appended_events_sql, last_row_id, upserted_events_sql
from thermodb.events.tables import (
    HEAD,
    create_tables,
    cursors_table,
    events_table,
    head_table,
    schemas_table,
)
from thermodb.storage.operational import OperationalStore

__all__ = ["INLINE_BYTES", "Outbox"]

INLINE_BYTES = 64 * 1024
"""Payloads larger than this are not copied into the outbox; ``ref`` names the record."""
COLUMNS = ("id", "at", "collection", "key", "op", "schema_version", "payload", "ref")
_Entry = tuple[str, str | None, str, int, str | None, str | None]
"""collection, key JSON, op, schema version, payload JSON, ref: an event before its id."""
_DUMPS_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


class Outbox:
    """The transactional outbox of one operational store."""

    def __init__(
        self,
        store: OperationalStore,
        *,
        enabled: bool = True,
        inline_bytes: int = INLINE_BYTES,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.enabled = enabled
        """Off: the hooks write nothing (THERMODB_OUTBOX=0); reading still works."""
        self.inline_bytes = inline_bytes
        self.clock = clock or (lambda: datetime.now(UTC))
        self._shapes: dict[tuple[str, int, datetime, tuple[str, ...]], _Shape] = {}
        with store.begin() as conn:
            create_tables(conn)

    # -- the write side (inside the caller's transaction) ---------------------------------
    def on_write(
        self,
        conn: Connection,
        coll: Collection,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
    ) -> None:
        """One event per row an ingest batch wrote (after any schema change it made)."""
        if not rows or not self.enabled:
            return
        entries = self._schema_entries(conn, coll)
        shape = self._shape(coll, columns)
        if shape.key_index is None and shape.appended_sql is not None:
            self._write_appended(conn, coll, shape.appended_sql, entries, len(rows))
            return
        if shape.key_index is not None and shape.upserted_sql is not None:
            keys = orjson.dumps([row[shape.key_index] for row in rows], option=_DUMPS_OPTIONS)
            self._write_upserted(conn, coll, shape.upserted_sql, entries, keys.decode(), len(rows))
            return
        name, version, limit = coll.name, coll.schema_version, self.inline_bytes
        payloads = shape.payloads(rows)
        first = self._allocate(conn, len(entries) + len(payloads))
        at = self._now()
        out = [(first + i, at, *entry) for i, entry in enumerate(entries)]
        first += len(entries)
        k = shape.key_index
        if k is None:
            out += [
                (i, at, name, None, "insert", version, p, None)
                for i, p in enumerate(payloads, start=first)
            ]
        else:
            dumps = orjson.dumps
            for i, (row, payload) in enumerate(zip(rows, payloads, strict=True), start=first):
                key = dumps(row[k], option=_DUMPS_OPTIONS).decode()
                if len(payload) > limit:
                    out.append((i, at, name, key, "upsert", version, None, _ref(name, row[k])))
                else:
                    out.append((i, at, name, key, "upsert", version, payload, None))
        self.store.ops.insert_rows(conn, self.store, events_table.name, COLUMNS, out, None)

    def _write_appended(
        self, conn: Connection, coll: Collection, sql: str, entries: list[_Entry], count: int
    ) -> None:
        """The engine builds the events of ``count`` appended rows (the last row ids)."""
        first = self._allocate(conn, len(entries) + count)
        at = self._now()
        if entries:
            out = [(first + i, at, *entry) for i, entry in enumerate(entries)]
            self.store.ops.insert_rows(conn, self.store, events_table.name, COLUMNS, out, None)
        after = last_row_id(conn, self.store, coll) - count
        params = {
            "offset": first + len(entries) - (after + 1),
            "at": at,
            "collection": coll.name,
            "version": coll.schema_version,
            "after": after,
        }
        written = conn.exec_driver_sql(sql, params).rowcount
        if written != count:  # the rows were not the last ones: refuse rather than guess
            raise StorageError(
                f"the change stream found {written} new rows in {coll.name!r}, not {count}",
                hint="nothing was written; retry the ingest",
            )

    def _write_upserted(
        self,
        conn: Connection,
        coll: Collection,
        sql: str,
        entries: list[_Entry],
        keys: str,
        count: int,
    ) -> None:
        """The engine builds the events of ``count`` upserted rows, found by their keys."""
        first = self._allocate(conn, len(entries) + count)
        at = self._now()
        if entries:
            out = [(first + i, at, *entry) for i, entry in enumerate(entries)]
            self.store.ops.insert_rows(conn, self.store, events_table.name, COLUMNS, out, None)
        params = {
            "first": first + len(entries),
            "at": at,
            "collection": coll.name,
            "version": coll.schema_version,
            "keys": keys,
            "limit": self.inline_bytes,
            "ref": f"/v1/collections/{coll.name}/records/",
        }
        written = conn.exec_driver_sql(sql, params).rowcount
        if written != count:
            raise StorageError(
                f"the change stream found {written} of the {count} records written to "
                f"{coll.name!r}",
                hint="nothing was written; retry the ingest",
            )

    def on_delete(self, conn: Connection, coll: Collection, key: Any) -> None:
        """The record with ``key`` was deleted (from whichever tier held it)."""
        key_json = orjson.dumps(key, option=_DUMPS_OPTIONS).decode()
        self._append(conn, [(coll.name, key_json, "delete", coll.schema_version, None, None)])

    def on_expire(
        self, conn: Connection, coll: Collection, keys: Sequence[Any], rows: int, before: datetime
    ) -> None:
        """Retention deleted ``rows`` warm rows older than ``before``: a ``delete`` per key
        of a keyed collection, one ``expire`` event (count and cut-off) for a keyless one."""
        dumps, version = orjson.dumps, coll.schema_version
        if keys:
            entries: list[_Entry] = [
                (coll.name, dumps(k, option=_DUMPS_OPTIONS).decode(), "delete", version, None, None)
                for k in keys
            ]
        else:
            payload = dumps({"rows": rows, "before": before}, option=_DUMPS_OPTIONS).decode()
            entries = [(coll.name, None, "expire", version, payload, None)]
        self._append(conn, entries)

    def on_schema(self, conn: Connection, coll: Collection, note: str) -> None:
        """The collection's settings changed without a new schema version (an alter)."""
        if not self.enabled:
            return
        entries = self._schema_entries(conn, coll)
        entries.append(
            (coll.name, None, "schema", coll.schema_version, _schema_payload(coll, note), None)
        )
        self._append(conn, entries)

    def on_drop(self, conn: Connection, name: str) -> None:
        """The collection was dropped with all its records."""
        if not self.enabled:
            return
        conn.execute(schemas_table.delete().where(schemas_table.c.collection == name))
        self._append(conn, [(name, None, "drop", 0, None, None)])

    def on_move(self, conn: Connection, move: Any) -> None:
        """A tier move switched (``move`` is the migrator's MoveRecord)."""
        kind = str(move.kind)
        where = {"demote": ("warm", "cold"), "promote": ("cold", "warm")}
        source, target = where.get(kind, ("cold", "deleted"))
        payload = {
            "move": kind,
            "segment": move.segment_id,
            "rows": move.rows,
            "from": source,
            "to": target,
            "window_start": move.window_start,
            "window_end": move.window_end,
        }
        text = orjson.dumps(payload, option=_DUMPS_OPTIONS, default=str).decode()
        self._append(conn, [(move.collection, None, "move", 0, text, None)])

    def _schema_entries(self, conn: Connection, coll: Collection) -> list[_Entry]:
        """'schema' events for the versions of ``coll`` the outbox has not recorded yet."""
        created = coll.created_at.isoformat()
        mark = conn.execute(
            sa.select(schemas_table.c.version, schemas_table.c.created_at).where(
                schemas_table.c.collection == coll.name
            )
        ).first()
        if mark is not None and mark[1] == created and mark[0] >= coll.schema_version:
            return []
        seen = mark[0] if mark is not None and mark[1] == created else 0
        entries: list[_Entry] = []
        for change in coll.history:
            if change.version > seen:
                payload = _schema_payload(coll, change.note, change.model_dump(mode="json"))
                entries.append((coll.name, None, "schema", change.version, payload, None))
        values = {"version": coll.schema_version, "created_at": created}
        if mark is None:
            conn.execute(schemas_table.insert().values(collection=coll.name, **values))
        else:
            conn.execute(
                schemas_table.update().where(schemas_table.c.collection == coll.name).values(values)
            )
        return entries

    def _append(self, conn: Connection, entries: list[_Entry]) -> None:
        """Give the entries the next ids and write them."""
        if not entries or not self.enabled:
            return
        first, at = self._allocate(conn, len(entries)), self._now()
        rows = [(first + i, at, *entry) for i, entry in enumerate(entries)]
        self.store.ops.insert_rows(conn, self.store, events_table.name, COLUMNS, rows, None)

    @staticmethod
    def _allocate(conn: Connection, count: int) -> int:
        """The first of ``count`` new ids (the head row stays locked until commit)."""
        conn.execute(
            head_table.update()
            .where(head_table.c.name == HEAD)
            .values(last_id=head_table.c.last_id + count)
        )
        last = conn.execute(
            sa.select(head_table.c.last_id).where(head_table.c.name == HEAD)
        ).scalar_one()
        return int(last) - count + 1

    def _now(self) -> str:
        return self.clock().isoformat(timespec="microseconds").replace("+00:00", "Z")

    def _shape(self, coll: Collection, columns: Sequence[str]) -> _Shape:
        cache_key = (coll.name, coll.schema_version, coll.created_at, tuple(columns))
        shape = self._shapes.get(cache_key)
        if shape is None:
            if len(self._shapes) > 256:
                self._shapes.clear()
            shape = self._shapes[cache_key] = _Shape(self.store, coll, columns)
        return shape

    # -- the read side --------------------------------------------------------------------
    def read(
        self,
        after: int = 0,
        *,
        collection: str | None = None,
        limit: int = 1000,
        conn: Connection | None = None,
    ) -> list[Event]:
        """Up to ``limit`` events with ids above ``after``, oldest first."""
        query = sa.select(*(events_table.c[c] for c in COLUMNS)).where(events_table.c.id > after)
        if collection is not None:
            query = query.where(events_table.c.collection == collection)
        query = query.order_by(events_table.c.id).limit(limit)
        if conn is not None:
            return [Event.from_row(r) for r in conn.execute(query)]
        with self.store.read() as own:
            return [Event.from_row(r) for r in own.execute(query)]

    def last_id(self) -> int:
        """The id of the newest committed event (0 when there is none yet)."""
        with self.store.read() as conn:
            return int(
                conn.execute(
                    sa.select(head_table.c.last_id).where(head_table.c.name == HEAD)
                ).scalar_one()
            )

    def follow(
        self,
        after: int = 0,
        *,
        collection: str | None = None,
        poll: float = 0.25,
        stop: Callable[[], bool] = lambda: False,
        batch: int = 1000,
        consumer: str | None = None,
        once: bool = False,
    ) -> Iterator[Event]:
        """Events as they commit, from ``after`` on, until ``stop()`` says so (``once``:
        until there are no more). With ``consumer``, start at its cursor and move the
        cursor past each batch once the caller has asked for the event after it."""
        position = self.position(consumer) if consumer is not None else after
        while not stop():
            events = self.read(position, collection=collection, limit=batch)
            yield from events
            if events:
                position = events[-1].id
                if consumer is not None:
                    self.commit(consumer, position)
            elif once:
                return
            else:
                time.sleep(poll)

    # -- cursors --------------------------------------------------------------------------
    def position(self, consumer: str) -> int:
        """The last event id ``consumer`` handled (0 for a new consumer)."""
        _check_consumer(consumer)
        with self.store.read() as conn:
            found = conn.execute(
                sa.select(cursors_table.c.position).where(cursors_table.c.consumer == consumer)
            ).scalar_one_or_none()
        return int(found or 0)

    def commit(self, consumer: str, position: int) -> None:
        """Record that ``consumer`` has handled every event up to ``position``."""
        _check_consumer(consumer)
        now = self.clock().isoformat()
        with self.store.begin() as conn:
            updated = conn.execute(
                cursors_table.update()
                .where(cursors_table.c.consumer == consumer)
                .values(position=position, updated_at=now)
            )
            if not updated.rowcount:
                conn.execute(
                    cursors_table.insert().values(
                        consumer=consumer, position=position, updated_at=now
                    )
                )

    def cursors(self) -> dict[str, int]:
        """Every consumer's position."""
        with self.store.read() as conn:
            rows = conn.execute(sa.select(cursors_table.c.consumer, cursors_table.c.position))
            return {str(name): int(pos) for name, pos in rows}

    def trim(self, up_to: int | None = None) -> int:
        """Delete events every consumer has passed (and at most up to ``up_to``)."""
        positions = list(self.cursors().values())
        if not positions:
            return 0
        limit = min(positions) if up_to is None else min(*positions, up_to)
        with self.store.begin() as conn:
            result = conn.execute(events_table.delete().where(events_table.c.id <= limit))
        return int(result.rowcount or 0)


_PLAIN, _JSON, _BOOL = 0, 1, 2
ENGINE_BUILT = True
"""Let SQLite build the events of a batch itself (tests turn it off to compare the paths)."""


def _engine_built(store: OperationalStore) -> bool:
    from thermodb.storage.backends.sqlite import SQLiteBackend

    return ENGINE_BUILT and isinstance(store.backend, SQLiteBackend)


class _Shape:
    """How one collection's storage rows (at one schema version) become JSON payloads."""

    def __init__(self, store: OperationalStore, coll: Collection, columns: Sequence[str]) -> None:
        by_column = {f.column: f for f in coll.top_fields() if f.column}
        fields = [by_column.get(c) for c in columns]
        self.paths = [f.path if f is not None else c for f, c in zip(fields, columns, strict=True)]
        special = {FieldType.JSON: _JSON, FieldType.BOOL: _BOOL}
        self.kinds = [special.get(f.type, _PLAIN) if f is not None else _PLAIN for f in fields]
        self.kinds_used = any(k != _PLAIN for k in self.kinds)
        key = coll.fields.get(coll.key_field or "")
        fast = _engine_built(store)
        self.appended_sql = appended_events_sql(store, coll, columns) if fast else None
        """SQL that writes the events of appended rows in the engine (None: Python builds)."""
        self.upserted_sql = upserted_events_sql(store, coll, columns) if fast else None
        """SQL that writes the events of upserted rows in the engine (None: Python builds)."""
        self.key_index = (
            list(columns).index(key.column)
            if key is not None and key.column is not None and key.column in columns
            else None
        )

    def payloads(self, rows: Sequence[Sequence[Any]]) -> list[str]:
        """Each row as a JSON object of its non-null fields (JSON columns embedded as they
        are stored, booleans as booleans), in one pass per row."""
        dumps, paths, options = orjson.dumps, self.paths, _DUMPS_OPTIONS
        if not self.kinds_used:
            return [
                dumps(
                    {p: v for p, v in zip(paths, row, strict=True) if v is not None},
                    option=options,
                ).decode()
                for row in rows
            ]
        fragment, kinds = orjson.Fragment, self.kinds
        return [
            dumps(
                {
                    p: v if k == _PLAIN else fragment(v) if k == _JSON else bool(v)
                    for p, k, v in zip(paths, kinds, row, strict=True)
                    if v is not None
                },
                option=options,
            ).decode()
            for row in rows
        ]


def _schema_payload(coll: Collection, note: str, change: dict[str, Any] | None = None) -> str:
    return orjson.dumps(
        {
            "change": change,
            "note": note,
            "kind": coll.kind,
            "key_field": coll.key_field,
            "time_field": coll.time_field,
            "fields": {path: f.type.value for path, f in coll.fields.items()},
        },
        option=_DUMPS_OPTIONS,
    ).decode()


def _ref(collection: str, key: Any) -> str:
    return f"/v1/collections/{collection}/records/{key}"


def _check_consumer(name: str) -> None:
    if not name or len(name) > 128 or not name.isprintable():
        raise InputError(
            f"invalid consumer name {name!r}",
            hint="use 1 to 128 printable characters, e.g. 'billing-sync'",
        )
