"""Query latency: thermodb's planner against the same query handwritten for raw sqlite3.

    .venv/bin/python benchmarks/query_bench.py                 # 1M events, 100k users
    .venv/bin/python benchmarks/query_bench.py --rows 100000   # a quick check

Builds (once per run, in a temporary directory) an ``events`` collection (``--rows``
records: user_id, type, value, ts over 90 days) and a ``users`` entity collection
(``--rows / 10`` records: id, plan, country, signup_at), ingested through thermodb. Then,
in the same process and against the same SQLite file, it times each query:

* ``thermodb``: ``db.query(spec)`` (spec validation, planning, compilation, execution,
  conversion to JSON values) or ``db.get``;
* ``sqlite3``: the same query written by hand, on a plain ``sqlite3`` connection to the
  same file (same tables, same indexes), rows fetched as tuples;
* ``duckdb``: the same query over the same rows loaded into an in-memory DuckDB table
  (reported for later comparison with the cold tier; not a target).

Runs are interleaved (thermodb, sqlite3, duckdb, thermodb...) so drift on a shared machine
hits all three alike. Reported: median and p99 per query, and the thermodb / sqlite3 ratio
of medians (targets: <= 1.2 for queries, <= 2 for get).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import thermodb

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TYPES = [f"type_{i:02d}" for i in range(20)]
PLANS = ["free", "basic", "pro", "enterprise"]
COUNTRIES = [f"C{i:02d}" for i in range(30)]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_users(n: int) -> list[dict[str, Any]]:
    rnd = random.Random("users")
    return [
        {
            "id": i,
            "plan": rnd.choice(PLANS),
            "country": rnd.choice(COUNTRIES),
            "signup_at": iso(T0 + timedelta(seconds=rnd.randrange(90 * 86400))),
        }
        for i in range(n)
    ]


def make_events(n: int, users: int) -> list[dict[str, Any]]:
    rnd = random.Random("events")
    return [
        {
            "event_id": i,
            "user_id": rnd.randrange(users),
            "type": rnd.choice(TYPES),
            "value": round(rnd.random() * 100, 3),
            "ts": iso(T0 + timedelta(seconds=rnd.randrange(90 * 86400))),
        }
        for i in range(n)
    ]


# -- the queries: (name, thermodb spec, sqlite3 SQL, duckdb SQL) ----------------------------
START, END = "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"
QUERIES: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "filtered count",
        {
            "collection": "events",
            "where": {"field": "type", "op": "=", "value": "type_07"},
            "time": {"start": START, "end": END},
            "aggregates": [{"fn": "count"}],
        },
        "SELECT count(*) FROM events WHERE type = 'type_07' "
        "AND ts >= '2026-02-01T00:00:00.000000Z' AND ts < '2026-03-01T00:00:00.000000Z'",
        "SELECT count(*) FROM events WHERE type = 'type_07' "
        "AND ts >= TIMESTAMP '2026-02-01' AND ts < TIMESTAMP '2026-03-01'",
    ),
    (
        "group-by, 2 aggregates",
        {
            "collection": "events",
            "group_by": [{"field": "type"}],
            "aggregates": [{"fn": "count"}, {"fn": "avg", "field": "value"}],
        },
        "SELECT type, count(*), avg(value) FROM events GROUP BY type",
        "SELECT type, count(*), avg(value) FROM events GROUP BY type",
    ),
    (
        "top-N",
        {
            "collection": "events",
            "group_by": [{"field": "user_id"}],
            "aggregates": [{"fn": "count", "alias": "n"}],
            "order": [{"field": "n", "desc": True}],
            "limit": 10,
        },
        "SELECT user_id, count(*) AS n FROM events GROUP BY user_id ORDER BY n DESC LIMIT 10",
        "SELECT user_id, count(*) AS n FROM events GROUP BY user_id ORDER BY n DESC LIMIT 10",
    ),
    (
        "per-day buckets",
        {
            "collection": "events",
            "group_by": [{"bucket": "day"}],
            "aggregates": [{"fn": "count"}],
            "order": [{"field": "day"}],
        },
        "SELECT substr(ts, 1, 10) AS day, count(*) FROM events GROUP BY day ORDER BY day",
        "SELECT strftime(date_trunc('day', ts), '%Y-%m-%d') AS day, count(*) FROM events "
        "GROUP BY day ORDER BY day",
    ),
    (
        "semi-join",
        {
            "collection": "events",
            "links": [
                {"collection": "users", "where": {"field": "plan", "op": "=", "value": "pro"}}
            ],
            "aggregates": [{"fn": "count"}],
        },
        "SELECT count(*) FROM events WHERE user_id IN (SELECT id FROM users WHERE plan = 'pro')",
        "SELECT count(*) FROM events WHERE user_id IN (SELECT id FROM users WHERE plan = 'pro')",
    ),
]


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}" if seconds < 0.01 else f"{seconds * 1000:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="events (users: rows/10)")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per query")
    parser.add_argument("--gets", type=int, default=3000, help="timed gets")
    args = parser.parse_args()
    users_n = max(10, args.rows // 10)

    import duckdb
    import pyarrow as pa

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        db = thermodb.open(data)
        db.thermal.results.capacity = 0  # time the planner, not the warm result cache
        started = time.perf_counter()
        users = make_users(users_n)
        db.ingest(users, collection="users", key="id")
        events = make_events(args.rows, users_n)
        db.ingest(events, collection="events")
        print(
            f"ingested {args.rows:,} events and {users_n:,} users in "
            f"{time.perf_counter() - started:.1f} s"
        )

        raw = sqlite3.connect(data / "thermo.db", isolation_level=None)
        duck = duckdb.connect()
        for name, rows in (("events", events), ("users", users)):
            table = pa.Table.from_pylist(rows)
            duck.register("incoming", table)
            ts = "ts" if name == "events" else "signup_at"
            duck.execute(
                f"CREATE TABLE {name} AS SELECT * REPLACE (CAST({ts} AS TIMESTAMP) AS {ts}) "
                "FROM incoming"
            )
            duck.unregister("incoming")
        del events

        print(
            f"\n{'query':<24} {'thermodb med/p99 ms':>22} {'sqlite3 med/p99 ms':>22} "
            f"{'ratio':>6} {'duckdb med ms':>14}"
        )
        for name, spec, raw_sql, duck_sql in QUERIES:
            got = db.query(spec).rows
            want = raw.execute(raw_sql).fetchall()
            assert len(got) == len(want), (name, got[:3], want[:3])
            samples: dict[str, list[float]] = {"thermodb": [], "sqlite3": [], "duckdb": []}
            for _ in range(args.runs):
                samples["thermodb"].append(timed(lambda s=spec: db.query(s)))
                samples["sqlite3"].append(timed(lambda q=raw_sql: raw.execute(q).fetchall()))
                samples["duckdb"].append(timed(lambda q=duck_sql: duck.execute(q).fetchall()))
            report(name, samples)

        keys = [random.Random("gets").randrange(users_n) for _ in range(args.gets)]
        samples = {"thermodb": [], "sqlite3": [], "duckdb": []}
        for key in keys:
            samples["thermodb"].append(timed(lambda k=key: db.get("users", k)))
            samples["sqlite3"].append(
                timed(
                    lambda k=key: raw.execute("SELECT * FROM users WHERE id = ?", (k,)).fetchone()
                )
            )
        for key in keys[: max(50, args.gets // 10)]:
            samples["duckdb"].append(
                timed(
                    lambda k=key: duck.execute("SELECT * FROM users WHERE id = ?", [k]).fetchone()
                )
            )
        report("get by key", samples)
        raw.close()
        db.close()


def report(name: str, samples: dict[str, list[float]]) -> None:
    t, s, d = samples["thermodb"], samples["sqlite3"], samples["duckdb"]
    ratio = statistics.median(t) / statistics.median(s)
    print(
        f"{name:<24} {ms(statistics.median(t)):>11} / {ms(p99(t)):>8} "
        f"{ms(statistics.median(s)):>11} / {ms(p99(s)):>8} {ratio:>6.2f} "
        f"{ms(statistics.median(d)):>14}",
        flush=True,
    )


if __name__ == "__main__":
    main()
