"""Ingest throughput and peak memory: thermodb against raw sqlite3, sqlite-utils and COPY.

    .venv/bin/python benchmarks/ingest_bench.py                  # 1M records, 4M for memory
    .venv/bin/python benchmarks/ingest_bench.py --records 100000 --memory-records 200000 --runs 1

Generates log records (the demo's generator: nested objects, millisecond timestamps,
missing fields) into an NDJSON file, then in the same run loads that file with:

* ``thermodb``: ``thermodb.open(target).ingest(file, collection=...)`` (SQLite and PostgreSQL);
* ``sqlite3``: the floor: read lines with orjson, ``executemany`` into a prepared table;
* ``sqlite-utils``: ``sqlite-utils insert DB TABLE FILE --nl`` (its CLI, in-process);
* ``copy``: psycopg ``COPY`` of the same rows into a prepared PostgreSQL table.

Every measurement runs in its own subprocess, which reports its wall time and its peak
resident memory (``ru_maxrss``), so memory figures are per loader and never shared. Each
loader gets a fresh database (a new file, or a new PostgreSQL schema). Throughput is the
median of ``--runs`` runs; ratios compare medians from this same run, as the machine is
shared and absolute numbers drift.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

PG_URL = os.environ.get("THERMODB_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)
TABLE = "bench"


# -- the data -------------------------------------------------------------------------------
def generate(path: Path, records: int) -> None:
    """Write ``records`` demo log lines to ``path`` (deterministic)."""
    import random

    from thermodb.demo.clock import Timeline
    from thermodb.demo.operations import incidents, logs
    from thermodb.demo.people import make_people

    timeline = Timeline.ending(NOW)
    people = make_people(random.Random("bench:users"), 2000, timeline)
    found = incidents(random.Random("bench:incidents"), timeline)
    stream = logs(random.Random("bench:logs"), records, timeline, people, found)
    with path.open("wb") as out:
        chunk: list[bytes] = []
        for record in stream:
            chunk.append(orjson.dumps(record))
            if len(chunk) == 20_000:
                out.write(b"\n".join(chunk) + b"\n")
                chunk.clear()
        if chunk:
            out.write(b"\n".join(chunk) + b"\n")


def scale(source: Path, path: Path, times: int) -> None:
    """``times`` copies of ``source`` one after another (a bigger file, same shape)."""
    with path.open("wb") as out:
        for _ in range(times):
            with source.open("rb") as f:
                while block := f.read(1 << 22):
                    out.write(block)


def columns_of(path: Path, sample: int = 50_000) -> dict[str, str]:
    """Top-level field → a SQL type family (int, real, text, json), from the head of a file."""
    families: dict[str, str] = {}
    with path.open("rb") as f:
        for i, line in enumerate(f):
            if i >= sample:
                break
            for key, value in orjson.loads(line).items():
                if value is None:
                    families.setdefault(key, "text")
                    continue
                fam = (
                    "json"
                    if isinstance(value, dict | list)
                    else "int"
                    if isinstance(value, int) and not isinstance(value, bool)
                    else "real"
                    if isinstance(value, float)
                    else "text"
                )
                old = families.get(key)
                families[key] = fam if old in (None, fam) or old == "text" else "text"
    return families


def rows(path: Path, names: list[str], batch: int = 5000) -> Iterator[list[tuple[Any, ...]]]:
    """The file's records as tuples in ``names`` order (nested values as JSON text)."""
    loads, dumps = orjson.loads, orjson.dumps
    out: list[tuple[Any, ...]] = []
    with path.open("rb") as f:
        for line in f:
            r = loads(line)
            out.append(
                tuple(
                    dumps(v).decode() if type(v) is dict or type(v) is list else v
                    for v in (r.get(n) for n in names)
                )
            )
            if len(out) == batch:
                yield out
                out = []
    if out:
        yield out


# -- one measurement (in a subprocess) -------------------------------------------------------
def load_thermodb(path: Path, target: str) -> int:
    import thermodb

    with thermodb.open(target) as db:
        report = db.ingest(str(path), collection=TABLE)
    return int(report.written)


def load_sqlite3(path: Path, target: str, families: dict[str, str]) -> int:
    import sqlite3

    names = list(families)
    sql_types = {"int": "INTEGER", "real": "REAL", "text": "TEXT", "json": "TEXT"}
    con = sqlite3.connect(target, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    cols = ", ".join(f'"{n}" {sql_types[families[n]]}' for n in names)
    con.execute(f'CREATE TABLE "{TABLE}" (_rid INTEGER PRIMARY KEY, {cols})')
    marks = ", ".join("?" for _ in names)
    quoted = ", ".join(f'"{n}"' for n in names)
    sql = f'INSERT INTO "{TABLE}" ({quoted}) VALUES ({marks})'
    count = 0
    con.execute("BEGIN IMMEDIATE")
    for batch in rows(path, names):
        con.executemany(sql, batch)
        count += len(batch)
    con.execute("COMMIT")
    con.close()
    return count


def load_sqlite_utils(path: Path, target: str) -> int:
    from sqlite_utils.cli import cli

    cli.main(["insert", target, TABLE, str(path), "--nl"], standalone_mode=False)
    import sqlite3

    con = sqlite3.connect(target)
    (count,) = con.execute(f'SELECT count(*) FROM "{TABLE}"').fetchone()
    con.close()
    return int(count)


def load_copy(path: Path, target: str, families: dict[str, str]) -> int:
    import psycopg

    names = list(families)
    pg_types = {"int": "bigint", "real": "double precision", "text": "text", "json": "jsonb"}
    url, schema = target.split("?schema=")
    count = 0
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(f'CREATE SCHEMA "{schema}"')
        cur.execute(f'SET search_path TO "{schema}"')
        cols = ", ".join(f'"{n}" {pg_types[families[n]]}' for n in names)
        cur.execute(f'CREATE TABLE "{TABLE}" (_rid bigserial PRIMARY KEY, {cols})')
        quoted = ", ".join(f'"{n}"' for n in names)
        with cur.copy(f'COPY "{TABLE}" ({quoted}) FROM STDIN') as copy:
            for batch in rows(path, names):
                for row in batch:
                    copy.write_row(row)
                count += len(batch)
    return count


def run_one(args: argparse.Namespace) -> None:
    """Child process: load the file once; print seconds, records and peak RSS as JSON."""
    path = Path(args.file)
    families = json.loads(args.families) if args.families else {}
    # imports are not part of the measurement
    import sqlite_utils.cli  # noqa: F401

    import thermodb.cli.app  # noqa: F401

    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    if args.run_one == "thermodb":
        count = load_thermodb(path, args.target)
    elif args.run_one == "sqlite3":
        count = load_sqlite3(path, args.target, families)
    elif args.run_one == "sqlite-utils":
        count = load_sqlite_utils(path, args.target)
    elif args.run_one == "copy":
        count = load_copy(path, args.target, families)
    else:
        raise SystemExit(f"unknown loader {args.run_one}")
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    print(json.dumps({"seconds": seconds, "cpu": cpu, "records": count, "peak_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's resident-memory high-water mark (VmHWM: per process, reset by exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the driver ------------------------------------------------------------------------------
def measure(
    loader: str,
    path: Path,
    target: str,
    families: dict[str, str] | None = None,
    src: str | None = None,
) -> dict[str, Any]:
    """One load in a subprocess; ``src`` puts another thermodb source tree first on the path."""
    cmd = [sys.executable, __file__, "--run-one", loader, "--file", str(path), "--target", target]
    if families:
        cmd += ["--families", json.dumps(families)]
    env = {**os.environ, "PYTHONPATH": src} if src else None
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{loader} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["rate"] = result["records"] / result["seconds"]
    result["cpu_rate"] = result["records"] / result["cpu"]
    remove(target)
    return result


def remove(target: str) -> None:
    """Delete a measurement's database (files add up to gigabytes at 4M records)."""
    if "://" in target:
        import psycopg

        url, schema = target.split("?schema=")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        return
    path = Path(target)
    if path.is_dir():
        shutil.rmtree(path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)


class Targets:
    """Fresh databases for each measurement, removed at the end."""

    def __init__(self, workdir: Path, pg_url: str) -> None:
        self.workdir = workdir
        self.pg_url = pg_url
        self.schemas: list[str] = []

    def sqlite_file(self, loader: str) -> str:
        return str(self.workdir / f"{loader}-{uuid.uuid4().hex[:8]}.db")

    def sqlite_dir(self) -> str:
        return str(self.workdir / f"thermodb-{uuid.uuid4().hex[:8]}")

    def pg(self) -> str:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        self.schemas.append(schema)
        return f"{self.pg_url}?schema={schema}"

    def drop_pg(self) -> None:
        if not self.schemas:
            return
        import psycopg

        with psycopg.connect(self.pg_url, autocommit=True) as conn:
            for schema in self.schemas:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        self.schemas.clear()


Loader = tuple[str, str, Callable[[], str], dict[str, str] | None, str | None]
"""(label, loader, a fresh target, the column families the floor loaders need, the
thermodb source tree to load, None for the installed one)."""


def compare(loaders: list[Loader], path: Path, runs: int) -> dict[str, Any]:
    """Run every loader ``runs`` times, interleaved (load on a shared machine hits all)."""
    results: dict[str, list[dict[str, Any]]] = {label: [] for label, *_ in loaders}
    for _ in range(runs):
        for label, loader, target, families, src in loaders:
            results[label].append(measure(loader, path, target(), families, src))
    out = {}
    for label, runs_of in results.items():
        rates = sorted(r["rate"] for r in runs_of)
        cpu_rates = sorted(r["cpu_rate"] for r in runs_of)
        out[label] = {
            "rate": statistics.median(rates),
            "rates": [round(r) for r in rates],
            "cpu_rate": statistics.median(cpu_rates),
            "peak_mb": max(r["peak_mb"] for r in runs_of),
            "records": runs_of[0]["records"],
        }
        print(
            f"  {label:<22} {out[label]['rate']:>10,.0f} records/s (runs: "
            f"{out[label]['rates']}), {out[label]['cpu_rate']:>10,.0f} records/CPU-s, "
            f"peak {out[label]['peak_mb']:.0f} MB",
            flush=True,
        )
    return out


def memory_check(path: Path, target: str, records: int) -> dict[str, Any]:
    result = measure("thermodb", path, target)
    print(
        f"  thermodb, {records:,} records: {result['rate']:,.0f} records/s, "
        f"peak {result['peak_mb']:.0f} MB",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--memory-records", type=int, default=4_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--out", default=None, help="Write the results as JSON here.")
    parser.add_argument(
        "--baseline-src",
        default=None,
        help="Also load with the thermodb in this source tree (its src/ directory), "
        "interleaved, as 'thermodb-baseline': before/after figures from one run.",
    )
    parser.add_argument("--run-one", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--file", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--target", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--families", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_one:
        run_one(args)
        return

    backends = set(args.backends.split(","))
    with tempfile.TemporaryDirectory(prefix="thermodb-bench-", dir=args.workdir) as tmp:
        work = Path(tmp)
        small, big = work / "records.ndjson", work / "records-big.ndjson"
        t = time.perf_counter()
        generate(small, args.records)
        times = max(1, round(args.memory_records / args.records))
        scale(small, big, times)
        print(
            f"generated {args.records:,} records ({small.stat().st_size / 1e6:.0f} MB) and "
            f"{args.records * times:,} ({big.stat().st_size / 1e6:.0f} MB) in "
            f"{time.perf_counter() - t:.1f}s",
            flush=True,
        )
        families = columns_of(small)
        targets = Targets(work, args.pg_url)

        def baseline(target: Callable[[], str]) -> list[Loader]:
            src = args.baseline_src
            return [("thermodb-baseline", "thermodb", target, None, src)] if src else []

        results: dict[str, Any] = {"records": args.records, "memory_records": args.records * times}
        try:
            if "sqlite" in backends:
                print(f"SQLite, {args.records:,} records:", flush=True)
                sq = compare(
                    [
                        ("thermodb", "thermodb", targets.sqlite_dir, None, None),
                        *baseline(targets.sqlite_dir),
                        (
                            "sqlite3",
                            "sqlite3",
                            lambda: targets.sqlite_file("sqlite3"),
                            families,
                            None,
                        ),
                        (
                            "sqlite-utils",
                            "sqlite-utils",
                            lambda: targets.sqlite_file("sqlite-utils"),
                            None,
                            None,
                        ),
                    ],
                    small,
                    args.runs,
                )
                sq["thermodb_big"] = memory_check(big, targets.sqlite_dir(), args.records * times)
                results["sqlite"] = sq
            if "postgres" in backends:
                print(f"PostgreSQL, {args.records:,} records:", flush=True)
                pg = compare(
                    [
                        ("thermodb", "thermodb", targets.pg, None, None),
                        *baseline(targets.pg),
                        ("copy", "copy", targets.pg, families, None),
                    ],
                    small,
                    args.runs,
                )
                pg["thermodb_big"] = memory_check(big, targets.pg(), args.records * times)
                results["postgres"] = pg
        finally:
            targets.drop_pg()
    summarise(results)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2))


def summarise(results: dict[str, Any]) -> None:
    print("\nsummary")
    sq = results.get("sqlite")
    if sq:
        for basis in ("rate", "cpu_rate"):
            t = sq["thermodb"][basis]
            if "thermodb-baseline" in sq:
                print(
                    f"  SQLite ({basis}): thermodb / baseline = "
                    f"{t / sq['thermodb-baseline'][basis]:.2f}x"
                )
            print(
                f"  SQLite ({basis}): thermodb / sqlite3 executemany = "
                f"{t / sq['sqlite3'][basis]:.2f}x; thermodb / sqlite-utils insert = "
                f"{t / sq['sqlite-utils'][basis]:.2f}x"
            )
        print(
            f"  SQLite: thermodb peak {sq['thermodb']['peak_mb']:.0f} MB at "
            f"{results['records']:,}, {sq['thermodb_big']['peak_mb']:.0f} MB at "
            f"{results['memory_records']:,}"
        )
    pg = results.get("postgres")
    if pg:
        for basis in ("rate", "cpu_rate"):
            t = pg["thermodb"][basis]
            print(f"  PostgreSQL ({basis}): thermodb / psycopg COPY = {t / pg['copy'][basis]:.2f}x")
            if "thermodb-baseline" in pg:
                print(
                    f"  PostgreSQL ({basis}): thermodb / baseline = "
                    f"{t / pg['thermodb-baseline'][basis]:.2f}x"
                )
        print(
            f"  PostgreSQL: thermodb peak {pg['thermodb']['peak_mb']:.0f} MB at "
            f"{results['records']:,}, {pg['thermodb_big']['peak_mb']:.0f} MB at "
            f"{results['memory_records']:,}"
        )


if __name__ == "__main__":
    main()
