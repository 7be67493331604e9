"""DuckDB: the engine of queries that read cold segments, compiled for natively.

Statements are rendered by SQLAlchemy's PostgreSQL compiler (DuckDB's SQL follows
PostgreSQL's grammar: ``WITHIN GROUP``, ``NULLS LAST``, ``::`` casts, ``$n`` parameters;
duckdb-engine's dialect is the same compiler) with DuckDB's own functions for what the
grammar leaves to each engine: ``json_extract_string`` at any depth, ``strftime``,
``quantile_cont``. No emulation of another engine's functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement
from sqlglot import exp

from thermodb.catalog.types import FieldType
from thermodb.storage.backends.base import Capabilities
from thermodb.storage.backends.sqlite.backend import json_path
from thermodb.storage.columns import JsonText, const

__all__ = ["DUCK_TYPES", "TIME_TEXT", "DuckDBBackend"]

DUCK_TYPES = {
    FieldType.BOOL: "BOOLEAN",
    FieldType.INT: "BIGINT",
    FieldType.FLOAT: "DOUBLE",
    FieldType.TEXT: "VARCHAR",
    FieldType.TIMESTAMP: "TIMESTAMPTZ",
    FieldType.JSON: "JSON",
}
TIME_TEXT = "%Y-%m-%dT%H:%M:%S.%fZ"
"""strftime's format for the canonical timestamp text (``format_timestamp``)."""
_BUCKET_FORMAT = {"minute": "%Y-%m-%dT%H:%M:%SZ", "hour": "%Y-%m-%dT%H:%M:%SZ"}
_CASTS: dict[FieldType, sa.types.TypeEngine[Any]] = {
    FieldType.INT: sa.BigInteger(),
    FieldType.FLOAT: sa.Float(precision=53),
    FieldType.BOOL: sa.Boolean(),
    FieldType.TIMESTAMP: sa.DateTime(timezone=True),
}

_SQL_CASTS = {
    FieldType.INT: "BIGINT",
    FieldType.FLOAT: "DOUBLE",
    FieldType.BOOL: "BOOLEAN",
    FieldType.TIMESTAMP: "TIMESTAMPTZ",
}


class DuckDBBackend:
    capabilities: ClassVar[Capabilities] = Capabilities(
        name="duckdb",
        sqlglot_dialect="duckdb",
        json_any_depth=True,
        percentile=True,
        null_order="last",
        bulk_copy=True,
        alter_column_type=True,
        read_only_transactions=False,
        snapshot_reads=True,
    )

    def __init__(self) -> None:
        self._dialect = postgresql.dialect(paramstyle="numeric_dollar")  # type: ignore[no-untyped-call]

    @property
    def dialect(self) -> Dialect:
        return self._dialect

    def quote(self, identifier: str) -> str:
        return str(self._dialect.identifier_preparer.quote(identifier))

    def render(self, statement: Any) -> tuple[str, list[Any]]:
        """SQL text and positional parameters of a SQLAlchemy statement, for DuckDB."""
        compiled = statement.compile(
            dialect=self._dialect, compile_kwargs={"render_postcompile": True}
        )
        params = compiled.construct_params()
        return str(compiled), [params[name] for name in compiled.positiontup or []]

    # -- expressions ----------------------------------------------------------------------
    def json_leaf(
        self, column: ColumnElement[Any], path: Sequence[str], ftype: FieldType
    ) -> ColumnElement[Any]:
        where = const(json_path(path))
        if ftype is FieldType.JSON:
            return sa.type_coerce(sa.func.json_extract(column, where), JsonText())
        text = sa.func.json_extract_string(column, where)
        if ftype in _CASTS:
            return sa.cast(text, _CASTS[ftype])
        return sa.type_coerce(text, sa.Text())

    def sql_json_leaf(self, source: exp.Expr, path: Sequence[str], ftype: FieldType) -> exp.Expr:
        """A JSON leaf in user SQL (sqlglot), typed like the field (as SQLite returns it)."""
        where = "$" + "".join('."' + p.replace('"', '""') + '"' for p in path)
        json_path_literal = exp.Literal.string(where)
        if ftype is FieldType.JSON:
            return exp.Anonymous(this="json_extract", expressions=[source, json_path_literal])
        text = exp.Anonymous(this="json_extract_string", expressions=[source, json_path_literal])
        if ftype in _SQL_CASTS:
            to = exp.DataType.build(_SQL_CASTS[ftype], dialect="duckdb")
            return exp.TryCast(this=text, to=to)
        return text

    def output_name(self, projection: exp.Expr) -> str:
        """DuckDB names ``count(*)`` ``count_star()``: statements for it alias every
        projection with the name the operational store would give (see tiers.sql)."""
        if isinstance(projection, exp.Column):
            return str(projection.name)
        return str(projection.sql(dialect="duckdb"))

    def as_text(self, expr: ColumnElement[Any], ftype: FieldType | None) -> ColumnElement[Any]:
        if ftype is FieldType.TEXT:
            return expr
        if ftype is FieldType.TIMESTAMP:
            return sa.func.strftime(expr, const(TIME_TEXT))
        return sa.cast(expr, sa.Text())

    def json_equals(self, expr: ColumnElement[Any], wanted: Sequence[str]) -> ColumnElement[bool]:
        """DuckDB keeps JSON as minified text, the canonical form ingest writes."""
        return sa.cast(expr, sa.Text()).in_(list(wanted))

    def percentile(self, expr: ColumnElement[Any], q: float) -> ColumnElement[Any]:
        return sa.func.quantile_cont(expr, const(q), type_=sa.Float(precision=53))

    def bucket(self, expr: ColumnElement[Any], bucket: str) -> ColumnElement[str]:
        """Truncated in UTC (the session's time zone), as text."""
        truncated = sa.func.date_trunc(const(bucket), expr)
        fmt = _BUCKET_FORMAT.get(bucket, "%Y-%m-%d")
        return sa.type_coerce(sa.func.strftime(truncated, const(fmt)), sa.Text())

    def widen_sql(self, column: str, old: FieldType, new: FieldType) -> str:
        """An older segment's column as today's type (the widening the warm store did)."""
        if old is FieldType.BOOL and new in (FieldType.TEXT, FieldType.JSON):
            return f"CASE WHEN {column} THEN 'true' WHEN NOT {column} THEN 'false' END"
        if old is FieldType.TIMESTAMP and new is FieldType.TEXT:
            return f"strftime({column}, '{TIME_TEXT}')"
        return f"CAST({column} AS {DUCK_TYPES[new]})"
