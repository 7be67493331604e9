"""Point reads on SQLite without SQLAlchemy's per-call overhead.

`Database.get` on a hot record must cost a few microseconds (issue 3), but a SQLAlchemy
Core round trip (connection checkout, compiled-statement lookup, result wrapping) costs
about 150 µs. On SQLite this module reads through one plain ``sqlite3`` connection per
thread instead, with the key lookup's SQL and the row → record conversion built once per
collection schema version. It returns the same records as the SQLAlchemy path: values pass
through the very result processors of the collection's column types.

Consistency: each statement on an autocommit ``sqlite3`` connection reads the latest
committed state. A lookup reads the collection's data version, then the row, then the
version again; only when both versions agree is the (record, version) pair safe to cache
under that version. PostgreSQL keeps the SQLAlchemy path (``KeyReader.for_store`` gives
None), where the per-call cost is the network round trip, not the library.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from thermodb.catalog.model import Collection
from thermodb.records import json_value
from thermodb.storage.operational import OperationalStore

__all__ = ["KeyReader", "RowShape"]

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class RowShape:
    """The SELECT of one collection schema version and how to turn its row into a record."""

    schema_version: int
    created_at: datetime  # a dropped and recreated collection restarts its schema versions
    key_field: str | None  # a changed key field (`alter`) does not change the schema version
    sql: str
    fields: tuple[tuple[str, Any, Processor], ...]  # (path, field type, result processor)

    def record(self, row: tuple[Any, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for (path, ftype, process), stored in zip(self.fields, row, strict=True):
            value = process(stored) if process is not None and stored is not None else stored
            if value is not None:
                out[path] = json_value(value, ftype)
        return out


class KeyReader:
    """Data versions and warm rows by key, over a per-thread raw ``sqlite3`` connection."""

    def __init__(self, store: OperationalStore, path: str) -> None:
        self._store = store
        self._path = path
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []  # every thread's, so close() ends them all
        self._lock = threading.Lock()
        self._shapes: dict[str, RowShape] = {}

    @classmethod
    def for_store(cls, store: OperationalStore) -> KeyReader | None:
        """A reader for a file-backed SQLite store; None elsewhere (use SQLAlchemy)."""
        path = store.backend.file_path(store.engine)
        return None if path is None else cls(store, path)

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 5000")
            self._local.conn = conn
            with self._lock:
                self._opened.append(conn)
        return conn

    def version(self, collection: str) -> int:
        """The collection's committed data version (0 before its first write)."""
        try:
            row = (
                self._conn()
                .execute("SELECT version FROM thermo_versions WHERE collection = ?", (collection,))
                .fetchone()
            )
        except sqlite3.OperationalError:  # the table is created lazily by the tiers
            return 0
        return int(row[0]) if row else 0

    def state(self, collection: str) -> tuple[int, int]:
        """(the catalog's generation, the collection's data version), in one statement."""
        try:
            row = (
                self._conn()
                .execute(
                    "SELECT (SELECT value FROM thermo_settings WHERE key = 'catalog_generation'),"
                    " (SELECT version FROM thermo_versions WHERE collection = ?)",
                    (collection,),
                )
                .fetchone()
            )
        except sqlite3.OperationalError:  # the versions table is created lazily by the tiers
            return -1, 0
        return int(row[0] or 0), int(row[1] or 0)

    def warm(self, coll: Collection, key: Any) -> tuple[dict[str, Any] | None, int] | None:
        """(the warm record or None, the version it was read at); None if a write raced."""
        shape = self._shape(coll)
        before = self.version(coll.name)
        row = self._conn().execute(shape.sql, (key,)).fetchone()
        if self.version(coll.name) != before:
            return None
        return (shape.record(row) if row is not None else None), before

    def _shape(self, coll: Collection) -> RowShape:
        shape = self._shapes.get(coll.name)
        if (
            shape is not None
            and shape.schema_version == coll.schema_version
            and shape.created_at == coll.created_at
            and shape.key_field == coll.key_field
        ):
            return shape
        table = self._store.table(coll)
        dialect = self._store.engine.dialect
        key_field = coll.fields[coll.key_field or ""]
        fields = [f for f in coll.top_fields() if f.column is not None]
        columns = ", ".join(f'"{f.column}"' for f in fields)
        shape = RowShape(
            schema_version=coll.schema_version,
            created_at=coll.created_at,
            key_field=coll.key_field,
            sql=f'SELECT {columns} FROM "{table.name}" WHERE "{key_field.column}" = ? LIMIT 1',
            fields=tuple(
                (f.path, f.type, table.c[f.column].type.result_processor(dialect, None))
                for f in fields
                if f.column is not None
            ),
        )
        self._shapes[coll.name] = shape
        return shape

    def close(self) -> None:
        """Close every thread's connection (a thread reading afterwards opens a new one)."""
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()
        self._local = threading.local()
