"""Reading the query log back: merged windows per fingerprint and the `queries` report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thermodb.intelligence.aggregate import Aggregate
from thermodb.intelligence.fingerprint import SpecFields
from thermodb.intelligence.tables import query_fingerprints, query_stats

__all__ = ["FingerprintInfo", "Window", "fingerprints", "queries_report", "window"]


@dataclass
class FingerprintInfo:
    id: str
    kind: str
    interface: str
    collection: str
    text: str
    fields: SpecFields
    sample: str
    first_seen: float
    last_seen: float

    def describe(self) -> dict[str, Any]:
        return {
            "fingerprint": self.id,
            "kind": self.kind,
            "interface": self.interface,
            "collection": self.collection,
            "query": self.text,
        }


@dataclass
class Window:
    """One fingerprint over a range of hours: merged aggregate and calls per hour."""

    total: Aggregate = field(default_factory=Aggregate)
    hourly: dict[int, int] = field(default_factory=dict)


def window(
    conn: Connection,
    since_hour: int,
    until_hour: int | None = None,
    only: Iterable[str] | None = None,
) -> dict[str, Window]:
    """Every fingerprint's merged aggregate over ``[since_hour, until_hour)``."""
    t = query_stats
    query = sa.select(t).where(t.c.hour >= since_hour)
    if until_hour is not None:
        query = query.where(t.c.hour < until_hour)
    if only is not None:
        query = query.where(t.c.fingerprint.in_(list(only)))
    out: dict[str, Window] = {}
    for row in conn.execute(query):
        win = out.setdefault(row.fingerprint, Window())
        win.total.merge(Aggregate.from_row(row))
        win.hourly[row.hour] = win.hourly.get(row.hour, 0) + int(row.calls)
    return out


def fingerprints(conn: Connection, only: Iterable[str] | None = None) -> dict[str, FingerprintInfo]:
    t = query_fingerprints
    query = sa.select(t)
    if only is not None:
        query = query.where(t.c.fingerprint.in_(list(only)))
    return {
        row.fingerprint: FingerprintInfo(
            id=row.fingerprint,
            kind=row.kind,
            interface=row.interface,
            collection=row.collection,
            text=row.text,
            fields=SpecFields.from_json(orjson.loads(row.fields)),
            sample=row.sample,
            first_seen=row.first_seen,
            last_seen=row.last_seen,
        )
        for row in conn.execute(query)
    }


def queries_report(
    conn: Connection,
    now: float,
    *,
    hours: int = 24,
    limit: int = 10,
    baseline_hours: int = 168,
    regression_ratio: float = 1.5,
    min_calls: int = 5,
) -> dict[str, Any]:
    """The slowest and most frequent fingerprints of the last ``hours``, and regressions:
    fingerprints whose median is ``regression_ratio`` × that of the ``baseline_hours``
    before (each window with at least ``min_calls`` executed calls)."""
    current = int(now // 3600)
    since = current - hours + 1
    recent = window(conn, since)
    before = window(conn, since - baseline_hours, since, only=list(recent))
    info = fingerprints(conn, only=list(recent))

    def entry(fid: str) -> dict[str, Any]:
        win = recent[fid]
        arrivals = [win.hourly.get(h, 0) for h in range(since, current + 1)]
        described = info[fid].describe() if fid in info else {"fingerprint": fid}
        return described | win.total.summary() | {"arrivals_per_hour": arrivals}

    known = [fid for fid in recent if fid in info and info[fid].kind != "ingest"]
    writes = [fid for fid in recent if fid in info and info[fid].kind == "ingest"]
    executed = [fid for fid in known if recent[fid].total.executed.total]
    slowest = sorted(executed, key=lambda f: -(recent[f].total.executed.quantile(0.5) or 0))
    frequent = sorted(known, key=lambda f: -recent[f].total.calls)
    regressions = []
    for fid in executed:
        was, now_hist = before.get(fid), recent[fid].total.executed
        if was is None or was.total.executed.total < min_calls or now_hist.total < min_calls:
            continue
        old_p50 = was.total.executed.quantile(0.5) or 0.0
        new_p50 = now_hist.quantile(0.5) or 0.0
        if old_p50 > 0 and new_p50 >= regression_ratio * old_p50:
            regressions.append(
                entry(fid) | {"baseline_p50_ms": round(old_p50, 3), "ratio": new_p50 / old_p50}
            )
    regressions.sort(key=lambda e: -e["ratio"])
    return {
        "window_hours": hours,
        "fingerprints": len(known),
        "calls": sum(recent[f].total.calls for f in known),
        "slowest": [entry(f) for f in slowest[:limit]],
        "frequent": [entry(f) for f in frequent[:limit]],
        "regressions": [r | {"ratio": round(r["ratio"], 2)} for r in regressions[:limit]],
        "writes": [entry(f) for f in sorted(writes, key=lambda f: info[f].collection)],
    }
