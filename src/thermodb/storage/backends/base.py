"""The backend protocol: what the compiler, planner and stores ask an engine.

Each engine (SQLite, PostgreSQL, DuckDB) is one package under ``storage/backends`` that
implements this protocol and declares its :class:`Capabilities`. Callers ask the backend —
how to quote, read a JSON leaf, take a percentile, order nulls, widen a column — and never
compare an engine's name. SQL is rendered by SQLAlchemy's dialects and sqlglot's; a
backend only says which functions its engine spells differently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.elements import ColumnElement
from sqlglot import exp

from thermodb.catalog.types import FieldType

if TYPE_CHECKING:
    from thermodb.storage.operational import OperationalStore

__all__ = ["Authorizer", "Capabilities", "NullOrder", "OperationalBackend", "QueryBackend"]

NullOrder = Literal["smallest", "largest", "last"]
"""Where the engine puts nulls by itself: before other values ascending (smallest), after
them ascending (largest), or after them in both directions (last)."""

Authorizer = Callable[[int, str | None, str | None, str | None, str | None], int]


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do; every caller decides from these, never from a name."""

    name: str
    """For people (explain, repr), never for decisions."""
    sqlglot_dialect: str
    """sqlglot's name for the engine (parsing and printing user SQL)."""
    json_any_depth: bool
    """JSON leaves at any depth of nesting are addressable."""
    percentile: bool
    """A native continuous percentile aggregate (else the executor registers one)."""
    null_order: NullOrder
    bulk_copy: bool
    """Bulk loads stream rows with COPY rather than executemany."""
    alter_column_type: bool
    """ALTER COLUMN ... TYPE widens a column in place (else the column is rebuilt)."""
    read_only_transactions: bool
    """The engine enforces a read-only transaction (a backstop for user SQL)."""
    snapshot_reads: bool
    """A read transaction is one snapshot without asking (SQLite WAL); else ask for it."""
    timestamps_as_text: bool = False
    """Timestamps are stored as their canonical text (``format_timestamp``)."""
    native_json: bool = False
    """JSON columns use the engine's binary JSON type (jsonb) rather than text."""
    groups_sorted: bool = False
    """GROUP BY without ORDER BY returns groups in key order (nulls first)."""

    def nulls_come_last(self, desc: bool) -> bool:
        """Whether the engine puts nulls last, unasked, in this direction."""
        if self.null_order == "last":
            return True
        return (self.null_order == "smallest") == desc


class QueryBackend(Protocol):
    """What compiling a QuerySpec for an engine needs."""

    capabilities: ClassVar[Capabilities]

    @property
    def dialect(self) -> Dialect:
        """The SQLAlchemy dialect that renders statements for this engine."""

    def quote(self, identifier: str) -> str: ...

    def json_leaf(
        self, column: ColumnElement[Any], path: Sequence[str], ftype: FieldType
    ) -> ColumnElement[Any]:
        """A leaf inside a JSON column, typed like the catalog says (any depth)."""

    def sql_json_leaf(self, source: exp.Expr, path: Sequence[str], ftype: FieldType) -> exp.Expr:
        """The same leaf in user SQL, as a sqlglot expression (dotted paths rewritten)."""

    def output_name(self, projection: exp.Expr) -> str:
        """The column name the engine gives an unaliased projection of user SQL."""

    def as_text(self, expr: ColumnElement[Any], ftype: FieldType | None) -> ColumnElement[Any]:
        """A value as the text ``contains`` and ``starts_with`` match against."""

    def json_equals(self, expr: ColumnElement[Any], wanted: Sequence[str]) -> ColumnElement[bool]:
        """A JSON value equal to one of these canonical JSON texts."""

    def percentile(self, expr: ColumnElement[Any], q: float) -> ColumnElement[Any]: ...

    def bucket(self, expr: ColumnElement[Any], bucket: str) -> ColumnElement[str]:
        """A timestamp's calendar bucket as text (``docs/query.md``, buckets)."""

    def widen_sql(self, column: str, old: FieldType, new: FieldType) -> str:
        """SQL converting a (quoted) column of type ``old`` to ``new``: the one widening."""


class OperationalBackend(QueryBackend, Protocol):
    """An engine that holds the operational store's tables."""

    def install(self, engine: Any) -> None:
        """Connection set-up (pragmas, search path, transaction begin)."""

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

    def snapshot(self, conn: Connection) -> None:
        """Make this read transaction one snapshot."""

    def lock_table(self, conn: Connection, table: str) -> None:
        """Keep writers out of ``table`` until the transaction ends."""

    def driver_text(self, sql: str) -> str:
        """SQL text as the driver wants it (escaping its placeholder character)."""

    def guarded(
        self,
        conn: Connection,
        *,
        read_only: bool,
        timeout: float | None,
        needs_percentile: bool,
        authorizer: Authorizer | None,
        max_value_bytes: int | None = None,
    ) -> AbstractContextManager[None]:
        """Run the statements inside under these guards (read-only, timeout, an authorizer
        and a bound on the size of any value a statement builds, where the engine has one).
        Read-only user SQL also sees thermodb's own tables only (the engine's way)."""

    def file_path(self, engine: Any) -> str | None:
        """The database file, for engines that read it in place (None: not a file)."""
