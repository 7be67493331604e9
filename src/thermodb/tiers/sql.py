"""Read-only SQL over collections with cold segments: the checked statement, in DuckDB.

``cold_sql(tiers, planner)`` is the hook ``query.sql.run_sql`` calls (so query never
imports tiers).

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
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from thermodb.errors import QueryError
from thermodb.query.result import Result
from thermodb.query.sql import CheckedSQL, convert_sql_rows
from thermodb.storage.backends.base import QueryBackend
from thermodb.tiers.manager import CONSISTENT_TRIES, Tiers
from thermodb.tiers.segments import segments_table

if TYPE_CHECKING:
    from thermodb.query.planner import Planner
    from thermodb.query.sql import ColdSQL

__all__ = ["cold_sql", "has_cold", "run_sql_across_tiers"]

_ANY_ACTIVE = (
    sa.select(segments_table.c.id)
    .where(
        segments_table.c.collection.in_(sa.bindparam("names", expanding=True)),
        segments_table.c.state == "active",
    )
    .limit(1)
)
"""Built once so SQLAlchemy's compiled cache serves it: warm-only SQL pays ~0.1 ms."""


def cold_sql(tiers: Tiers, planner: Planner) -> ColdSQL:
    """The hook that answers SQL over collections with cold segments (None: warm only)."""

    def answer(
        checked: CheckedSQL, for_duckdb: Callable[[], CheckedSQL], cap: int, seconds: float
    ) -> Result | None:
        if not has_cold(tiers, checked.collections):
            return None
        return run_sql_across_tiers(tiers, planner, for_duckdb(), cap, seconds, warm=checked)

    return answer


def has_cold(tiers: Tiers, names: Iterable[str]) -> bool:
    """Whether any of these collections has an active cold segment (one indexed lookup)."""
    wanted = sorted(names)
    if not wanted:
        return False
    with tiers.store.read() as conn:
        return conn.execute(_ANY_ACTIVE, {"names": wanted}).first() is not None


def run_sql_across_tiers(
    tiers: Tiers,
    planner: Planner,
    checked: CheckedSQL,
    cap: int,
    seconds: float,
    *,
    warm: CheckedSQL | None = None,
) -> Result:
    """Run a checked DuckDB statement over warm + cold rows; ``cap`` rows, ``seconds`` s.

    ``warm`` is the same statement as the operational store would run it: DuckDB's
    statement takes its column names (``count(*)`` is ``COUNT(*)`` on SQLite, ``count`` on
    PostgreSQL, never DuckDB's ``count_star()``) and, where the store returns groups in key
    order unasked, that order too — so an answer does not change when data moves.

    Like cross-tier queries, it runs again (up to CONSISTENT_TRIES times) when a write or
    a move lands while the tiers are read, so a row moving between tiers is never counted
    twice or missed.
    """
    if warm is not None:
        checked = CheckedSQL(
            as_the_store_answers(warm.sql, checked.sql, planner.store.backend),
            checked.collections,
            checked.ctes,
        )
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


def as_the_store_answers(warm_sql: str, duck_sql: str, backend: QueryBackend) -> str:
    """DuckDB's statement with the operational store's column names and group order."""
    read = backend.capabilities.sqlglot_dialect
    try:
        warm_tree = sqlglot.parse_one(warm_sql, read=read)
        duck_tree = sqlglot.parse_one(duck_sql, read="duckdb")
    except SqlglotError:  # pragma: no cover - both were printed by sqlglot just now
        return duck_sql
    warm_select, duck_select = _first_select(warm_tree), _first_select(duck_tree)
    if warm_select is None or duck_select is None:
        return duck_sql
    projections = duck_select.expressions
    if len(projections) == len(warm_select.expressions):
        for i, (mine, theirs) in enumerate(zip(projections, warm_select.expressions, strict=True)):
            if isinstance(mine, exp.Alias | exp.Star) or isinstance(theirs, exp.Star):
                continue
            if isinstance(mine, exp.Column) and isinstance(mine.this, exp.Star):
                continue
            name = theirs.alias if isinstance(theirs, exp.Alias) else backend.output_name(theirs)
            projections[i] = exp.alias_(mine, name, quoted=True)
            projections[i].parent = duck_select
    group = duck_select.args.get("group")
    if (
        backend.capabilities.groups_sorted
        and duck_select is duck_tree
        and group is not None
        and duck_select.args.get("order") is None
    ):
        keys = [exp.Ordered(this=g.copy(), nulls_first=True) for g in group.expressions]
        duck_select.set("order", exp.Order(expressions=keys))
    return str(duck_tree.sql(dialect="duckdb"))


def _first_select(tree: exp.Expr) -> exp.Select | None:
    """The SELECT whose projections name a statement's columns (the left of a union)."""
    node: exp.Expr | None = tree
    while isinstance(node, exp.SetOperation | exp.Subquery):
        node = node.left if isinstance(node, exp.SetOperation) else node.this
    return node if isinstance(node, exp.Select) else None


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
