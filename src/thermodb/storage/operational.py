"""The operational store: SQLite (embedded, WAL) or PostgreSQL, one code path via SQLAlchemy.

Holds one table per collection (a column per top-level field, an internal ``_rid`` row id)
and the catalog's own tables. Engine differences live in :mod:`thermodb.storage.backends`.
Every write runs inside a transaction that the caller opens with :meth:`begin`, DDL
included, so a failed ingest leaves no table, column or row behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from thermodb.catalog.model import Collection, Field
from thermodb.catalog.store import AFTER_COMMIT
from thermodb.catalog.types import FieldType
from thermodb.errors import ConfigError, InputError, StorageError
from thermodb.storage.backends.base import OperationalBackend
from thermodb.storage.columns import sql_type

__all__ = ["ROW_ID", "OperationalStore", "open_store"]

ROW_ID = "_rid"
"""The internal row id column every collection table has."""


class OperationalStore:
    """Tables, DDL and bulk writes over one SQLAlchemy engine."""

    def __init__(
        self, engine: Engine, backend: OperationalBackend, schema: str | None = None
    ) -> None:
        self.engine = engine
        self.backend = backend
        self.schema = schema
        self._tables: dict[str, tuple[tuple[int, datetime], sa.Table]] = {}

    @property
    def ops(self) -> OperationalBackend:
        """The backend (the name bulk-load callers know it by)."""
        return self.backend

    @property
    def dialect(self) -> str:
        """The engine's name, for people (explain, repr); decisions ask the backend."""
        return self.backend.capabilities.name

    # -- transactions -------------------------------------------------------------------
    @contextmanager
    def begin(self, *, write: bool = True, wait: bool = True) -> Iterator[Connection]:
        """A connection inside one transaction: committed on success, rolled back on error.

        ``wait=False``: a writer that finds the store held by another writer fails at once
        (StorageError) instead of waiting its turn — for writes that can be retried later.
        """
        try:
            with self.engine.connect() as raw:
                conn = raw.execution_options(thermo_write=write, thermo_wait=wait)
                callbacks: list[tuple[Callable[[], None], Callable[[], None] | None]] = []
                conn.info[AFTER_COMMIT] = callbacks
                try:
                    with conn.begin():
                        yield conn
                except BaseException:
                    for _, on_rollback in callbacks:
                        if on_rollback is not None:
                            on_rollback()
                    raise
                finally:
                    conn.info.pop(AFTER_COMMIT, None)
            for on_commit, _ in callbacks:  # committed: publish what it changed
                on_commit()
        except SQLAlchemyError as exc:
            raise StorageError(
                f"the operational store failed: {_first_line(exc)}",
                hint="check that the database is reachable and not locked by another writer",
            ) from exc

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads (its own snapshot on PostgreSQL and SQLite WAL)."""
        with self.begin(write=False) as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()

    # -- tables -------------------------------------------------------------------------
    def table(self, collection: Collection) -> sa.Table:
        """The SQLAlchemy Table of a collection as its schema stands now."""
        cached = self._tables.get(collection.name)
        # a dropped and recreated collection starts again at schema version 1: the
        # creation time tells the two apart
        version = (collection.schema_version, collection.created_at)
        if cached and cached[0] == version:
            return cached[1]
        columns = [
            sa.Column(
                ROW_ID,
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                primary_key=True,
                autoincrement=True,
            )
        ]
        columns += [
            sa.Column(f.column, sql_type(f.type)) for f in collection.top_fields() if f.column
        ]
        table = sa.Table(collection.name, sa.MetaData(), *columns)
        self._tables[collection.name] = (version, table)
        return table

    def forget(self, name: str) -> None:
        self._tables.pop(name, None)

    def create_table(self, conn: Connection, collection: Collection) -> None:
        self.forget(collection.name)
        self.table(collection).create(conn)

    def drop_table(self, conn: Connection, name: str) -> None:
        self.forget(name)
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {self.quote(name)}")

    def add_column(self, conn: Connection, collection: Collection, f: Field) -> None:
        assert f.column is not None
        coltype = sql_type(f.type).compile(dialect=self.engine.dialect)
        conn.exec_driver_sql(
            f"ALTER TABLE {self.quote(collection.name)} ADD COLUMN {self.quote(f.column)} {coltype}"
        )
        self.forget(collection.name)

    def widen_column(
        self, conn: Connection, collection: Collection, f: Field, old: FieldType, new: FieldType
    ) -> None:
        """Change a column's type in place, converting the values it already holds."""
        assert f.column is not None
        self.backend.widen_column(conn, self, collection.name, f.column, old, new)
        self.forget(collection.name)

    def ensure_key_index(self, conn: Connection, collection: Collection) -> None:
        key = collection.key_field and collection.fields.get(collection.key_field)
        if not key or not key.column:
            return
        name = self.key_index_name(collection.name)
        conn.exec_driver_sql(
            f"CREATE UNIQUE INDEX IF NOT EXISTS {self.quote(name)} "
            f"ON {self.quote(collection.name)} ({self.quote(key.column)})"
        )

    @staticmethod
    def key_index_name(table: str) -> str:
        return f"ux_{table}_key"[:63]

    def quote(self, identifier: str) -> str:
        return self.backend.quote(identifier)

    # -- writes -------------------------------------------------------------------------
    def insert_rows(
        self,
        conn: Connection,
        collection: Collection,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        upsert_on: str | None = None,
    ) -> None:
        """Insert rows (tuples in storage form); replace rows whose ``upsert_on`` matches.

        A value the column type cannot hold (an integer beyond 64 bits) is the caller's
        input, not a storage failure: it becomes an InputError, and the call rolls back.
        """
        if not rows:
            return
        try:
            self.backend.insert_rows(conn, self, collection.name, columns, rows, upsert_on)
        except OverflowError as exc:
            raise _out_of_range(collection.name, exc) from exc

    def delete_keys(self, conn: Connection, collection: Collection, keys: Sequence[Any]) -> int:
        key = collection.fields.get(collection.key_field or "")
        if key is None or key.column is None:
            raise ConfigError(
                f"collection {collection.name!r} has no key field",
                hint="set one with `thermodb alter NAME --key FIELD`",
            )
        table = self.table(collection)
        result = conn.execute(table.delete().where(table.c[key.column].in_(list(keys))))
        return int(result.rowcount or 0)

    def timestamp_value(self, value: Any) -> Any:
        """A timestamp in the form this dialect's bulk path writes."""
        return self.backend.timestamp_value(value)


def _out_of_range(collection: str, exc: BaseException) -> InputError:
    return InputError(
        f"a number for {collection!r} does not fit a 64-bit integer column ({_first_line(exc)})",
        hint="nothing was written; send numbers beyond ±9.2e18 as strings",
    )


def open_store(target: str | Path) -> OperationalStore:
    """Open the operational store of a data directory or a database URL."""
    text = str(target)
    if text.startswith(("postgresql:", "postgres:", "postgresql+psycopg:")):
        return _open_postgres(text)
    if text.startswith("sqlite:"):
        url = make_url(text)
        return _open_sqlite(url.database or ":memory:")
    if "://" in text:
        raise ConfigError(
            f"unsupported operational store URL {text!r}",
            hint="use a data directory, sqlite:///PATH or postgresql://USER@HOST/DB",
        )
    directory = Path(text)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the data directory {text!r}: {exc.strerror}",
            hint="pass a writable directory with --data",
        ) from exc
    return _open_sqlite(str(directory / "thermo.db"))


def _open_sqlite(path: str) -> OperationalStore:
    from thermodb.storage.backends.sqlite import SQLiteBackend

    engine = sa.create_engine(f"sqlite:///{path}")
    backend = SQLiteBackend()
    backend.install(engine)
    return OperationalStore(engine, backend)


def _open_postgres(text: str) -> OperationalStore:
    from thermodb.storage.backends.postgres import PostgresBackend

    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            "PostgreSQL support is not installed", hint="pip install 'thermodb[postgres]'"
        ) from exc
    url = make_url(text).set(drivername="postgresql+psycopg")
    schema = url.query.get("schema")
    if isinstance(schema, tuple):
        schema = schema[0]
    url = url.difference_update_query(["schema"])
    engine = sa.create_engine(url, pool_pre_ping=True)
    backend = PostgresBackend(schema)
    backend.install(engine)
    try:
        with engine.begin() as conn:
            if schema:
                conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {backend.quote(schema)}")
    except SQLAlchemyError as exc:
        raise StorageError(
            f"cannot reach PostgreSQL at {url.render_as_string()}: {_first_line(exc)}",
            hint="check the URL, that the server runs and accepts you",
        ) from exc
    return OperationalStore(engine, backend, schema)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
