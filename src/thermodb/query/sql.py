"""Read-only SQL: one SELECT over the collections, checked with sqlglot before it runs.

The check lives in :mod:`thermodb.query.sql_check` (one checker for every caller; the
gateway passes the caller's grants in). What runs is never the caller's text but the
statement the checker parsed, resolved and printed again, so the check and the execution
cannot disagree.

Backstops run underneath in case the check misses something: on PostgreSQL a READ ONLY
transaction with a statement timeout; on SQLite ``PRAGMA query_only``, an authorizer that
allows reading only the referenced collections, a cap on the length of any value, and a
progress handler for the timeout. The time spent checking counts against the timeout. A
row cap bounds every answer; the caller can lower it, never raise it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from thermodb.catalog.model import Collection
from thermodb.catalog.types import FieldType, iso
from thermodb.errors import QueryError
from thermodb.query.executor import Part, SQLiteGuard
from thermodb.query.planner import OPERATIONAL, Planner
from thermodb.query.result import Result, converter_for
from thermodb.query.sql_check import CheckedSQL, SQLGrants, check_sql

ColdSQL = Callable[["CheckedSQL", Callable[[], "CheckedSQL"], int, float], "Result | None"]
"""The hook through which the tiers answer SQL over cold rows (query never imports tiers)."""

__all__ = [
    "DEFAULT_TIMEOUT",
    "ROW_CAP",
    "CheckedSQL",
    "ColdSQL",
    "SQLGrants",
    "check_sql",
    "convert_sql_rows",
    "run_sql",
]

logging.getLogger("sqlglot").addHandler(logging.NullHandler())

ROW_CAP = 100_000
"""The most rows a SQL answer holds (as ``max_rows`` in the settings); callers may ask for
fewer, and an answer cut short says so (``truncated``)."""
DEFAULT_TIMEOUT = 30.0
"""Seconds a SQL statement may take, checking included; callers may ask for less."""

_CANONICAL_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
_TABLE_FUNCTIONS = frozenset({"json_each", "json_tree", "generate_series"})
_DENIED_FUNCTIONS = frozenset({"load_extension", "readfile", "writefile", "edit", "zipfile"})


def run_sql(
    planner: Planner,
    text: str,
    *,
    max_rows: int | None = None,
    timeout: float | None = None,
    cold: ColdSQL | None = None,
    grants: SQLGrants | None = None,
) -> Result:
    """Check and run one read-only SELECT; at most ROW_CAP rows and DEFAULT_TIMEOUT s.

    ``cold`` is the tiers' hook (``thermodb.tiers.sql``): given the checked statement, a
    way to check it for DuckDB, the row cap and the timeout, it answers a statement over
    collections with cold segments (in DuckDB over warm and live cold rows) or returns
    None; then the operational store runs it alone.
    """
    started = time.monotonic()
    capabilities = planner.store.backend.capabilities
    dialect = capabilities.sqlglot_dialect
    collections = {c.name: c for c in planner.catalog.all()}
    checked = check_sql(text, collections, dialect, grants=grants)
    cap = ROW_CAP if max_rows is None else max(0, min(max_rows, ROW_CAP))
    budget = DEFAULT_TIMEOUT if timeout is None else max(0.001, min(timeout, DEFAULT_TIMEOUT))
    seconds = budget - (time.monotonic() - started)
    if seconds <= 0:
        raise QueryError(
            f"checking the SQL took longer than {budget:g} s",
            hint="shorten the statement",
        )
    if cold is not None:  # the tiers answer when cold segments hold some of the rows
        answered = cold(
            checked,
            lambda: check_sql(text, collections, dialect, target="duckdb", grants=grants),
            cap,
            seconds,
        )
        if answered is not None:
            return answered
    guard = None
    if not capabilities.read_only_transactions:  # an authorizer is the backstop instead
        readable = checked.collections | checked.ctes | _TABLE_FUNCTIONS
        guard = SQLiteGuard(readable, _DENIED_FUNCTIONS)
    part = Part(
        OPERATIONAL,
        checked.sql,
        max_rows=cap,
        timeout=seconds,
        read_only=True,
        guard=guard,
    )
    partial = planner.executors[OPERATIONAL].run(part)
    rows = convert_sql_rows(partial.columns, partial.rows, collections, checked)
    explain = {
        "plan": {"kind": "sql", "collections": sorted(checked.collections)},
        "stores": [partial.explain()],
        "rows": len(rows),
        "row_cap": cap,
        "timeout_s": budget,
        "timings": {"execute_ms": round(partial.seconds * 1000, 3)},
    }
    return Result(partial.columns, rows, explain, partial.truncated)


def convert_sql_rows(
    columns: list[str],
    rows: Sequence[Sequence[Any]],
    collections: dict[str, Collection],
    checked: CheckedSQL,
) -> list[list[Any]]:
    """Rows from a store as JSON values, typed by the fields their columns are named like."""
    types = _column_types(columns, [collections[n] for n in sorted(checked.collections)])
    return [[_value(v, t) for v, t in zip(row, types, strict=True)] for row in rows]


def _column_types(columns: list[str], used: list[Collection]) -> list[FieldType | None]:
    """The field type of each output column named like a field of exactly one collection.

    It lets JSON text and SQLite's 0/1 booleans read back as JSON values and booleans
    for plain field columns; computed columns keep whatever type the store gave them.
    """
    out: list[FieldType | None] = []
    for name in columns:
        types = {c.fields[name].type for c in used if name in c.fields}
        out.append(types.pop() if len(types) == 1 else None)
    return out


def _value(value: Any, ftype: FieldType | None) -> Any:
    """A value from the driver as JSON (canonical SQLite time text becomes ISO with Z)."""
    if isinstance(value, str) and _CANONICAL_TIME.match(value):
        return iso(datetime.fromisoformat(value))
    if ftype in (FieldType.JSON, FieldType.BOOL):
        return converter_for(ftype)(value)
    return converter_for(None)(value)
