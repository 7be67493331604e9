"""Follow-ups: a question that changes the previous one of its conversation.

"and last week?" replaces the time range; "only the pro users" adds a filter (or replaces
one on the same field: "and on api-2?"); "break that down by day" / "now by country" sets
the grouping; "what about the maximum?" swaps the aggregate and keeps its field.
"""

from __future__ import annotations

from typing import Any

from thermodb.nl.reader import Reading
from thermodb.nl.text import tokenize
from thermodb.nl.words import FOLLOW_UP_CUES
from thermodb.query.spec import Aggregate, And, Condition, Filter, QuerySpec, TimeRange

__all__ = ["looks_like_follow_up", "merge"]


def looks_like_follow_up(question: str) -> bool:
    """Whether a question starts like a change to the previous one ("and ...", "only ...")."""
    words = [t.text for t in tokenize(question)[:3]]
    return bool(words) and (
        words[0] in FOLLOW_UP_CUES or " ".join(words[:2]) in ("what about", "how about")
    )


def _conditions(f: Filter | None) -> list[Filter]:
    if f is None:
        return []
    if isinstance(f, And):
        return list(f.and_)
    return [f]


def _field_of(f: Filter) -> str | None:
    return f.field if isinstance(f, Condition) else None


def merge(prev: QuerySpec, new: Reading) -> QuerySpec:
    """The previous spec changed by what the follow-up says, keeping everything else."""
    spec = new.spec
    parts: dict[str, Any] = new.parts
    update: dict[str, Any] = {}
    if spec.time is not None:
        field = spec.time.field if spec.time.field else (prev.time.field if prev.time else None)
        update["time"] = TimeRange(field=field, start=spec.time.start, end=spec.time.end)
    new_conds = _conditions(spec.where)
    if new_conds:
        replaced = {_field_of(c) for c in new_conds if _field_of(c)}
        kept = [c for c in _conditions(prev.where) if _field_of(c) not in replaced]
        conds = kept + new_conds
        update["where"] = conds[0] if len(conds) == 1 else And(and_=conds)
    if spec.links:
        names = {link.collection for link in spec.links}
        update["links"] = [lk for lk in prev.links if lk.collection not in names] + list(spec.links)
    if parts.get("group_by"):
        update["group_by"] = parts["group_by"]
        if not prev.aggregates and not parts.get("aggregates"):
            update["aggregates"] = [Aggregate(fn="count", alias="count")]
            update["select"] = None
    new_aggs: list[Aggregate] = parts.get("aggregates") or []
    if new_aggs and prev.aggregates:
        old = prev.aggregates[0]
        first = new_aggs[0]
        if first.fn != old.fn or first.field not in (None, old.field):
            keep_field = old.field if first.fn != "count" else None
            fn_field = keep_field or first.field
            agg = Aggregate(
                fn=first.fn,
                field=fn_field,
                q=first.q,
                alias=old.alias if first.fn == old.fn else None,
            )
            update["aggregates"] = [agg, *prev.aggregates[1:]]
            update["order"] = [
                o.model_copy(update={"field": agg.name}) if o.field == old.name else o
                for o in prev.order
            ]
    if parts.get("limit") is not None:
        update["limit"] = parts["limit"]
        update["order"] = parts.get("order") or update.get("order", prev.order)
    data = prev.model_dump(by_alias=True)
    data.update(
        {
            k: (v.model_dump(by_alias=True) if hasattr(v, "model_dump") else v)
            for k, v in update.items()
        }
    )
    for key in ("links", "group_by", "aggregates", "order"):
        if key in update:
            data[key] = [
                x.model_dump(by_alias=True) if hasattr(x, "model_dump") else x for x in update[key]
            ]
    return QuerySpec.model_validate(data)
