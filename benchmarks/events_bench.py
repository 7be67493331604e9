"""Change-stream costs: the outbox's overhead on ingest, and forwarding throughput.

    .venv/bin/python benchmarks/events_bench.py                       # 200k records, 5 runs
    .venv/bin/python benchmarks/events_bench.py --records 50000 --runs 3 --nats ""

* Ingest: the same NDJSON file ingested into a fresh SQLite database with the outbox on
  and off, alternating, ``--runs`` times each; the ratio of the medians is the outbox's
  overhead, in wall time and in this process's CPU time (steadier on a shared machine).
  Two files: the ingest benchmark's log records (keyless: inserts) and entity records
  (keyed by ``id``: upserts). ``--pg`` adds the same on PostgreSQL.
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


def ingest_once(
    target: str, source: Path, *, outbox: bool, key: str | None
) -> tuple[float, float, Database]:
    """(wall seconds, CPU seconds of this process, the database) of one ingest."""
    settings = load_settings(target).model_copy(update={"outbox": outbox})
    db = Database(target, settings)
    started, cpu = time.perf_counter(), time.process_time()
    db.ingest(source, collection="bench", key=key)
    return time.perf_counter() - started, time.process_time() - cpu, db


def generate_entities(path: Path, records: int) -> None:
    """Keyed records (an entity collection): each ingest is an upsert by ``id``."""
    import orjson

    with path.open("wb") as out:
        for i in range(records):
            record = {
                "id": i,
                "name": f"user {i}",
                "email": f"user{i}@example.com",
                "plan": ("free", "pro", "team")[i % 3],
                "score": i * 0.37,
                "active": i % 4 != 0,
                "tags": [f"t{i % 7}", f"t{i % 11}"],
                "signed_up": f"2026-0{1 + i % 9}-1{i % 10}T08:00:00Z",
            }
            out.write(orjson.dumps(record) + b"\n")


def pg_target() -> str:
    return f"postgresql://postgres@127.0.0.1:5432/test?schema=bench_ev_{uuid.uuid4().hex[:8]}"


def drop_pg(target: str) -> None:
    import psycopg

    schema = target.rsplit("schema=", 1)[1]
    with psycopg.connect(target.split("?", maxsplit=1)[0], autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def bench_ingest(
    source: Path, records: int, runs: int, work: Path, *, pg: bool, key: str | None
) -> tuple[dict[str, Any], Database | None]:
    wall: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    keep: Database | None = None
    for i in range(runs):
        for outbox in (i % 2 == 0, i % 2 != 0):  # alternate which goes first
            target = pg_target() if pg else str(work / f"db-{key}-{i}-{outbox}")
            seconds, cpu_seconds, db = ingest_once(target, source, outbox=outbox, key=key)
            wall[outbox].append(seconds)
            cpu[outbox].append(cpu_seconds)
            if outbox and keep is None and not pg:
                keep = db
            else:
                db.close()
                if pg:
                    drop_pg(target)
    on, off = statistics.median(wall[True]), statistics.median(wall[False])
    cpu_on, cpu_off = statistics.median(cpu[True]), statistics.median(cpu[False])
    row = {
        "backend": "postgresql" if pg else "sqlite",
        "collection": "keyed (upserts)" if key else "keyless (inserts)",
        "records": records,
        "outbox_on_rps": round(records / on),
        "outbox_off_rps": round(records / off),
        "overhead_wall": round(on / off - 1, 4),
        "overhead_cpu": round(cpu_on / cpu_off - 1, 4),
        "cpu_on_s": round(cpu_on, 3),
        "cpu_off_s": round(cpu_off, 3),
        "runs_on": [round(t, 3) for t in wall[True]],
        "runs_off": [round(t, 3) for t in wall[False]],
    }
    return row, keep


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
        logs, entities = work / "logs.ndjson", work / "entities.ndjson"
        generate(logs, args.records)
        generate_entities(entities, args.records)
        row, db = bench_ingest(logs, args.records, args.runs, work, pg=False, key=None)
        print(row, flush=True)
        keyed, keyed_db = bench_ingest(entities, args.records, args.runs, work, pg=False, key="id")
        print(keyed, flush=True)
        if keyed_db is not None:
            keyed_db.close()
        if args.pg:
            for source, key in ((logs, None), (entities, "id")):
                print(bench_ingest(source, args.records, args.runs, work, pg=True, key=key)[0])
        assert db is not None
        for target in (args.nats, args.redis):
            if target:
                print(bench_forward(db, target, args.runs), flush=True)
        db.close()


if __name__ == "__main__":
    main()
