"""What SQLite and PostgreSQL do differently: connection set-up, widening a column, bulk load.

Everything else goes through SQLAlchemy Core unchanged. Each class declares its capabilities
so callers ask instead of checking dialect names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from sqlalchemy import event, inspect
from sqlalchemy.engine import Connection, Engine

from thermodb.catalog.types import FieldType
from thermodb.errors import StorageError
from thermodb.storage.columns import format_timestamp, sql_type

if TYPE_CHECKING:
    from thermodb.storage.operational import OperationalStore

__all__ = ["Capabilities", "DialectOps", "PostgresOps", "SQLiteOps"]


@dataclass(frozen=True)
class Capabilities:
    name: str
    bulk_copy: bool
    """Bulk loads use COPY rather than executemany."""
    read_only_transactions: bool
    """The engine can enforce a read-only transaction (a backstop for user SQL)."""
    percentile: bool
    """The engine has an ordered-set percentile aggregate."""
    timestamps_as_text: bool = False
    """Timestamps are stored as their canonical text (``format_timestamp``)."""


class DialectOps(Protocol):
    capabilities: ClassVar[Capabilities]

    def timestamp_value(self, value: datetime) -> Any: ...

    def widen_column(
        self,
        conn: Connection,
        store: OperationalStore,
        table: str,
        column: str,
        old: FieldType,
        new: FieldType,
    ) -> None: ...

    def insert_rows(
        self,
        conn: Connection,
        store: OperationalStore,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        upsert_on: str | None,
    ) -> None: ...


class SQLiteOps:
    capabilities: ClassVar[Capabilities] = Capabilities(
        name="sqlite",
        bulk_copy=False,
        read_only_transactions=False,
        percentile=False,
        timestamps_as_text=True,
    )

    @staticmethod
    def install(engine: Engine) -> None:
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
                "busy_timeout=30000",
                "foreign_keys=ON",
            ):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            write = conn.get_execution_options().get("thermo_write", True)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

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
        q = store.quote
        tmp = f"{column}__widen"
        indexes = [ix for ix in inspect(conn).get_indexes(table) if column in ix["column_names"]]
        for ix in indexes:
            conn.exec_driver_sql(f"DROP INDEX {q(str(ix['name']))}")
        coltype = sql_type(new).compile(dialect=conn.dialect)
        conn.exec_driver_sql(f"ALTER TABLE {q(table)} ADD COLUMN {q(tmp)} {coltype}")
        conn.exec_driver_sql(
            f"UPDATE {q(table)} SET {q(tmp)} = {_sqlite_convert(q(column), old, new)}"
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
        q = store.quote
        cols = ", ".join(q(c) for c in columns)
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {q(table)} ({cols}) VALUES ({marks})"
        if upsert_on:
            sets = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in columns if c != upsert_on)
            sql += f" ON CONFLICT ({q(upsert_on)}) DO " + (
                f"UPDATE SET {sets}" if sets else "NOTHING"
            )
        conn.exec_driver_sql(sql, list(rows))


def _sqlite_convert(col: str, old: FieldType, new: FieldType) -> str:
    as_text_bool = f"CASE {col} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END"
    if new is FieldType.FLOAT:
        return f"CAST({col} AS REAL)"
    if new is FieldType.TEXT:
        if old is FieldType.BOOL:
            return as_text_bool
        return (
            col
            if old in (FieldType.TEXT, FieldType.TIMESTAMP, FieldType.JSON)
            else f"CAST({col} AS TEXT)"
        )
    if new is FieldType.JSON:
        if old is FieldType.BOOL:
            return as_text_bool
        if old.is_numeric:
            return f"CAST({col} AS TEXT)"
        return f"json_quote({col})"
    raise AssertionError(f"no widening from {old} to {new}")


class PostgresOps:
    capabilities: ClassVar[Capabilities] = Capabilities(
        name="postgresql", bulk_copy=True, read_only_transactions=True, percentile=True
    )

    @staticmethod
    def install(engine: Engine, schema: str | None) -> None:
        if not schema:
            return

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cur:
                cur.execute(f'SET search_path TO "{schema}"')
            dbapi_connection.commit()

    def timestamp_value(self, value: datetime) -> Any:
        return value

    def widen_column(
        self,
        conn: Connection,
        store: OperationalStore,
        table: str,
        column: str,
        old: FieldType,
        new: FieldType,
    ) -> None:
        q = store.quote
        c = q(column)
        if new is FieldType.FLOAT:
            using = f"{c}::double precision"
        elif new is FieldType.TEXT:
            using = (
                f"to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
                if old is FieldType.TIMESTAMP
                else f"{c}::text"
            )
        else:
            using = f"to_jsonb({c})"
        coltype = sql_type(new).compile(dialect=conn.dialect)
        conn.exec_driver_sql(
            f"ALTER TABLE {q(table)} ALTER COLUMN {c} TYPE {coltype} USING {using}"
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
        """COPY into the table; for upserts COPY into a staging table and merge the last.

        The driver's errors are mapped here (the raw cursor bypasses SQLAlchemy's): a value
        out of a column's range is the caller's input (OverflowError, as sqlite3 raises),
        anything else a storage failure.
        """
        import psycopg

        try:
            self._copy_rows(conn, store, table, columns, rows, upsert_on)
        except psycopg.errors.NumericValueOutOfRange as exc:
            raise OverflowError(str(exc).strip()) from exc
        except psycopg.Error as exc:
            raise StorageError(
                f"PostgreSQL refused the write: {str(exc).strip()}",
                hint="check the server's log; nothing was written",
            ) from exc

    def _copy_rows(
        self,
        conn: Connection,
        store: OperationalStore,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        upsert_on: str | None,
    ) -> None:
        q = store.quote
        cols = ", ".join(q(c) for c in columns)
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            if not upsert_on:
                with cur.copy(f"COPY {q(table)} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            stage = q(f"_stage_{table}"[:63])
            cur.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS "
                f"SELECT {cols} FROM {q(table)} WITH NO DATA"
            )
            cur.execute(f"ALTER TABLE {stage} ADD COLUMN IF NOT EXISTS _seq bigserial")
            cur.execute(f"TRUNCATE {stage}")
            with cur.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            key = q(upsert_on)
            sets = ", ".join(f"{q(c)} = EXCLUDED.{q(c)}" for c in columns if c != upsert_on)
            action = f"UPDATE SET {sets}" if sets else "NOTHING"
            cur.execute(
                f"INSERT INTO {q(table)} ({cols}) SELECT DISTINCT ON ({key}) {cols} "
                f"FROM {stage} ORDER BY {key}, _seq DESC ON CONFLICT ({key}) DO {action}"
            )
            cur.execute(f"DROP TABLE {stage}")
