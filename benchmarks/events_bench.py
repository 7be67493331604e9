"""Change-stream costs: the outbox's overhead on ingest, and forwarding throughput.

    .venv/bin/python benchmarks/events_bench.py                       # 200k records, 5 runs
    .venv/bin/python benchmarks/events_bench.py --records 50000 --runs 3 --nats ""

* Ingest: the same NDJSON file (the ingest benchmark's log records) ingested into a fresh
  SQLite database with the outbox on and off, alternating, ``--runs`` times each; the ratio
  of the medians is the outbox's overhead. ``--pg`` adds the same on PostgreSQL.
* Forwarding: the outbox of one of those databases forwarded to NATS JetStream (a new
  stream each run) and to Redis Streams; events per second, median of the runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from ingest_bench import generate  # type: ignore[import-not-found]

from thermodb.config import load_settings
from thermodb.database import Database
from thermodb.events.forward import Forwarder, open_sink


def ingest_once(target: str, source: Path, *, outbox: bool) -> tuple[float, Database]:
    settings = load_settings(target).model_copy(update={"outbox": outbox})
    db = Database(target, settings)
    started = time.perf_counter()
    db.ingest(source, collection="logs")
    return time.perf_counter() - started, db


def pg_target() -> str:
    return f"postgresql://postgres@127.0.0.1:5432/test?schema=bench_ev_{uuid.uuid4().hex[:8]}"


def drop_pg(target: str) -> None:
    import psycopg

    schema = target.rsplit("schema=", 1)[1]
    with psycopg.connect(target.split("?", maxsplit=1)[0], autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def bench_ingest(
    source: Path, records: int, runs: int, work: Path, *, pg: bool
) -> tuple[dict[str, Any], Database]:
    times: dict[bool, list[float]] = {True: [], False: []}
    keep: Database | None = None
    for i in range(runs):
        for outbox in (i % 2 == 0, i % 2 != 0):  # alternate which goes first
            target = pg_target() if pg else str(work / f"db-{i}-{outbox}")
            seconds, db = ingest_once(target, source, outbox=outbox)
            times[outbox].append(seconds)
            if outbox and keep is None and not pg:
                keep = db
            else:
                db.close()
                if pg:
                    drop_pg(target)
    on, off = statistics.median(times[True]), statistics.median(times[False])
    row = {
        "backend": "postgresql" if pg else "sqlite",
        "records": records,
        "outbox_on_rps": round(records / on),
        "outbox_off_rps": round(records / off),
        "overhead": round(on / off - 1, 4),
        "runs_on": [round(t, 3) for t in times[True]],
        "runs_off": [round(t, 3) for t in times[False]],
    }
    assert keep is not None or pg
    return row, keep  # type: ignore[return-value]


def bench_forward(db: Database, target: str, runs: int) -> dict[str, Any]:
    rates = []
    for i in range(runs):
        tag = uuid.uuid4().hex[:8]
        sink = open_sink(
            target,
            stream=f"BENCH_{tag}" if target.startswith("nats") else f"bench:{tag}",
            prefix=f"bench_{tag}",
        )
        try:
            report = Forwarder(db.events, sink, consumer=f"bench-{i}-{tag}").run(once=True)
        finally:
            sink.close()
        rates.append(report.forwarded / report.seconds)
        _cleanup(target, tag)
    return {
        "target": target.split("://", maxsplit=1)[0],
        "events": db.events.last_id(),
        "events_per_second": round(statistics.median(rates)),
        "runs": [round(r) for r in rates],
    }


def _cleanup(target: str, tag: str) -> None:
    if target.startswith("nats"):
        import asyncio

        import nats

        async def drop() -> None:
            nc = await nats.connect(target)
            await nc.jetstream().delete_stream(f"BENCH_{tag}")
            await nc.close()

        asyncio.run(drop())
    else:
        import redis

        client = redis.Redis.from_url(target)
        client.delete(f"bench:{tag}")
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--nats", default="nats://127.0.0.1:4222", help="'' to skip")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14", help="'' to skip")
    parser.add_argument("--pg", action="store_true", help="also measure on PostgreSQL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "logs.ndjson"
        generate(source, args.records)
        row, db = bench_ingest(source, args.records, args.runs, work, pg=False)
        print(row, flush=True)
        if args.pg:
            print(bench_ingest(source, args.records, args.runs, work, pg=True)[0], flush=True)
        for target in (args.nats, args.redis):
            if target:
                print(bench_forward(db, target, args.runs), flush=True)
        db.close()


if __name__ == "__main__":
    main()
