"""Retention beyond the cold tier: ``delete_after`` for warm rows, and the change stream.

The migrator retires cold segments whose window is past ``delete_after``; this pass does
the rest of the policy at the same ``now``: rows still in the operational store whose time
is older than ``now - delete_after`` are deleted (with their change events and a new data
version, in one transaction per collection), and the change stream drops the events that
every consumer's cursor has passed.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from thermodb.records import iso
from thermodb.tiers.migration import PassReport, PlannedMove
from thermodb.tiers.segments import bump_version

if TYPE_CHECKING:
    from thermodb.database import Database

__all__ = ["enforce_retention"]


def enforce_retention(db: Database, report: PassReport) -> PassReport:
    """Delete warm rows past ``delete_after`` at the pass's ``now``; trim the change stream.

    What it plans goes into ``report.planned`` (kind ``delete``, no segment); what it did
    into ``report.done`` (``tier: warm``). A dry run plans only."""
    now = report.now
    for coll in db.catalog.all():
        policy = db.thermal.policy(coll.name)
        tf = coll.fields.get(coll.time_field or "")
        if policy.delete_after is None or tf is None or tf.column is None:
            continue
        cutoff = now - policy.delete_after
        table = db.store.table(coll)
        column = table.c[tf.column]
        with db.store.read() as conn:
            count = int(
                conn.execute(sa.select(sa.func.count()).where(column < cutoff)).scalar_one()
            )
        if not count:
            continue
        reason = f"warm rows older than delete_after ({policy.describe()['delete_after']})"
        report.planned.append(PlannedMove("delete", coll.name, reason, None, cutoff, rows=count))
        if report.dry_run:
            continue
        report.done.append(_expire(db, coll.name, column, cutoff, now))
    if not report.dry_run:
        trimmed = db.events.trim()
        if trimmed:
            report.done.append({"kind": "trim", "tier": "events", "rows": trimmed})
    return report


def _expire(
    db: Database, name: str, column: Any, cutoff: datetime, now: datetime
) -> dict[str, Any]:
    coll = db.catalog.get(name)
    table = db.store.table(coll)
    key = coll.fields.get(coll.key_field or "")
    with db.store.begin() as conn:
        keys: list[Any] = []
        if key is not None and key.column is not None:
            keys = [
                r[0] for r in conn.execute(sa.select(table.c[key.column]).where(column < cutoff))
            ]
        deleted = int(conn.execute(table.delete().where(column < cutoff)).rowcount or 0)
        db.events.on_expire(conn, coll, keys, deleted, cutoff)
        bump_version(conn, coll.name)
    return {
        "kind": "delete",
        "tier": "warm",
        "collection": coll.name,
        "rows": deleted,
        "before": iso(cutoff),
        "at": iso(now),
    }
