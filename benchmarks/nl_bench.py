"""Time to answer a question in-process on the NLQ dev data: reading alone and end to end.

    python benchmarks/nl_bench.py [DEV_SET_DIR] [--rounds 5]

Ingests the dev set into a temporary directory, then asks every first-turn question
``rounds`` times. Reports the median and p99 of (a) question → QuerySpec and (b) the whole
``db.ask`` (read + plan + run + insight), and the ratio of (b) to running the same spec with
``db.query`` alone: the baseline measured in the same run, so machine noise cancels out.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

import thermodb

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "nlq" / "dev"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("dev", nargs="?", default=str(DEFAULT))
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    root = Path(args.dev)
    manifest = json.loads((root / "manifest.json").read_text())
    now = datetime.fromisoformat(manifest["now"].replace("Z", "+00:00"))
    questions = [json.loads(x) for x in (root / "questions.jsonl").read_text().splitlines() if x]
    first = [q["question"] for q in questions if q.get("turn", 1) == 1]
    with tempfile.TemporaryDirectory() as tmp:
        db = thermodb.open(Path(tmp) / "data")
        for name, file in manifest["collections"].items():
            db.ingest(root / file, collection=name)
        engine = db.nl
        specs = {q: engine.read(q, now)[0] for q in first}  # warm the index
        read_t: list[float] = []
        ask_t: list[float] = []
        query_t: list[float] = []
        for _ in range(args.rounds):
            for q in first:
                t0 = time.perf_counter()
                engine.read(q, now)
                read_t.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                db.ask(q, now=now)
                ask_t.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                db.query(specs[q])
                query_t.append(time.perf_counter() - t0)
        db.close()
    ms = 1000.0
    print(f"{len(first)} questions x {args.rounds} rounds")
    print(
        f"read (question -> QuerySpec): median {statistics.median(read_t) * ms:.2f} ms, "
        f"p99 {pct(read_t, 0.99) * ms:.2f} ms"
    )
    print(
        f"ask (read + plan + run + insight): median {statistics.median(ask_t) * ms:.2f} ms, "
        f"p99 {pct(ask_t, 0.99) * ms:.2f} ms"
    )
    print(
        f"baseline db.query(spec): median {statistics.median(query_t) * ms:.2f} ms, "
        f"p99 {pct(query_t, 0.99) * ms:.2f} ms"
    )
    print(f"ratio ask/query (medians): {statistics.median(ask_t) / statistics.median(query_t):.2f}")


if __name__ == "__main__":
    main()
