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


_AGG_WORDS = {"sum": "total", "avg": "average", "min": "minimum", "max": "maximum",
              "count_distinct": "distinct"}  # fmt: skip


def _agg_word(fn: str, q: float | None) -> str:
    if fn == "percentile" and q is not None:
        return "median" if q == 0.5 else f"p{q * 100:g} of"
    return _AGG_WORDS.get(fn, fn)


def _plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"


def _noun(collection: str, n: float) -> str:
    """The collection's name, singular for one ("1 user", "2 users")."""
    from thermodb.catalog.naming import singular

    return singular(collection) if n == 1 else collection


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
        if spec.distinct and spec.select:
            n = len(result.rows)
            return f"{n:,} distinct {' and '.join(spec.select)} {_plural(n, 'value')} in {noun}."
        return f"{len(result.rows):,} {_noun(noun, len(result.rows))} listed{when}."
    if not spec.group_by and len(result.rows) == 1:
        value = result.rows[0][-1]
        agg = spec.aggregates[0] if spec.aggregates else None
        what = (
            _noun(noun, value if isinstance(value, int) else 2)
            if agg is None or agg.fn == "count"
            else f"{_agg_word(agg.fn, agg.q)} {agg.field} of {noun}"
        )
        unit = result.columns[-1].rsplit("_in_", 1)[1] if "_in_" in result.columns[-1] else ""
        if unit:
            what = f"{unit}: {what}"
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
        text += f" ({top[-1] / total:.0%} of {_fmt(total)} {_noun(noun, total)}{shown})"
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
