"""PostgreSQL: jsonb, timestamptz, ``percentile_cont``, COPY, READ ONLY transactions."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.sql.elements import ColumnElement
from sqlglot import exp

from thermodb.catalog.types import FieldType
from thermodb.errors import StorageError
from thermodb.storage.backends.base import Authorizer, Capabilities
from thermodb.storage.columns import JsonText, const, sql_type

if TYPE_CHECKING:
    from thermodb.storage.operational import OperationalStore

__all__ = ["PG_TIME_TEXT", "PostgresBackend"]

PG_TIME_TEXT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'
"""to_char's format for the canonical timestamp text (``format_timestamp``)."""
_BUCKET_FORMAT = {"minute": 'YYYY-MM-DD"T"HH24:MI:SS"Z"', "hour": 'YYYY-MM-DD"T"HH24:MI:SS"Z"'}
_CASTS: dict[FieldType, sa.types.TypeEngine[Any]] = {
    FieldType.INT: sa.BigInteger(),
    FieldType.FLOAT: sa.Float(precision=53),
    FieldType.BOOL: sa.Boolean(),
    FieldType.TIMESTAMP: sa.DateTime(timezone=True),
}


class PostgresBackend:
    capabilities: ClassVar[Capabilities] = Capabilities(
        name="postgresql",
        sqlglot_dialect="postgres",
        json_any_depth=True,
        percentile=True,
        null_order="largest",
        bulk_copy=True,
        alter_column_type=True,
        read_only_transactions=True,
        snapshot_reads=False,
        native_json=True,
    )

    def __init__(self, schema: str | None = None) -> None:
        self.schema = schema
        self._dialect = postgresql.dialect()  # type: ignore[no-untyped-call]

    @property
    def dialect(self) -> Dialect:
        return self._dialect

    def quote(self, identifier: str) -> str:
        return str(self._dialect.identifier_preparer.quote(identifier))

    # -- connections ----------------------------------------------------------------------
    def install(self, engine: Engine) -> None:
        schema = self.schema
        if not schema:
            return
        quoted = self.quote(schema)

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cur:
                cur.execute(f"SET search_path TO {quoted}")
            dbapi_connection.commit()

    def file_path(self, engine: Engine) -> str | None:
        return None

    def snapshot(self, conn: Connection) -> None:
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")

    def lock_table(self, conn: Connection, table: str) -> None:
        conn.exec_driver_sql(f"LOCK TABLE {self.quote(table)} IN SHARE ROW EXCLUSIVE MODE")

    def driver_text(self, sql: str) -> str:
        """psycopg reads ``%`` as a placeholder."""
        return sql.replace("%", "%%")

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
        if read_only:
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            # user SQL sees thermodb's schema only: built-ins first, no temp tables
            schema = self.quote(self.schema or "public")
            conn.exec_driver_sql(f"SET LOCAL search_path TO pg_catalog, {schema}, pg_temp")
        if timeout is not None:
            ms = max(1, int(timeout * 1000))
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {ms}")
        yield

    # -- expressions ----------------------------------------------------------------------
    def json_leaf(
        self, column: ColumnElement[Any], path: Sequence[str], ftype: FieldType
    ) -> ColumnElement[Any]:
        keys = [const(segment) for segment in path]
        if ftype is FieldType.JSON:
            return sa.type_coerce(sa.func.jsonb_extract_path(column, *keys), JsonText())
        text = sa.func.jsonb_extract_path_text(column, *keys)
        if ftype in _CASTS:
            return sa.cast(text, _CASTS[ftype])
        return sa.type_coerce(text, sa.Text())

    def sql_json_leaf(self, source: exp.Expr, path: Sequence[str], ftype: FieldType) -> exp.Expr:
        """A JSON leaf in user SQL (sqlglot), cast like the field."""
        args = [source, *(exp.Literal.string(p) for p in path)]
        text = exp.Anonymous(this="jsonb_extract_path_text", expressions=args)
        casts = {
            FieldType.INT: "BIGINT",
            FieldType.FLOAT: "DOUBLE PRECISION",
            FieldType.BOOL: "BOOLEAN",
            FieldType.TIMESTAMP: "TIMESTAMPTZ",
        }
        if ftype in casts:
            return exp.Cast(this=text, to=exp.DataType.build(casts[ftype], dialect="postgres"))
        return text

    def output_name(self, projection: exp.Expr) -> str:
        """The name PostgreSQL gives an unaliased result column (its FigureColname rules)."""
        node = projection
        while isinstance(node, exp.Cast | exp.Paren):
            node = node.this
        if isinstance(node, exp.Column):
            return str(node.name)
        if isinstance(node, exp.Anonymous):
            return str(node.name).lower()
        if isinstance(node, exp.Func):
            return str(node.sql_name()).lower()
        return "?column?"

    def as_text(self, expr: ColumnElement[Any], ftype: FieldType | None) -> ColumnElement[Any]:
        if ftype is FieldType.TEXT:
            return expr
        if ftype is FieldType.TIMESTAMP:
            return sa.func.to_char(
                sa.func.timezone(const("UTC"), expr), sa.literal_column(f"'{PG_TIME_TEXT}'")
            )
        return sa.cast(expr, sa.Text())

    def json_equals(self, expr: ColumnElement[Any], wanted: Sequence[str]) -> ColumnElement[bool]:
        """jsonb prints with spaces after separators: compare as jsonb, not as text."""
        params = [sa.cast(sa.literal(w), postgresql.JSONB) for w in wanted]
        return sa.or_(*(expr == p for p in params))

    def percentile(self, expr: ColumnElement[Any], q: float) -> ColumnElement[Any]:
        fraction = sa.cast(sa.literal(q), sa.Float(precision=53))
        return sa.func.percentile_cont(fraction).within_group(expr)

    def bucket(self, expr: ColumnElement[Any], bucket: str) -> ColumnElement[str]:
        utc = sa.func.timezone(const("UTC"), expr)
        truncated = sa.func.date_trunc(const(bucket), utc)
        fmt = _BUCKET_FORMAT.get(bucket, "YYYY-MM-DD")
        return sa.type_coerce(sa.func.to_char(truncated, const(fmt)), sa.Text())

    def widen_sql(self, column: str, old: FieldType, new: FieldType) -> str:
        if new is FieldType.FLOAT:
            return f"{column}::double precision"
        if new is FieldType.TEXT:
            if old is FieldType.TIMESTAMP:
                return f"to_char({column} AT TIME ZONE 'UTC', '{PG_TIME_TEXT}')"
            return f"{column}::text"
        return f"to_jsonb({column})"

    # -- writes ---------------------------------------------------------------------------
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
        q = self.quote
        coltype = sql_type(new).compile(dialect=conn.dialect)
        using = self.widen_sql(q(column), old, new)
        conn.exec_driver_sql(
            f"ALTER TABLE {q(table)} ALTER COLUMN {q(column)} TYPE {coltype} USING {using}"
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
            self._copy_rows(conn, table, columns, rows, upsert_on)
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
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        upsert_on: str | None,
    ) -> None:
        q = self.quote
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
