"""SQLite: JSON through ``json_extract``, timestamps as canonical text, a registered percentile.

SQLite cannot change a column's type, so widening rebuilds the column; it has no
read-only transactions, so user SQL runs under ``PRAGMA query_only`` and an authorizer.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.dialects import sqlite as sa_sqlite
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.sql.elements import ColumnElement
from sqlglot import exp

from thermodb.catalog.types import FieldType
from thermodb.storage.backends.base import Authorizer, Capabilities
from thermodb.storage.backends.sqlite.percentile import NAME as PERCENTILE
from thermodb.storage.backends.sqlite.percentile import register_sqlite_percentile
from thermodb.storage.columns import JsonText, UtcTimestamp, const, format_timestamp, sql_type

if TYPE_CHECKING:
    from thermodb.storage.operational import OperationalStore

__all__ = ["SQLiteBackend", "json_path"]

_PREFIX: dict[str, tuple[int, str]] = {
    "minute": (16, ":00Z"),
    "hour": (13, ":00:00Z"),
    "day": (10, ""),
    "month": (7, "-01"),
    "year": (4, "-01-01"),
}


BUSY_TIMEOUT_MS = 30_000
"""How long a writer waits for another's transaction before giving up."""
NOWAIT_MS = 0
"""The wait of a write that would rather be retried later (``begin(wait=False)``)."""


def json_path(path: Sequence[str]) -> str:
    """A JSON path with every segment quoted (``$."a"."b"``), for any depth."""
    return "$" + "".join(f'."{segment}"' for segment in path)


class SQLiteBackend:
    capabilities: ClassVar[Capabilities] = Capabilities(
        name="sqlite",
        sqlglot_dialect="sqlite",
        json_any_depth=True,
        percentile=False,
        null_order="smallest",
        bulk_copy=False,
        alter_column_type=False,
        read_only_transactions=False,
        snapshot_reads=True,
        timestamps_as_text=True,
        groups_sorted=True,
    )

    def __init__(self) -> None:
        self._dialect = sa_sqlite.dialect()

    @property
    def dialect(self) -> Dialect:
        return self._dialect

    def quote(self, identifier: str) -> str:
        return str(self._dialect.identifier_preparer.quote(identifier))

    # -- connections ----------------------------------------------------------------------
    def install(self, engine: Engine) -> None:
        """WAL, sane sync, a busy timeout, and transactions that include DDL.

        pysqlite opens transactions lazily (and never before DDL); we switch that off and
        emit BEGIN ourselves (BEGIN IMMEDIATE for writers), as SQLAlchemy's docs recommend.
        """

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            for pragma in (
                "journal_mode=WAL",
                "synchronous=NORMAL",
                f"busy_timeout={BUSY_TIMEOUT_MS}",
                "foreign_keys=ON",
            ):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            options = conn.get_execution_options()
            if not options.get("thermo_write", True):
                conn.exec_driver_sql("BEGIN")
                return
            if options.get("thermo_wait", True):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            # the write lock now or never: no busy wait for this one BEGIN
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute(f"PRAGMA busy_timeout = {NOWAIT_MS}")
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            finally:
                raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def file_path(self, engine: Engine) -> str | None:
        database = engine.url.database
        return None if not database or database == ":memory:" else database

    def snapshot(self, conn: Connection) -> None:
        """WAL read transactions already are one snapshot."""

    def lock_table(self, conn: Connection, table: str) -> None:
        """BEGIN IMMEDIATE already holds the write lock for the whole transaction."""

    def driver_text(self, sql: str) -> str:
        return sql

    @contextmanager
    def guarded(
        self,
        conn: Connection,
        *,
        read_only: bool,
        timeout: float | None,
        needs_percentile: bool,
        authorizer: Authorizer | None,
        max_value_bytes: int | None = None,
    ) -> Iterator[None]:
        raw: Any = conn.connection.driver_connection
        if needs_percentile:
            register_sqlite_percentile(raw)
        deadline = None if timeout is None else time.monotonic() + timeout
        if deadline is not None:
            raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        if read_only:
            raw.execute("PRAGMA query_only = 1")
        if authorizer is not None:
            raw.set_authorizer(authorizer)
        longest = None
        if max_value_bytes is not None:  # a backstop to the checker's argument bounds
            longest = raw.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max_value_bytes)
        try:
            yield
        finally:
            if longest is not None:
                raw.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, longest)
            if authorizer is not None:
                raw.set_authorizer(None)
            if read_only:
                raw.execute("PRAGMA query_only = 0")
            if deadline is not None:
                raw.set_progress_handler(None, 0)

    # -- expressions ----------------------------------------------------------------------
    def json_leaf(
        self, column: ColumnElement[Any], path: Sequence[str], ftype: FieldType
    ) -> ColumnElement[Any]:
        where = const(json_path(path))
        if ftype is FieldType.JSON:
            return sa.type_coerce(column.op("->")(where), JsonText())
        value = sa.func.json_extract(column, where)
        if ftype is FieldType.TIMESTAMP:
            return sa.type_coerce(canonical_time(value), UtcTimestamp())
        if ftype is FieldType.BOOL:
            return sa.type_coerce(value, sa.Boolean(create_constraint=False))
        if ftype is FieldType.INT:
            return sa.type_coerce(value, sa.BigInteger())
        if ftype is FieldType.FLOAT:
            return sa.type_coerce(value, sa.Float(precision=53))
        # a text leaf may hold numbers and booleans too (it widened): compare them as the
        # text the other engines' JSON-to-text gives, so every store answers alike
        kind = sa.func.json_type(column, where)
        as_text = sa.case(
            (kind == const("true"), const("true")),
            (kind == const("false"), const("false")),
            else_=sa.cast(value, sa.Text()),
        )
        return sa.type_coerce(as_text, sa.Text())

    def sql_json_leaf(self, source: exp.Expr, path: Sequence[str], ftype: FieldType) -> exp.Expr:
        """A JSON leaf in user SQL (sqlglot), as json_extract returns it."""
        where = "$" + "".join('."' + p.replace('"', '""') + '"' for p in path)
        return exp.Anonymous(this="json_extract", expressions=[source, exp.Literal.string(where)])

    def output_name(self, projection: exp.Expr) -> str:
        """The name SQLite gives an unaliased result column: its text as written."""
        if isinstance(projection, exp.Column):
            return str(projection.name)
        return str(projection.sql(dialect="sqlite"))

    def as_text(self, expr: ColumnElement[Any], ftype: FieldType | None) -> ColumnElement[Any]:
        if ftype is FieldType.TEXT:
            return expr
        if ftype is FieldType.JSON:
            return sa.cast(sa.type_coerce(expr, sa.Text()), sa.Text())
        return sa.cast(expr, sa.Text())

    def json_equals(self, expr: ColumnElement[Any], wanted: Sequence[str]) -> ColumnElement[bool]:
        return self.as_text(expr, FieldType.JSON).in_(list(wanted))

    def percentile(self, expr: ColumnElement[Any], q: float) -> ColumnElement[Any]:
        return getattr(sa.func, PERCENTILE)(expr, q, type_=sa.Float(precision=53))  # type: ignore[no-any-return]

    def bucket(self, expr: ColumnElement[Any], bucket: str) -> ColumnElement[str]:
        """Canonical time text makes most buckets prefixes of it (cheap, index-friendly)."""
        text = sa.type_coerce(expr, sa.Text())
        if bucket == "week":
            day = sa.func.substr(text, const(1), const(10))
            monday = sa.func.date(day, const("weekday 0"), const("-6 days"))
            return sa.type_coerce(monday, sa.Text())
        length, suffix = _PREFIX[bucket]
        prefix = sa.func.substr(text, const(1), const(length))
        out = prefix.op("||")(const(suffix)) if suffix else prefix
        return sa.type_coerce(out, sa.Text())

    def widen_sql(self, column: str, old: FieldType, new: FieldType) -> str:
        as_text_bool = f"CASE {column} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END"
        if new is FieldType.FLOAT:
            return f"CAST({column} AS REAL)"
        if new is FieldType.TEXT:
            if old is FieldType.BOOL:
                return as_text_bool
            if old in (FieldType.TEXT, FieldType.TIMESTAMP, FieldType.JSON):
                return column
            return f"CAST({column} AS TEXT)"
        if new is FieldType.JSON:
            if old is FieldType.BOOL:
                return as_text_bool
            if old.is_numeric:
                return f"CAST({column} AS TEXT)"
            return f"json_quote({column})"
        raise AssertionError(f"no widening from {old} to {new}")

    # -- writes ---------------------------------------------------------------------------
    def timestamp_value(self, value: datetime) -> Any:
        return format_timestamp(value)

    def widen_column(
        self,
        conn: Connection,
        store: OperationalStore,
        table: str,
        column: str,
        old: FieldType,
        new: FieldType,
    ) -> None:
        """SQLite cannot change a column's type: add, copy converted, drop, rename."""
        q = self.quote
        tmp = f"{column}__widen"
        indexes = [ix for ix in inspect(conn).get_indexes(table) if column in ix["column_names"]]
        for ix in indexes:
            conn.exec_driver_sql(f"DROP INDEX {q(str(ix['name']))}")
        coltype = sql_type(new).compile(dialect=conn.dialect)
        conn.exec_driver_sql(f"ALTER TABLE {q(table)} ADD COLUMN {q(tmp)} {coltype}")
        conn.exec_driver_sql(
            f"UPDATE {q(table)} SET {q(tmp)} = {self.widen_sql(q(column), old, new)}"
        )
        conn.exec_driver_sql(f"ALTER TABLE {q(table)} DROP COLUMN {q(column)}")
        conn.exec_driver_sql(f"ALTER TABLE {q(table)} RENAME COLUMN {q(tmp)} TO {q(column)}")
        for ix in indexes:
            cols = ", ".join(q(str(c)) for c in ix["column_names"])
            unique = "UNIQUE " if ix.get("unique") else ""
            conn.exec_driver_sql(
                f"CREATE {unique}INDEX {q(str(ix['name']))} ON {q(table)} ({cols})"
            )

    def insert_rows(
        self,
        conn: Connection,
        store: OperationalStore,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        upsert_on: str | None,
    ) -> None:
        q = self.quote
        cols = ", ".join(q(c) for c in columns)
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {q(table)} ({cols}) VALUES ({marks})"
        if upsert_on:
            sets = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in columns if c != upsert_on)
            sql += f" ON CONFLICT ({q(upsert_on)}) DO " + (
                f"UPDATE SET {sets}" if sets else "NOTHING"
            )
        conn.exec_driver_sql(sql, list(rows))


def canonical_time(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """Any time text SQLite can read, as the canonical stored form (millisecond precision).

    Nested timestamps keep the text they arrived with (offsets, no fraction...), so they
    are normalised before being compared with canonical bounds or cut into buckets.
    """
    return sa.func.strftime(const("%Y-%m-%dT%H:%M:%f000Z"), value)
