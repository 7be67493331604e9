"""One plain sentence about an answer: the number and its trend, the largest group, an outlier."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from thermodb.query.result import Result
from thermodb.query.spec import QuerySpec, TimeRange

__all__ = ["insight"]


def _fmt(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.4g}"
    return str(v)


def insight(
    spec: QuerySpec,
    result: Result,
    period: str | None = None,
    run: Callable[[QuerySpec], Result] | None = None,
) -> str:
    """A sentence for people; ``run`` lets it compare a count with the period before."""
    noun = spec.collection
    when = f" {period}" if period else ""
    if not result.rows:
        return f"No {noun} match{when}."
    if not spec.is_aggregate:
        return f"{len(result.rows):,} {noun} listed{when}."
    if not spec.group_by and len(result.rows) == 1:
        value = result.rows[0][-1]
        agg = spec.aggregates[0] if spec.aggregates else None
        what = (
            noun if agg is None or agg.fn == "count" else f"{agg.name.replace('_', ' ')} of {noun}"
        )
        text = f"{_fmt(value)} {what}{when}"
        prev = _previous(spec, run)
        if prev is not None and isinstance(value, int | float) and prev not in (0, None):
            change = (value - prev) / prev * 100
            direction = "more" if change >= 0 else "fewer" if agg and agg.fn == "count" else "less"
            if agg and agg.fn != "count":
                direction = "higher" if change >= 0 else "lower"
            text += f", {abs(change):.0f}% {direction} than the period before ({_fmt(prev)})"
        return text + "."
    values = [r[-1] for r in result.rows if isinstance(r[-1], int | float)]
    groups = f"{len(result.rows):,} {'group' if len(result.rows) == 1 else 'groups'}"
    if not values:
        return f"{groups}{when}."
    top = max(result.rows, key=lambda r: r[-1] if isinstance(r[-1], int | float) else float("-inf"))
    label = ", ".join(str(x) for x in top[:-1])
    total = sum(values)
    if spec.limit is not None and len(result.rows) == 1:
        return f"{label} with {_fmt(top[-1])}{when}."
    text = f"{groups}{when}; the largest is {label} with {_fmt(top[-1])}"
    if total and spec.aggregates and spec.aggregates[0].fn == "count":
        shown = " of the groups shown" if spec.limit is not None else ""
        text += f" ({top[-1] / total:.0%} of {_fmt(total)} {noun}{shown})"
    if len(values) >= 5:
        median = statistics.median(values)
        if median and top[-1] > 3 * median:
            text += f", an outlier against the median of {_fmt(median)}"
    return text + "."


def _previous(spec: QuerySpec, run: Callable[[QuerySpec], Result] | None) -> Any:
    t = spec.time
    if run is None or t is None or t.start is None or t.end is None or spec.group_by:
        return None
    if not spec.aggregates or spec.aggregates[0].fn not in ("count", "sum"):
        return None
    span = t.end - t.start
    before = spec.model_copy(
        update={"time": TimeRange(field=t.field, start=t.start - span, end=t.start)}
    )
    try:
        return run(before).scalar()
    except Exception:
        return None


def derived_insight(reading: str, result: Result) -> str:
    """The sentence of a derived answer: its value and what it is of."""
    if not result.rows:
        return f"Nothing matches ({reading})."
    row = result.rows[0]
    kind = result.explain.get("derived")
    if kind == "share" and len(row) == 3:
        value, n, d = row
        if value is None:
            return f"No records to take a share of ({reading})."
        pct = value if "in %" in reading else 100 * value
        return f"{pct:.1f}% ({_fmt(n)} of {_fmt(d)}): {reading}."
    if kind == "periods" and len(row) == 3:
        a, b = result.columns[0].replace("_", " "), result.columns[1].replace("_", " ")
        text = f"{_fmt(row[0])} {a} against {_fmt(row[1])} {b}"
        if isinstance(row[2], int | float) and row[1]:
            change = row[2] / row[1] * 100
            text += f", {abs(change):.0f}% {'more' if change >= 0 else 'less'}"
        return text + "."
    if len(result.rows) == 1:
        return f"{_fmt(row[0])}: {reading}."
    return f"{len(result.rows):,} {'group' if len(result.rows) == 1 else 'groups'}: {reading}."
