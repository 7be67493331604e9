"""A QuerySpec in plain words, so every interface can show how a question was read.

"count of sessions, grouped by device, started last week: Mon 23 Nov – Sun 29 Nov". The
text is built from the spec alone (no schema, no database), so it says exactly what ran.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from thermodb.query.spec import (
    Aggregate,
    And,
    Condition,
    Filter,
    Link,
    Not,
    Or,
    QuerySpec,
    TimeRange,
)

__all__ = ["describe", "describe_filter", "plural_of"]

_OPS = {"=": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥", "in": "in",
        "not_in": "not in", "contains": "contains", "starts_with": "starts with",
        "between": "between"}  # fmt: skip
_FN = {"count": "count", "count_distinct": "number of distinct", "sum": "total",
       "avg": "average", "min": "minimum", "max": "maximum"}  # fmt: skip


def plural_of(n: int, noun: str, many: str | None = None) -> str:
    """ "1 group", "2 groups"."""
    return f"{n:,} {noun if n == 1 else (many or noun + 's')}"


def _value(v: Any) -> str:
    if isinstance(v, list):
        return ", ".join(_value(x) for x in v)
    if isinstance(v, str):
        return v
    return repr(v) if isinstance(v, bool) else f"{v:g}" if isinstance(v, float) else str(v)


def describe_filter(f: Filter) -> str:
    if isinstance(f, Condition):
        if f.op == "is_null":
            return f"{f.field} is missing"
        if f.op == "not_null":
            return f"{f.field} is set"
        if f.op == "is_empty":
            return f"{f.field} is empty"
        if f.op == "not_empty":
            return f"{f.field} is not empty"
        if f.op == "between" and isinstance(f.value, list):
            return f"{f.field} between {_value(f.value[0])} and {_value(f.value[1])}"
        return f"{f.field} {_OPS.get(f.op, f.op)} {_value(f.value)}"
    if isinstance(f, And):
        return " and ".join(describe_filter(x) for x in f.and_)
    if isinstance(f, Or):
        return "(" + " or ".join(describe_filter(x) for x in f.or_) + ")"
    if isinstance(f, Not):
        return f"not ({describe_filter(f.not_)})"
    return str(f)


def _aggregate(a: Aggregate, noun: str) -> str:
    if a.fn == "count" and a.field is None:
        return f"count of {noun}"
    if a.fn == "percentile":
        q = round((a.q or 0) * 100)
        return "median" + f" {a.field}" if q == 50 else f"p{q} of {a.field}"
    return f"{_FN.get(a.fn, a.fn)} {a.field}"


def _link(link: Link) -> str:
    where = f" where {describe_filter(link.where)}" if link.where is not None else ""
    if link.kind == "semi":
        return f"that have {link.collection}{where}"
    if link.kind == "anti":
        return f"that have no {link.collection}{where}"
    if link.kind == "aggregate" and link.aggregate is not None:
        return f"with {_aggregate(link.aggregate, link.collection)} of {link.collection}{where}"
    return f"joined to {link.collection}"


def _day(t: datetime) -> str:
    return f"{t:%a} {t.day} {t:%b %Y}"


def _period(t: TimeRange, text: str | None) -> str:
    on = f" on {t.field}" if t.field else ""
    if t.start and t.end:
        last = t.end - timedelta(microseconds=1)
        span = _day(t.start) if t.start.date() == last.date() else f"{_day(t.start)} – {_day(last)}"
        if t.end - t.start < timedelta(days=1) or t.start.time() != t.end.time():
            span = f"{t.start:%Y-%m-%d %H:%M} – {t.end:%Y-%m-%d %H:%M} UTC"
        return f"{text or 'in'}{on}: {span}" if text else f"{on.strip() or 'time'} in {span}"
    if t.start:
        return f"{on.strip() or 'time'} since {_day(t.start)}"
    if t.end:
        return f"{on.strip() or 'time'} before {_day(t.end)}"
    return ""


def describe(spec: QuerySpec, period: str | None = None) -> str:
    """The spec in words; ``period`` is the question's own time phrase ("last week")."""
    noun = spec.collection
    if spec.aggregates:
        head = ", ".join(_aggregate(a, noun) for a in spec.aggregates)
        if not any(a.fn == "count" and a.field is None for a in spec.aggregates):
            head += f" of {noun}"
    elif spec.select and spec.distinct:
        head = f"distinct {', '.join(spec.select)} of {noun}"
    else:
        head = f"{noun}" + (f" ({', '.join(spec.select)})" if spec.select else "")
    parts = [head]
    if spec.where is not None:
        parts.append(f"where {describe_filter(spec.where)}")
    parts.extend(_link(link) for link in spec.links)
    if spec.group_by:
        keys = [
            f"{g.bucket} of {g.field or 'time'}" if g.bucket else str(g.field)
            for g in spec.group_by
        ]
        parts.append(f"grouped by {', '.join(keys)}")
    if spec.having is not None:
        parts.append(f"keeping groups where {describe_filter(spec.having)}")
    if spec.time is not None:
        parts.append(_period(spec.time, period))
    if spec.order:
        keys = [f"{o.field} {'descending' if o.desc else 'ascending'}" for o in spec.order]
        parts.append(f"ordered by {', '.join(keys)}")
    if spec.limit is not None:
        parts.append(f"first {spec.limit}")
    return ", ".join(p for p in parts if p)
