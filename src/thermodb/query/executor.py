"""Executors: the one seam between the planner and the stores that hold rows.

The planner cuts a query into :class:`Part` s, each addressed to a store by name
(``operational`` today; the cold tier and the result cache are meant to plug in as more
executors), and merges the :class:`Partial` results they return. An executor knows how
to run a statement on its store safely (a row cap, a timeout, read-only when the
statement came from a user) and nothing about QuerySpec.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError

from thermodb.errors import QueryError, StorageError
from thermodb.storage.operational import OperationalStore

__all__ = ["Executor", "OperationalExecutor", "Part", "Partial", "SQLiteGuard"]


@dataclass
class Part:
    """One statement for one store."""

    store: str
    statement: sa.Executable | str
    """A SQLAlchemy statement, or SQL text for the driver as it is (checked user SQL)."""
    max_rows: int | None = None
    """Fetch at most this many rows (the partial says whether there were more)."""
    timeout: float | None = None
    """Seconds before the store cancels the statement."""
    read_only: bool = False
    """The statement came from a user: run it so that it cannot write, whatever it is."""
    needs_percentile: bool = False
    guard: SQLiteGuard | None = None
    """For user SQL on SQLite: the tables it may read (enforced by an authorizer)."""


@dataclass
class Partial:
    """What one store returned for one part, and what it ran."""

    store: str
    columns: list[str]
    rows: list[Sequence[Any]]
    truncated: bool
    sql: str
    params: Any
    seconds: float

    def explain(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "sql": self.sql,
            "params": self.params,
            "rows": len(self.rows),
            "truncated": self.truncated,
            "ms": round(self.seconds * 1000, 3),
        }


@runtime_checkable
class Executor(Protocol):
    """Runs parts addressed to one store."""

    name: str

    def run(self, part: Part) -> Partial: ...


@dataclass
class SQLiteGuard:
    """What user SQL may touch on SQLite, enforced by SQLite's authorizer as a backstop."""

    tables: frozenset[str]
    denied_functions: frozenset[str] = field(default_factory=frozenset)
    max_value_bytes: int = 64 * 1024 * 1024
    """The longest text or blob the statement may build (SQLite's length limit)."""

    def authorize(
        self, action: int, arg1: str | None, arg2: str | None, _db: str | None, _trig: str | None
    ) -> int:
        if action == sqlite3.SQLITE_SELECT:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ:
            return sqlite3.SQLITE_OK if (arg1 or "") in self.tables else sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION:
            name = (arg2 or "").lower()
            return sqlite3.SQLITE_DENY if name in self.denied_functions else sqlite3.SQLITE_OK
        if action == getattr(sqlite3, "SQLITE_RECURSIVE", 33):
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY


class OperationalExecutor:
    """Runs parts on the operational store (SQLite or PostgreSQL)."""

    name = "operational"

    def __init__(self, store: OperationalStore) -> None:
        self.store = store

    def run(self, part: Part) -> Partial:
        started = time.perf_counter()
        with self.store.read() as conn, self._guarded(conn, part):
            try:
                options = {"stream_results": True} if part.max_rows is not None else {}
                if isinstance(part.statement, str):
                    result = conn.exec_driver_sql(
                        self._driver_text(part.statement), execution_options=options
                    )
                else:
                    result = conn.execute(part.statement, execution_options=options)
                columns = list(result.keys())
                if part.max_rows is None:
                    rows: list[Sequence[Any]] = list(result.fetchall())
                    truncated = False
                else:
                    rows = list(result.fetchmany(part.max_rows + 1))
                    truncated = len(rows) > part.max_rows
                    rows = rows[: part.max_rows]
                sql, params = _what_ran(result, part)
                result.close()
            except DBAPIError as exc:
                raise _translate(exc, part) from exc
        return Partial(
            self.name,
            columns,
            rows,
            truncated,
            sql,
            params,
            time.perf_counter() - started,
        )

    def stream(self, part: Part, batch: int = 1000) -> Iterator[Sequence[Any]]:
        """The part's rows one by one from a streaming cursor (a listing of any size)."""
        with self.store.read() as conn, self._guarded(conn, part):
            try:
                if isinstance(part.statement, str):
                    result = conn.exec_driver_sql(
                        self._driver_text(part.statement),
                        execution_options={"stream_results": True},
                    )
                else:
                    result = conn.execute(
                        part.statement, execution_options={"stream_results": True}
                    )
                while rows := result.fetchmany(batch):
                    yield from rows
                result.close()
            except DBAPIError as exc:
                raise _translate(exc, part) from exc

    def _driver_text(self, sql: str) -> str:
        """SQL text as the driver wants it (psycopg reads ``%`` as a placeholder)."""
        return self.store.backend.driver_text(sql)

    def render(self, statement: sa.Executable | str) -> tuple[str, Any]:
        """The SQL text this store runs for ``statement`` and its bound parameters."""
        if isinstance(statement, str):
            return statement, {}
        if not isinstance(statement, sa.ClauseElement):
            return str(statement), {}
        compiled = statement.compile(
            dialect=self.store.engine.dialect, compile_kwargs={"render_postcompile": True}
        )
        params = {k: _shown(v) for k, v in compiled.params.items()}
        return str(compiled), params

    def _guarded(self, conn: Connection, part: Part) -> AbstractContextManager[None]:
        return self.store.backend.guarded(
            conn,
            read_only=part.read_only,
            timeout=part.timeout,
            needs_percentile=part.needs_percentile,
            authorizer=part.guard.authorize if part.guard is not None else None,
            max_value_bytes=part.guard.max_value_bytes if part.guard is not None else None,
        )


def _what_ran(result: Any, part: Part) -> tuple[str, Any]:
    """The SQL the driver ran and its parameters, from the execution (no second compile)."""
    if isinstance(part.statement, str):
        return part.statement, {}
    context = result.context
    compiled = getattr(context, "compiled_parameters", None) or [{}]
    params = {k: _shown(v) for k, v in compiled[0].items()}
    return str(context.statement), params


def _translate(exc: DBAPIError, part: Part) -> Exception:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    lowered = text.lower()
    if (
        "interrupted" in lowered
        or "statement timeout" in lowered
        or "canceling statement" in lowered
    ):
        return QueryError(
            f"the query ran longer than {part.timeout:g} s and was stopped",
            hint="narrow it with filters or a time range, or aggregate instead of listing",
        )
    refused = ("not authorized", "prohibited", "read-only", "query_only", "readonly")
    if any(word in lowered for word in refused):
        from thermodb.errors import UnsafeSQLError

        return UnsafeSQLError(
            f"the store refused the statement: {text}",
            hint="only SELECT over collections is allowed",
        )
    if isinstance(exc, OperationalError) and not part.read_only:
        return StorageError(
            f"the operational store failed: {text}",
            hint="check that the database is reachable and not locked by another writer",
        )
    return QueryError(f"the store could not run the query: {text}")


def _shown(value: Any) -> Any:
    """A bound parameter as explain shows it (JSON-friendly)."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_shown(v) for v in value]
    return str(value)
