"""Partial aggregates pushed down to each tier, and their merge.

For an aggregate made only of count, sum, min, max and avg (no links, having or offset),
each tier computes partials over its own rows in parallel: the operational store through
the planner as it is, the cold segments in DuckDB. ``avg`` travels as a sum and a count.
The merge adds counts and sums, keeps the least and greatest, divides for averages, then
orders and limits the merged groups. Nothing but the partial rows crosses between tiers.
Anything else goes through :func:`thermodb.tiers.executor.run_across_tiers` (union).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from thermodb.query.result import Result
from thermodb.query.spec import Aggregate, OrderKey, QuerySpec

__all__ = ["can_push_down", "merge_sorted_rows", "run_partials"]

DECOMPOSABLE = frozenset({"count", "sum", "min", "max", "avg"})


def can_push_down(spec: QuerySpec) -> bool:
    return (
        spec.is_aggregate
        and not spec.links
        and spec.having is None
        and not spec.offset
        and all(a.fn in DECOMPOSABLE for a in spec.aggregates)
    )


def partial_spec(spec: QuerySpec) -> QuerySpec:
    """The query each tier runs: same groups and filters, decomposed aggregates, no order."""
    aggs: list[Aggregate] = []
    for i, agg in enumerate(spec.aggregates):
        if agg.fn == "avg":
            aggs.append(Aggregate(fn="sum", field=agg.field, alias=f"__p{i}s"))
            aggs.append(Aggregate(fn="count", field=agg.field, alias=f"__p{i}n"))
        else:
            aggs.append(Aggregate(fn=agg.fn, field=agg.field, alias=f"__p{i}"))
    return spec.model_copy(update={"aggregates": aggs, "order": [], "limit": None})


def run_partials(
    spec: QuerySpec,
    warm: Callable[[QuerySpec], Result],
    cold: Callable[[QuerySpec], Result],
) -> Result:
    """Run the partial query on both tiers in parallel and merge the answers."""
    started = time.perf_counter()
    partial = partial_spec(spec)
    with ThreadPoolExecutor(max_workers=2) as pool:
        warm_job = pool.submit(_timed, warm, partial)
        cold_result, cold_ms = _timed(cold, partial)
        warm_result, warm_ms = warm_job.result()
    groups = len(warm_result.columns) - sum(2 if a.fn == "avg" else 1 for a in spec.aggregates)
    merged: dict[tuple[Any, ...], list[Any]] = {}
    for row in [*warm_result.rows, *cold_result.rows]:
        key = tuple(row[:groups])
        if key in merged:
            merged[key] = _combine(spec.aggregates, merged[key], row[groups:])
        else:
            merged[key] = list(row[groups:])
    names = [*warm_result.columns[:groups], *(a.name for a in spec.aggregates)]
    rows = [[*key, *_finish(spec.aggregates, values)] for key, values in merged.items()]
    if not spec.group_by and len(rows) > 1:  # pragma: no cover - one row per tier at most
        raise AssertionError("an ungrouped aggregate merged into several rows")
    # grouped rows without an order come in group-key order, as the compiler orders them
    order = spec.order or [OrderKey(field=n) for n in names[:groups]]
    rows = merge_sorted_rows([rows], names, order)
    if spec.limit is not None:
        rows = rows[: spec.limit]
    explain = {
        "tiers": ["warm", "cold"],
        "merge": "partial aggregates (counts and sums added, avg = sum / count)",
        "warm": warm_result.explain,
        "cold": cold_result.explain,
        "timings": {
            "warm_ms": round(warm_ms, 3),
            "cold_ms": round(cold_ms, 3),
            "total_ms": round((time.perf_counter() - started) * 1000, 3),
        },
    }
    return Result(names, rows, explain, False)


def _timed(fn: Callable[[QuerySpec], Result], spec: QuerySpec) -> tuple[Result, float]:
    started = time.perf_counter()
    result = fn(spec)
    return result, (time.perf_counter() - started) * 1000


def _combine(aggs: Sequence[Aggregate], left: list[Any], right: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    i = 0
    for agg in aggs:
        width = 2 if agg.fn == "avg" else 1
        for j in range(width):
            a, b = left[i + j], right[i + j]
            if agg.fn in ("count", "sum", "avg"):
                out.append(b if a is None else a if b is None else a + b)
            else:
                pick = min if agg.fn == "min" else max
                out.append(b if a is None else a if b is None else pick(a, b, key=_sortable))
        i += width
    return out


def _finish(aggs: Sequence[Aggregate], values: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    i = 0
    for agg in aggs:
        if agg.fn == "avg":
            total, n = values[i], values[i + 1]
            out.append(None if not n or total is None else float(total) / n)
            i += 2
        else:
            out.append(values[i])
            i += 1
    return out


def _column_key(i: int, row: list[Any]) -> Any:
    return _sortable(row[i])


def _sortable(value: Any) -> Any:
    """Timestamps arrive as ISO text of varying precision: compare them as moments."""
    if isinstance(value, str) and value.endswith("Z") and value[:4].isdigit():
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def merge_sorted_rows(
    runs: Sequence[Sequence[list[Any]]], names: Sequence[str], order: Sequence[OrderKey]
) -> list[list[Any]]:
    """Rows of several tiers in ``order`` (nulls last both ways, as the planner does)."""
    rows = [row for run in runs for row in run]
    for key in reversed(order):
        if key.field not in names:
            continue
        i = names.index(key.field)
        present = [r for r in rows if r[i] is not None]
        missing = [r for r in rows if r[i] is None]
        present.sort(key=functools.partial(_column_key, i), reverse=key.desc)
        rows = present + missing
    return rows
