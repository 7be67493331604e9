"""`tiers explain COLLECTION`: why each segment is where it is and what moves it next."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from thermodb.catalog.model import Collection
from thermodb.tiers.segments import ts
from thermodb.tiers.temperature import decayed

if TYPE_CHECKING:
    from thermodb.tiers.manager import Tiers

__all__ = ["explain"]


def explain(tiers: Tiers, coll: Collection, now: datetime) -> dict[str, Any]:
    policy = tiers.policy(coll.name)
    segments = []
    for seg in tiers.segments.segments(coll.name):
        heat = decayed(seg.heat, seg.heat_at, now, policy.promote_window)
        needed = max(0.0, policy.promote_after - heat)
        why = (
            f"cold since {ts(seg.created_at)}: window {ts(seg.window_start)} – "
            f"{ts(seg.window_end)} was sealed longer than hot_for + warm_for"
        )
        nxt = (
            "promoted on the next pass (read often)"
            if needed <= 0
            else f"promoted after about {needed:.1f} more reads within {_fmt(policy)}"
        )
        if policy.delete_after is not None and seg.window_end is not None:
            nxt += f"; deleted at {ts(seg.window_end + policy.delete_after)} (delete_after)"
        segments.append(
            {
                **{k: v for k, v in seg.to_dict().items() if k not in ("columns", "checksum")},
                "heat": round(heat, 3),
                "why": why,
                "next": nxt,
            }
        )
    warm = _warm(tiers, coll, now)
    planned = [p.to_dict() for p in tiers.migrator.plan(now) if p.collection == coll.name]
    queue = [
        m.to_dict()
        for m in tiers.segments.moves(collection=coll.name)
        if m.state not in ("done", "rolled_back")
    ]
    return {
        "collection": coll.name,
        "now": ts(now),
        "policy": policy.describe(),
        "warm": warm,
        "segments": segments,
        "planned": planned,
        "queue": queue,
    }


def _fmt(policy: Any) -> str:
    return str(policy.describe()["promote_window"]) + " half-life"


def _warm(tiers: Tiers, coll: Collection, now: datetime) -> dict[str, Any]:
    table = tiers.store.table(coll)
    policy = tiers.policy(coll.name)
    with tiers.store.read() as conn:
        rows = int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
    tf = coll.fields.get(coll.time_field or "")
    if tf is None or tf.column is None:
        return {
            "rows": rows,
            "why": "no time field: rows stay warm "
            "(set one with `thermodb alter NAME --time-field F`)",
        }
    column = table.c[tf.column]
    with tiers.store.read() as conn:
        oldest, newest = conn.execute(sa.select(sa.func.min(column), sa.func.max(column))).one()
    out: dict[str, Any] = {"rows": rows, "oldest": _text(oldest), "newest": _text(newest)}
    if oldest is not None:
        from thermodb.tiers.migration import as_moment, window_floor

        start = window_floor(as_moment(oldest), policy.window)
        out["why"] = (
            f"rows stay warm until their {policy.describe()['window']} window is older than "
            f"hot_for + warm_for ({policy.describe()['hot_for']} + "
            f"{policy.describe()['warm_for']}) and unwritten for min_age"
        )
        sealed = start + policy.window
        for seg in tiers.segments.segments(coll.name, states=("promoted",)):
            if seg.window_start == start and seg.retired_at is not None:
                sealed = max(sealed, seg.retired_at)  # promoted back: age counts from then
        out["oldest_window_cold_at"] = ts(sealed + policy.cold_after)
    return out


def _text(value: Any) -> Any:
    return ts(value) if isinstance(value, datetime) else value
