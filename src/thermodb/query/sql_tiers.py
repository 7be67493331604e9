"""Read-only SQL over collections with cold segments: the checked statement, in DuckDB.

A record lives in exactly one tier, so a statement must see the cold rows too or its
answer would change when data moves. When a collection the statement reads has cold
segments, the statement (checked by check_sql, then printed for DuckDB) runs on a
private DuckDB connection where each collection is a view of its warm rows plus its live
cold rows (tiers.executor.open_tier_views). That connection holds Arrow tables only and
has external access switched off, so even a statement that slipped past the check could
not read a file. The row cap and the timeout mean what they mean on the operational store.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

import sqlalchemy as sa

from thermodb.errors import QueryError
from thermodb.query.result import Result
from thermodb.query.sql import CheckedSQL, convert_sql_rows
from thermodb.tiers.manager import CONSISTENT_TRIES, Tiers
from thermodb.tiers.segments import segments_table

if TYPE_CHECKING:
    from thermodb.query.planner import Planner

__all__ = ["has_cold", "run_sql_across_tiers"]

_ANY_ACTIVE = (
    sa.select(segments_table.c.id)
    .where(
        segments_table.c.collection.in_(sa.bindparam("names", expanding=True)),
        segments_table.c.state == "active",
    )
    .limit(1)
)
"""Built once so SQLAlchemy's compiled cache serves it: warm-only SQL pays ~0.1 ms."""


def has_cold(tiers: Tiers, names: Iterable[str]) -> bool:
    """Whether any of these collections has an active cold segment (one indexed lookup)."""
    wanted = sorted(names)
    if not wanted:
        return False
    with tiers.store.read() as conn:
        return conn.execute(_ANY_ACTIVE, {"names": wanted}).first() is not None


def run_sql_across_tiers(
    tiers: Tiers, planner: Planner, checked: CheckedSQL, cap: int, seconds: float
) -> Result:
    """Run a checked DuckDB statement over warm + cold rows; ``cap`` rows, ``seconds`` s.

    Like cross-tier queries, it runs again (up to CONSISTENT_TRIES times) when a write or
    a move lands while the tiers are read, so a row moving between tiers is never counted
    twice or missed.
    """
    names = sorted(checked.collections)
    note: str | None = None
    for attempt in range(1, CONSISTENT_TRIES + 1):
        before = tiers.segments.versions(names)
        result = _run_once(tiers, planner, checked, cap, seconds)
        result.explain["attempts"] = attempt
        if tiers.segments.versions(names) == before:
            return result
        note = "data changed during every attempt: the answer may straddle a write"
    result.explain["note"] = note
    return result


def _run_once(
    tiers: Tiers, planner: Planner, checked: CheckedSQL, cap: int, seconds: float
) -> Result:
    import duckdb

    from thermodb.tiers.executor import open_tier_views

    started = time.perf_counter()
    collections = {c.name: c for c in planner.catalog.all()}
    names = sorted(checked.collections)
    segments = {n: len(tiers.segments.segments(n)) for n in names}
    conn = open_tier_views(tiers, planner.catalog, names)
    prepared = time.perf_counter()
    timer = threading.Timer(seconds, conn.interrupt)
    timed_out = False
    try:
        timer.start()
        try:
            cursor = conn.execute(checked.sql)
            columns = [d[0] for d in cursor.description or []]
            fetched = cursor.fetchmany(cap + 1)
        except duckdb.InterruptException:
            timed_out = True
        except duckdb.Error as exc:
            message = str(exc).strip().splitlines()[0]
            raise QueryError(f"the SQL could not run over warm and cold rows: {message}") from None
    finally:
        timer.cancel()
        conn.close()
    if timed_out:
        raise QueryError(
            f"the query ran longer than {seconds:g} s and was stopped",
            hint="narrow it with filters or a time range, or aggregate instead of listing",
        )
    truncated = len(fetched) > cap
    rows = convert_sql_rows(columns, fetched[:cap], collections, checked)
    finished = time.perf_counter()
    explain = {
        "plan": {"kind": "sql", "collections": names},
        "tiers": ["warm", "cold"],
        "segments_read": segments,
        "stores": [{"store": "duckdb", "sql": checked.sql}],
        "rows": len(rows),
        "row_cap": cap,
        "timeout_s": seconds,
        "timings": {
            "prepare_ms": round((prepared - started) * 1000, 3),
            "execute_ms": round((finished - prepared) * 1000, 3),
        },
    }
    return Result(columns, rows, explain, truncated)
