"""Read-only SQL across tiers: what the cold-row check costs warm SQL, and what cold costs.

Run: .venv/bin/python benchmarks/sql_tiers_bench.py [rows]

Three figures, each a ratio measured in this process (the machine is shared):
* warm-only SQL with the tier check (Database.sql) against run_sql without it (as before);
* SQL over half-cold data (DuckDB over warm + cold) against the same SQL all warm;
* the same for a selective query.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import thermodb
from thermodb.query.sql import run_sql

BASE = datetime(2025, 1, 1, tzinfo=UTC)
LATER = datetime.now(UTC) + timedelta(days=2)
AGG = "SELECT level, count(*) AS n, avg(ms) AS avg_ms FROM logs GROUP BY level ORDER BY level"
POINT = "SELECT id, ms FROM logs WHERE id = 7"


def _events(n: int, start: datetime) -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "ts": (start + timedelta(minutes=i)).isoformat(),
            "level": ("error", "info", "warn")[i % 3],
            "ms": float(i % 97),
            "ctx": {"host": f"h{i % 5}"},
        }
        for i in range(n)
    ]


def _median(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        import os

        os.environ["THERMODB_COLD"] = f"file://{Path(tmp) / 'cold'}"
        db = thermodb.open(Path(tmp) / "data")
        db.ingest(_events(rows, BASE), collection="logs")
        for text in (AGG, POINT):
            plain = _median(lambda t=text: run_sql(db.planner, t), 200)  # type: ignore[misc]
            checked = _median(lambda t=text: db.sql(t), 200)  # type: ignore[misc]
            print(
                f"warm {text[:30]!r}: before {plain[0]:.3f} ms, with tier check "
                f"{checked[0]:.3f} ms, ratio {checked[0] / plain[0]:.2f}"
            )
        warm = {text: _median(lambda t=text: db.sql(t), 20) for text in (AGG, POINT)}  # type: ignore[misc]
        db.migrate(LATER)
        cold_rows = db.thermal.cold_rows("logs")
        print(f"{rows} rows, {cold_rows} cold after a migration pass")
        for text in (AGG, POINT):
            cold = _median(lambda t=text: db.sql(t), 20)  # type: ignore[misc]
            print(
                f"cold {text[:30]!r}: warm {warm[text][0]:.2f} ms, across tiers "
                f"{cold[0]:.2f} ms (p99 {cold[1]:.2f}), ratio {cold[0] / warm[text][0]:.1f}"
            )
        db.close()


if __name__ == "__main__":
    main()
