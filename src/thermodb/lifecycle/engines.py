"""Taking a consistent snapshot of an operational store, and loading one into a new store.

A snapshot is always one SQLite file, whatever the source engine, so a backup is read,
checked and restored the same way everywhere:

* SQLite: ``VACUUM INTO`` a new file. It runs in one read transaction, which in WAL mode
  never blocks the writers, so ingest goes on while the copy is made.
* PostgreSQL: one REPEATABLE READ, READ ONLY transaction reads every table of the schema
  (a single snapshot of all of them) into the SQLite file: collections with their own
  column types (timestamps as canonical text, JSON as text), thermodb's tables as they are.

Loading is the reverse: a SQLite target takes the file as its database; a PostgreSQL target
gets thermodb's tables (created by opening it) filled, each collection's table created
from the restored catalog and filled, and every serial counter moved past the largest id.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thermodb.catalog.model import Collection
from thermodb.catalog.store import collections_table
from thermodb.errors import StorageError
from thermodb.storage.backends.sqlite import SQLiteBackend
from thermodb.storage.operational import OperationalStore

__all__ = ["SnapshotEngine", "engine_for", "open_snapshot"]

Progress = Callable[[str, int, int], None]
CHUNK = 5000


class SnapshotEngine(Protocol):
    def snapshot(self, store: OperationalStore, path: Path) -> None: ...

    def load(self, store: OperationalStore, snapshot: Path, progress: Progress) -> None: ...


def open_snapshot(path: Path) -> OperationalStore:
    """A store over a snapshot file (read through the same code as a live SQLite store)."""
    engine = sa.create_engine(f"sqlite:///{path}")
    backend = SQLiteBackend()
    backend.install(engine)
    return OperationalStore(engine, backend)


class SQLiteSnapshots:
    """Snapshots by VACUUM INTO; loads by taking the file as the database."""

    def snapshot(self, store: OperationalStore, path: Path) -> None:
        source = store.engine.url.database
        if not source or source == ":memory:":
            raise StorageError("an in-memory database cannot be backed up")
        conn = sqlite3.connect(source, timeout=30)
        try:
            conn.execute("VACUUM INTO ?", (str(path),))
        except sqlite3.Error as exc:
            raise StorageError(f"the SQLite snapshot failed: {exc}") from exc
        finally:
            conn.close()

    def load(self, store: OperationalStore, snapshot: Path, progress: Progress) -> None:
        target = store.engine.url.database
        assert target
        store.dispose()
        progress("database", 0, 1)
        for suffix in ("-wal", "-shm"):
            Path(target + suffix).unlink(missing_ok=True)
        partial = Path(target + ".restoring")
        shutil.copyfile(snapshot, partial)
        with partial.open("rb+") as f:
            import os

            os.fsync(f.fileno())
        partial.replace(target)
        progress("database", 1, 1)


class PostgresSnapshots:
    """Snapshots in one REPEATABLE READ transaction; loads table by table in one transaction."""

    def snapshot(self, store: OperationalStore, path: Path) -> None:
        out = open_snapshot(path)
        try:
            with store.engine.connect() as raw:
                conn = raw.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                    self._copy_out(store, conn, out)
        finally:
            out.dispose()

    def _copy_out(self, store: OperationalStore, conn: Connection, out: OperationalStore) -> None:
        docs = conn.execute(sa.select(collections_table.c.doc)).scalars().all()
        collections = {c.name: c for c in (Collection.model_validate_json(d) for d in docs)}
        tables = sa.inspect(conn).get_table_names(schema=store.schema)
        with out.begin() as dst:
            for name in tables:
                coll = collections.get(name)
                if coll is not None:
                    out.create_table(dst, coll)
                    out.ensure_key_index(dst, coll)
                    source, target = store.table(coll), out.table(coll)
                elif name.startswith("thermo_"):
                    source = sa.Table(name, sa.MetaData(), autoload_with=conn, schema=store.schema)
                    target = _generic_copy(source)
                    target.create(dst)
                else:
                    continue  # not thermodb's
                for rows in _chunks(conn.execute(sa.select(source)).mappings()):
                    dst.execute(target.insert(), rows)

    def load(self, store: OperationalStore, snapshot: Path, progress: Progress) -> None:
        src = open_snapshot(snapshot)
        try:
            with src.read() as reader, store.begin() as conn:
                names = sa.inspect(reader).get_table_names()
                docs = reader.execute(sa.select(collections_table.c.doc)).scalars().all()
                collections = {c.name: c for c in (Collection.model_validate_json(d) for d in docs)}
                existing = set(sa.inspect(conn).get_table_names(schema=store.schema))
                for done, name in enumerate(names):
                    progress("tables", done, len(names))
                    coll = collections.get(name)
                    if coll is not None:
                        store.create_table(conn, coll)
                        store.ensure_key_index(conn, coll)
                        source, target = src.table(coll), store.table(coll)
                    else:
                        source = sa.Table(name, sa.MetaData(), autoload_with=reader)
                        if name in existing:
                            target = sa.Table(
                                name, sa.MetaData(), autoload_with=conn, schema=store.schema
                            )
                            conn.execute(target.delete())
                        else:
                            target = _generic_copy(source)
                            target.create(conn)
                    columns = [c.name for c in target.columns if c.name in source.c]
                    for rows in _chunks(reader.execute(sa.select(source)).mappings()):
                        conn.execute(target.insert(), [{c: r[c] for c in columns} for r in rows])
                progress("tables", len(names), len(names))
                _reset_serials(conn, store.schema)
        finally:
            src.dispose()


def _generic_copy(table: sa.Table) -> sa.Table:
    """The same table with portable column types (for thermodb's own tables)."""
    columns = []
    for c in table.columns:
        kind: Any
        if isinstance(c.type, sa.Integer):
            kind = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
        elif isinstance(c.type, sa.Float | sa.Numeric):
            kind = sa.Float()
        else:
            kind = sa.Text()
        columns.append(
            sa.Column(
                c.name, kind, primary_key=c.primary_key, nullable=c.nullable, autoincrement=False
            )
        )
    return sa.Table(table.name, sa.MetaData(), *columns)


def _reset_serials(conn: Connection, schema: str | None) -> None:
    """Move each serial counter past the largest id now in its table."""
    rows = conn.execute(
        sa.text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = COALESCE(:schema, current_schema()) "
            "AND column_default LIKE 'nextval(%'"
        ),
        {"schema": schema},
    ).all()
    for table, column in rows:
        quoted_table, quoted_col = _quote(table), _quote(column)
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{quoted_table}', '{column}'), "
            f"COALESCE((SELECT max({quoted_col}) FROM {quoted_table}), 0) + 1, false)"
        )


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _chunks(rows: Any) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(dict(row))
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def engine_for(store: OperationalStore) -> SnapshotEngine:
    """The snapshot engine of a store's backend (by the backend's class: the one-file SQLite
    store copies itself, the others export in one snapshot transaction)."""
    if isinstance(store.backend, SQLiteBackend):
        return SQLiteSnapshots()
    return PostgresSnapshots()
