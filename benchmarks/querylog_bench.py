"""The query log's cost on the hot read path: the same queries with logging on and off.

    .venv/bin/python benchmarks/querylog_bench.py
    .venv/bin/python benchmarks/querylog_bench.py --rounds 21 --calls 1000

Times ``db.query(spec)`` on SQLite in three modes, interleaved round by round in one
process so that drift on a shared machine hits all alike:

* ``bare``: the undecorated method (``Database.query.__wrapped__``): no log at all;
* ``off``: the logging decorator with the log switched off (``insights.query_log = false``);
* ``on``: logging, *including* the flush: each ``on`` round ends with a synchronous
  ``flush()`` (fingerprinting, aggregation and the write) inside the timed region, so the
  work the background thread would do is charged to the reader in full.

Two paths: a repeated spec answered by the result cache (the hottest path there is) and
a small executed query (result cache off). Reported: median µs per call per mode and the
ratio on / bare (target ≤ 1.05); then the log's own work per call, timed alone.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import thermodb
from thermodb.database import Database
from thermodb.query.spec import QuerySpec

SPEC = QuerySpec.model_validate(
    {
        "collection": "events",
        "where": {"field": "kind", "op": "=", "value": "k3"},
        "aggregates": [{"fn": "count"}],
    }
)
bare_query: Callable[..., Any] = Database.query.__wrapped__  # type: ignore[attr-defined]


def timed_round(db: Database, mode: str, calls: int) -> float:
    log = db.insights.log
    log.enabled = mode == "on"
    started = time.perf_counter()
    if mode == "bare":
        for _ in range(calls):
            bare_query(db, SPEC)
    else:
        for _ in range(calls):
            db.query(SPEC)
    if mode == "on":
        log.flush()
    return (time.perf_counter() - started) / calls * 1e6


def measure(db: Database, rounds: int, calls: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {"bare": [], "off": [], "on": []}
    for i in range(rounds):
        order = ["bare", "off", "on"] if i % 2 == 0 else ["on", "off", "bare"]
        for mode in order:
            samples[mode].append(timed_round(db, mode, calls))
    return {mode: statistics.median(values) for mode, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = thermodb.open(Path(tmp) / "data")
        try:
            db.ingest(
                [{"n": i, "kind": f"k{i % 10}"} for i in range(args.rows)], collection="events"
            )
            db.query(SPEC)
            print(f"{'path':<28} {'bare µs':>9} {'off µs':>9} {'on µs':>9} {'on/bare':>8}")
            for name, capacity in (("result-cache hit", 512), ("executed (cache off)", 0)):
                db.thermal.results.capacity = capacity
                db.thermal.results.clear()
                got = measure(db, args.rounds, args.calls if capacity else args.calls // 5)
                print(
                    f"{name:<28} {got['bare']:>9.1f} {got['off']:>9.1f} {got['on']:>9.1f} "
                    f"{got['on'] / got['bare']:>8.3f}"
                )
            result = db.query(SPEC)
            log = db.insights.log
            log.enabled = True
            n = 20_000  # below the buffer limit, as between two flushes
            started = time.perf_counter()
            for _ in range(n):
                log.record("spec", SPEC, 0.001, result)
            recorded = time.perf_counter() - started
            log.flush()
            total = time.perf_counter() - started
            print(
                f"\nthe log's own work per call: record {recorded / n * 1e6:.2f} µs on the read "
                f"path, {total / n * 1e6:.2f} µs with aggregation and the write"
            )
        finally:
            db.close()


if __name__ == "__main__":
    main()
