"""The index advisor on a replayed, skewed workload: slow fingerprints before and after.

    .venv/bin/python benchmarks/advisor_bench.py                      # SQLite and PostgreSQL
    .venv/bin/python benchmarks/advisor_bench.py --backend sqlite --rows 100000

Builds an ``events`` collection (``--rows`` records), then replays one fixed, skewed list
of queries (five shapes, Zipf-distributed over shapes and over user ids) twice under a
simulated clock: first with no index but the key's; then, hour by hour, an advisor pass
chooses and builds indexes from the query log, the same workload runs again as their
validation window, and the next pass keeps or reverts them (and may try others), until a
pass builds nothing new; then the same workload runs once more and is measured "after".
The result cache is off, so every call executes. Reported per fingerprint: p50 and p99
of the client-side latency before and after and their ratio. Targets: the slow
fingerprints the advisor acted on (those served by an index it built and kept) ≥ 5×
faster at p50 and p99; no other fingerprint more than 10% slower.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from thermodb.config import load_settings
from thermodb.database import Database
from thermodb.intelligence.fingerprint import fingerprint_spec
from thermodb.query.planner import parse_spec

PG_URL = os.environ.get("THERMODB_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
T0 = datetime(2026, 1, 1, tzinfo=UTC)
TYPES = [f"type_{i:02d}" for i in range(20)]
CLOCK_START = 1_800_000_000.0


def make_events(n: int) -> list[dict[str, Any]]:
    rnd = random.Random("events")
    return [
        {
            "eid": i,
            "user_id": rnd.randrange(20_000),
            "session": f"s{rnd.randrange(50_000)}",
            "type": rnd.choice(TYPES),
            "value": round(rnd.random() * 100, 3),
            "ts": (T0 + timedelta(seconds=rnd.randrange(90 * 86400))).isoformat(),
        }
        for i in range(n)
    ]


def zipf(rnd: random.Random, n: int, s: float = 1.1) -> int:
    """A Zipf-distributed rank in [0, n) (rejection-free inverse transform, approximate)."""
    u = rnd.random()
    return min(n - 1, int((n ** (1 - s) * u + (1 - u)) ** (1 / (1 - s))) - 1) if s != 1 else 0


SHAPES = {
    "by user": 40,
    "session listing": 25,
    "type in a day": 15,
    "group by type": 10,
    "top value": 10,
}


def spec_of(shape: str, rnd: random.Random) -> dict[str, Any]:
    if shape == "by user":
        return {
            "collection": "events",
            "where": {"field": "user_id", "op": "=", "value": zipf(rnd, 20_000)},
            "aggregates": [{"fn": "count"}, {"fn": "sum", "field": "value"}],
        }
    if shape == "session listing":
        return {
            "collection": "events",
            "where": {"field": "session", "op": "=", "value": f"s{zipf(rnd, 50_000)}"},
            "order": [{"field": "ts", "desc": True}],
            "limit": 20,
        }
    if shape == "type in a day":
        day = T0 + timedelta(days=rnd.randrange(89))
        return {
            "collection": "events",
            "where": {"field": "type", "op": "=", "value": rnd.choice(TYPES)},
            "time": {"start": day.isoformat(), "end": (day + timedelta(days=1)).isoformat()},
            "aggregates": [{"fn": "count"}],
        }
    if shape == "group by type":
        return {
            "collection": "events",
            "group_by": [{"field": "type"}],
            "aggregates": [{"fn": "count"}, {"fn": "avg", "field": "value"}],
        }
    return {"collection": "events", "order": [{"field": "value", "desc": True}], "limit": 5}


def workload(calls: int) -> list[tuple[str, dict[str, Any]]]:
    rnd = random.Random("workload")
    shapes = list(SHAPES)
    weights = list(SHAPES.values())
    return [(shape, spec_of(shape, rnd)) for shape in rnd.choices(shapes, weights, k=calls)]


def replay(db: Database, calls: list[tuple[str, dict[str, Any]]]) -> dict[str, list[float]]:
    """Client-side ms per call of ``db.query`` (keys: shape) and of the planner alone, one
    statement in one transaction (keys: ``planner:`` + shape), alternating which goes first."""
    out: dict[str, list[float]] = defaultdict(list)
    for i, (shape, spec) in enumerate(calls):
        parsed = parse_spec(spec)
        for key in (shape, "planner:" + shape) if i % 2 == 0 else ("planner:" + shape, shape):
            started = time.perf_counter()
            if key == shape:
                db.query(spec)
            else:
                db.planner.run(parsed)
            out[key].append((time.perf_counter() - started) * 1000)
    return out


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def run(target: str, rows: int, calls: int, slow_ms: float) -> dict[str, Any]:
    settings = load_settings(target)
    settings.insights = {"min_calls": 10, "slow_ms": slow_ms, "max_new_per_pass": 4,
                         "min_pass_interval_s": 0, "advise_every_s": 0}  # fmt: skip
    db = Database(target, settings)
    clock = [CLOCK_START]
    db.insights.clock = lambda: clock[0]
    db.thermal.results.capacity = 0  # every call executes
    try:
        started = time.perf_counter()
        db.ingest(make_events(rows), collection="events", key="eid")
        print(f"  ingested {rows:,} events in {time.perf_counter() - started:.1f} s")
        calls_list = workload(calls)
        replay(db, calls_list[:50])  # warm the caches of the engine and the planner
        before = replay(db, calls_list)
        passes = []
        for _ in range(3):  # advise, then replay the same hour's workload under validation
            started = time.perf_counter()
            passes.append(db.insights.advise(force=True))
            print(f"  advisor pass {len(passes)} in {time.perf_counter() - started:.1f} s")
            clock[0] += 3600
            if not any(d["action"] == "create" for d in passes[-1]["decisions"]):
                break
            replay(db, calls_list)
            clock[0] += 3600
        after = replay(db, calls_list)  # the loop has settled: what stays is measured
        return {"before": before, "after": after, "passes": passes}
    finally:
        db.close()


def served_shapes(found: dict[str, Any]) -> set[str]:
    """The shapes whose fingerprints an index the advisor built and kept serves."""
    ids = {
        shape: fingerprint_spec(parse_spec(spec_of(shape, random.Random(0)))).id for shape in SHAPES
    }
    decisions = [d for p in found["passes"] for d in p["decisions"]]
    last = {d["index_name"]: d["action"] for d in decisions}
    served = {
        fid
        for d in decisions
        if d["action"] == "create" and last[d["index_name"]] == "keep"
        for fid in d["evidence"]["choice"]["serves"]
    }
    return {shape for shape, fid in ids.items() if fid in served}


def report(name: str, found: dict[str, Any], slow_ms: float) -> bool:
    before, after = found["before"], found["after"]
    served = served_shapes(found)
    print(f"\n{name}: {'fingerprint':<16} {'before p50/p99 ms':>20} {'after p50/p99 ms':>20}"
          f" {'p50 ×':>7} {'p99 ×':>7}")  # fmt: skip
    ok = True
    for shape in SHAPES:
        b50, b99 = statistics.median(before[shape]), p99(before[shape])
        a50, a99 = statistics.median(after[shape]), p99(after[shape])
        slow = shape in served
        x50, x99 = b50 / a50, b99 / a99
        verdict = ("ok" if x50 >= 5 and x99 >= 5 else "MISSED") if slow else (
            "ok" if a50 <= 1.1 * b50 else "SLOWER")  # fmt: skip
        ok = ok and verdict == "ok"
        print(f"  {shape:<22} {b50:>9.2f} / {b99:>8.2f} {a50:>9.2f} / {a99:>8.2f} "
              f"{x50:>7.1f} {x99:>7.1f}  {'served' if slow else 'other'} {verdict}")  # fmt: skip
    print("  the planner alone (one statement in one transaction: what an index can change)")
    for shape in SHAPES:
        key = "planner:" + shape
        b50, a50 = statistics.median(before[key]), statistics.median(after[key])
        b99, a99 = p99(before[key]), p99(after[key])
        role = "served" if shape in served else "other"
        print(f"  {shape:<22} {b50:>9.2f} / {b99:>8.2f} {a50:>9.2f} / {a99:>8.2f} "
              f"{b50 / a50:>7.1f} {b99 / a99:>7.1f}  {role}")  # fmt: skip
    for d in (d for p in found["passes"] for d in p["decisions"]):
        print(f"  decision: {d['action']} {d['index_name']} ({', '.join(d['columns'])}): "
              f"{d['reason']}")  # fmt: skip
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--calls", type=int, default=600, help="calls per replay")
    parser.add_argument("--slow-ms", type=float, default=5.0)
    parser.add_argument("--evidence", help="write the first keep decision's evidence here")
    args = parser.parse_args()
    results = {}
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            print("SQLite")
            results["sqlite"] = run(f"{tmp}/data", args.rows, args.calls, args.slow_ms)
    if args.backend in ("postgres", "both"):
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:8]}"
        print("PostgreSQL")
        try:
            results["postgres"] = run(f"{PG_URL}?schema={schema}", args.rows, args.calls,
                                      args.slow_ms)  # fmt: skip
        finally:
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    verdicts = [report(name, found, args.slow_ms) for name, found in results.items()]
    if args.evidence:
        for found in results.values():
            kept = [d for p in found["passes"] for d in p["decisions"] if d["action"] == "keep"]
            if kept:
                Path(args.evidence).write_bytes(orjson.dumps(kept[0], option=orjson.OPT_INDENT_2))
                break
    print("\nall targets met" if all(verdicts) else "\nsome targets missed")


if __name__ == "__main__":
    main()
