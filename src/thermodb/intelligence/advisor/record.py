"""The advisor's memory: its indexes (``thermo_advisor_indexes``) and every decision with
its evidence (``thermo_advisor_decisions``, append-only)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thermodb.intelligence.tables import advisor_decisions, advisor_indexes, advisor_state

__all__ = ["Action", "AdvisorIndex", "IndexState", "claim_pass", "decide", "indexes"]

IndexState = Literal["validating", "kept", "reverted", "dropped", "failed", "gone"]
Action = Literal["create", "keep", "revert", "drop", "fail", "gone"]
LIVE: tuple[IndexState, ...] = ("validating", "kept")


@dataclass
class AdvisorIndex:
    name: str
    collection: str
    columns: list[str]
    state: IndexState
    origin: str
    """``advisor`` (chosen from the workload) or ``trial`` (proposed by a person)."""
    created_at: float
    decided_at: float | None
    last_used_at: float | None
    fingerprints: list[str]
    baseline: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "collection": self.collection,
            "columns": self.columns,
            "state": self.state,
            "origin": self.origin,
            "created_at": self.created_at,
            "decided_at": self.decided_at,
            "last_used_at": self.last_used_at,
            "fingerprints": self.fingerprints,
        }


def indexes(conn: Connection, states: Sequence[str] | None = None) -> list[AdvisorIndex]:
    t = advisor_indexes
    query = sa.select(t).order_by(t.c.created_at)
    if states is not None:
        query = query.where(t.c.state.in_(list(states)))
    return [
        AdvisorIndex(
            name=row.name,
            collection=row.collection,
            columns=orjson.loads(row.columns),
            state=row.state,
            origin=row.origin,
            created_at=row.created_at,
            decided_at=row.decided_at,
            last_used_at=row.last_used_at,
            fingerprints=orjson.loads(row.fingerprints),
            baseline=orjson.loads(row.baseline),
        )
        for row in conn.execute(query)
    ]


def decide(
    conn: Connection,
    at: float,
    action: Action,
    index: AdvisorIndex,
    reason: str,
    evidence: dict[str, Any],
) -> dict[str, Any]:
    """Record a decision and the index's new state in one transaction; the decision."""
    state: IndexState = {
        "create": "validating",
        "keep": "kept",
        "revert": "reverted",
        "drop": "dropped",
        "fail": "failed",
        "gone": "gone",
    }[action]  # type: ignore[assignment]
    t = advisor_indexes
    if action == "create":
        conn.execute(t.delete().where(t.c.name == index.name))  # a re-try after a revert
        conn.execute(
            t.insert().values(
                name=index.name,
                collection=index.collection,
                columns=orjson.dumps(index.columns).decode(),
                state=state,
                origin=index.origin,
                created_at=at,
                decided_at=None,
                last_used_at=None,
                fingerprints=orjson.dumps(index.fingerprints).decode(),
                baseline=orjson.dumps(index.baseline).decode(),
            )
        )
    else:
        conn.execute(t.update().where(t.c.name == index.name).values(state=state, decided_at=at))
    index.state = state
    decision = {
        "id": uuid.uuid4().hex,
        "at": at,
        "action": action,
        "index_name": index.name,
        "collection": index.collection,
        "columns": orjson.dumps(index.columns).decode(),
        "reason": reason,
        "evidence": orjson.dumps(evidence, option=orjson.OPT_NON_STR_KEYS).decode(),
    }
    conn.execute(advisor_decisions.insert().values(**decision))
    return decision | {"columns": index.columns, "evidence": evidence}


def decisions(conn: Connection, limit: int = 50) -> list[dict[str, Any]]:
    t = advisor_decisions
    rows = conn.execute(sa.select(t).order_by(t.c.at.desc(), t.c.id).limit(limit))
    return [
        {
            "at": row.at,
            "action": row.action,
            "index_name": row.index_name,
            "collection": row.collection,
            "columns": orjson.loads(row.columns),
            "reason": row.reason,
            "evidence": orjson.loads(row.evidence),
        }
        for row in rows
    ]


def mark_used(conn: Connection, name: str, at: float) -> None:
    t = advisor_indexes
    conn.execute(t.update().where(t.c.name == name).values(last_used_at=at))


def claim_pass(conn: Connection, now: float, interval: float) -> float | None:
    """Take the pass throttle (any process); None if taken, else when the next may start."""
    t = advisor_state
    last = conn.execute(sa.select(t.c.value).where(t.c.key == "last_pass")).scalar_one_or_none()
    if last is None:
        conn.execute(t.insert().values(key="last_pass", value=now))
        return None
    if now - float(last) < interval:
        return float(last) + interval
    claimed = conn.execute(
        t.update().where(t.c.key == "last_pass", t.c.value == last).values(value=now)
    )
    return None if claimed.rowcount == 1 else now + interval
