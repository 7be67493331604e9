"""Tier figures: point reads per tier, cold compression, a cross-tier aggregate, cache hits.

    .venv/bin/python benchmarks/tiers_bench.py                 # 1M rows for the aggregate
    .venv/bin/python benchmarks/tiers_bench.py --rows 100000   # quicker

All in one process and one run, so each figure has its baseline beside it:

* point reads (``db.get``) of a hot (cached), a warm (operational store) and a cold
  (Parquet segment) record: p50 and p99 over ``--reads`` reads each; the cache is cleared
  before each warm and cold read, and cold reads never reach the promotion threshold;
* cold bytes: the Parquet segments of the demoted rows vs the same records as NDJSON;
* an aggregate (group by level: count, avg, sum, p90) over ``--rows`` rows spread across
  the tiers (≈90% cold, the rest warm, a few hot) via ``db.query``, vs DuckDB over one
  Parquet file (zstd) of the same rows; medians of ``--runs``, result cache bypassed;
* the hit rate of the W-TinyLFU cache vs a plain byte-bounded LRU on a Zipf(1.0) key
  stream with the cache holding 10% of the keys.
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import statistics
import tempfile
import time
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

import thermodb
from thermodb.storage.cache import MemoryCache

BASE = datetime(2025, 1, 1, tzinfo=UTC)
LEVELS = ["debug", "info", "info", "info", "warn", "error"]


def records(n: int, seed: int = 3) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    span = 30 * 86400
    return [
        {
            "id": i,
            "ts": (BASE + timedelta(seconds=i * span // n)).isoformat().replace("+00:00", "Z"),
            "level": rnd.choice(LEVELS),
            "service": f"svc-{rnd.randrange(20)}",
            "ms": round(rnd.expovariate(1 / 40), 3),
            "msg": f"request {i % 977} handled",
        }
        for i in range(n)
    ]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def point_reads(db: thermodb.Database, reads: int, warm_key: int, cold_key: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    db.get("logs", warm_key)  # into the cache
    hot = [timed(lambda: db.get("logs", warm_key)) for _ in range(reads)]
    warm, cold = [], []
    rnd = random.Random(5)
    for _ in range(reads):
        db.thermal.cache.clear()
        warm.append(timed(lambda: db.get("logs", warm_key)))
        db.thermal.cache.clear()
        key = cold_key + rnd.randrange(50)
        cold.append(timed(lambda key=key: db.get("logs", key)))
    for name, values in (("hot", hot), ("warm", warm), ("cold", cold)):
        out[name] = {"p50_ms": round(pct(values, 0.5), 3), "p99_ms": round(pct(values, 0.99), 3)}
    return out


def aggregate(
    db: thermodb.Database, rows: list[dict[str, Any]], runs: int, tmp: Path
) -> dict[str, Any]:
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(
        [{**r, "ts": datetime.fromisoformat(r["ts"].replace("Z", "+00:00"))} for r in rows]
    )
    single = tmp / "single.parquet"
    pq.write_table(table, single, compression="zstd")
    base_aggs = [
        {"fn": "count", "alias": "n"},
        {"fn": "avg", "field": "ms"},
        {"fn": "sum", "field": "ms"},
    ]
    cases = {
        "count_avg_sum_by_level (partial aggregates pushed down)": (
            {
                "collection": "logs",
                "group_by": [{"field": "level"}],
                "aggregates": base_aggs,
                "order": [{"field": "level"}],
            },
            "SELECT level, count(*), avg(ms), sum(ms) FROM read_parquet('{f}') "
            "GROUP BY level ORDER BY level",
        ),
        "p90_by_level (warm rows + cold in DuckDB)": (
            {
                "collection": "logs",
                "group_by": [{"field": "level"}],
                "aggregates": [{"fn": "percentile", "field": "ms", "q": 0.9}],
                "order": [{"field": "level"}],
            },
            "SELECT level, quantile_cont(ms, 0.9) FROM read_parquet('{f}') "
            "GROUP BY level ORDER BY level",
        ),
    }
    out: dict[str, Any] = {}
    for name, (spec, sql) in cases.items():
        tiered, direct = [], []
        for _ in range(runs):
            db.thermal.cache.clear()  # never answer from the result caches here
            db.thermal.results.clear()
            tiered.append(timed(lambda spec=spec: db.query(spec)))
            conn = duckdb.connect()
            direct.append(
                timed(lambda conn=conn, sql=sql: conn.execute(sql.format(f=single)).fetchall())
            )
            conn.close()
        db.thermal.cache.clear()
        result = db.query(spec)
        out[name] = {
            "tiered_median_ms": round(statistics.median(tiered), 1),
            "duckdb_single_file_median_ms": round(statistics.median(direct), 1),
            "ratio": round(statistics.median(tiered) / statistics.median(direct), 2),
            "timings": result.explain.get("timings"),
        }
    return out


class LruBytes:
    """Plain LRU bounded by bytes: the baseline for the admission policy."""

    def __init__(self, capacity: int) -> None:
        self.capacity, self.size, self.data = capacity, 0, OrderedDict[str, bytes]()
        self.hits = self.misses = 0

    def get(self, key: str) -> bytes | None:
        value = self.data.get(key)
        if value is None:
            self.misses += 1
            return None
        self.data.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: str, value: bytes) -> None:
        self.data[key] = value
        self.size += len(value)
        while self.size > self.capacity:
            _, old = self.data.popitem(last=False)
            self.size -= len(old)


def zipf_hit_rates(keys: int, requests: int) -> dict[str, Any]:
    rnd = random.Random(11)
    weights = [1 / (i + 1) for i in range(keys)]
    cumulative, total = [], 0.0
    for w in weights:
        total += w
        cumulative.append(total)
    order = list(range(keys))
    rnd.shuffle(order)  # popularity unrelated to key order
    value = b"v" * 100
    capacity = keys // 10 * len(value)
    tiny, lru = MemoryCache(capacity, average_entry=len(value)), LruBytes(capacity)
    for _ in range(requests):
        key = f"k{order[bisect.bisect_left(cumulative, rnd.random() * total)]}"
        for cache in (tiny, lru):
            if cache.get(key) is None:
                cache.put(key, value)
    return {
        "keys": keys,
        "requests": requests,
        "cache_share_of_keys": 0.10,
        "w_tinylfu_hit_rate": round(tiny.stats().hit_rate, 4),
        "lru_hit_rate": round(lru.hits / (lru.hits + lru.misses), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--zipf-keys", type=int, default=100_000)
    parser.add_argument("--zipf-requests", type=int, default=1_000_000)
    args = parser.parse_args()
    report: dict[str, Any] = {"rows": args.rows, "date": datetime.now(UTC).date().isoformat()}
    with tempfile.TemporaryDirectory() as tmp_text:
        tmp = Path(tmp_text)
        rows = records(args.rows)
        with thermodb.open(tmp / "data") as db:
            started = time.perf_counter()
            db.ingest(rows, collection="logs")
            report["ingest_s"] = round(time.perf_counter() - started, 1)
            # windows ending before day 27 of 30 are old enough: 90% of the rows go cold
            now = datetime.now(UTC) + timedelta(days=1)
            cut = BASE + timedelta(days=27)
            hot_for = db.thermal.policy("logs").hot_for
            warm_for = int((now - cut - hot_for).total_seconds())
            db.thermal.set_policy("logs", promote_after=1e9, warm_for=f"{warm_for}s")
            db.thermal.clock = lambda: now
            started = time.perf_counter()
            moved = db.migrate(now).rows_moved
            report["demote_s"] = round(time.perf_counter() - started, 1)
            report["rows_cold"] = moved
            segs = db.thermal.segments.segments("logs")
            cold_bytes = sum(s.bytes for s in segs)
            warm_start = moved
            ndjson = sum(len(orjson.dumps(r)) + 1 for r in rows[:moved])
            report["cold_bytes"] = {
                "parquet_bytes": cold_bytes,
                "ndjson_bytes": ndjson,
                "ratio": round(ndjson / max(cold_bytes, 1), 1),
            }
            report["point_reads"] = point_reads(db, args.reads, warm_start + 10, 1000)
            report["aggregate"] = aggregate(db, rows, args.runs, tmp)
    report["zipf"] = zipf_hit_rates(args.zipf_keys, args.zipf_requests)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
