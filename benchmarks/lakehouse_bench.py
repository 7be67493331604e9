"""Publishing the cold tier as Iceberg: by reference (thermodb) against copying the rows.

    .venv/bin/python benchmarks/lakehouse_bench.py                     # 200k rows, 90 days
    .venv/bin/python benchmarks/lakehouse_bench.py --rows 20000 --days 20 --runs 1

Builds one embedded database whose collection ``events`` is all cold (one segment per
daily window), then, in the same run:

* ``publish``: ``thermodb.lakehouse.publish`` of a fresh table (segments referenced in
  place; only manifests and metadata are written);
* ``copy``: the baseline any writer has without add-by-reference: read the segments and
  ``pyiceberg`` ``Table.append`` the rows into a new table (the data written again);
* ``republish``: publishing again with nothing changed (the cost of calling it at every
  migration switch).

Medians of ``--runs``; ratios compare medians from this same run (the machine is shared).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

import thermodb
from thermodb.lakehouse import open_catalog, publish, table_identifier
from thermodb.lakehouse.layout import Lake

BASE = datetime(2025, 1, 1, tzinfo=UTC)


def records(rows: int, days: int) -> list[dict[str, Any]]:
    step = timedelta(days=days) / rows
    return [
        {
            "id": i,
            "ts": (BASE + step * i).isoformat(),
            "kind": ("view", "click", "buy")[i % 3],
            "ms": (i * 37) % 1000 / 10,
            "user": f"u{i % 997}",
        }
        for i in range(rows)
    ]


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="thermodb-lake-bench-"))
    try:
        db = thermodb.open(work / "data")
        db.ingest(records(args.rows, args.days), collection="events")
        report = db.migrate(datetime.now(UTC) + timedelta(days=3650))
        segments = db.thermal.segments.segments("events")
        print(f"{args.rows:,} rows cold in {len(segments)} segments ({report.seconds:.1f} s)")
        lake = Lake.beside(db.thermal.cold)
        lake_root = Path(lake.store.root)
        timings: dict[str, list[float]] = {"publish": [], "copy": [], "republish": []}
        written: dict[str, int] = {}
        for run in range(args.runs):
            catalog = open_catalog(db)
            for identifier in catalog.list_tables("thermodb"):
                catalog.drop_table(identifier)
            catalog.engine.dispose()
            shutil.rmtree(lake_root, ignore_errors=True)

            started = time.perf_counter()
            published = publish(db, "events")
            timings["publish"].append(time.perf_counter() - started)
            assert published.rows == args.rows and published.referenced == len(segments)
            written["publish"] = folder_bytes(lake_root)

            started = time.perf_counter()
            assert not publish(db, "events").changed
            timings["republish"].append(time.perf_counter() - started)

            started = time.perf_counter()
            table = pa.concat_tables(
                [db.thermal.cold.read(s.location) for s in segments], promote_options="default"
            )
            catalog = open_catalog(db)
            copy = catalog.create_table(
                ("thermodb", f"copy_{run}"),
                schema=table.schema,
                location=lake.uri(lake.store, f"copy_{run}"),
            )
            copy.append(table)
            timings["copy"].append(time.perf_counter() - started)
            catalog.engine.dispose()
            written["copy"] = folder_bytes(lake_root / f"copy_{run}")
            loaded = open_catalog(db)
            assert loaded.load_table(table_identifier("events")).scan().to_arrow().num_rows == (
                copy.scan().to_arrow().num_rows
            )
            loaded.engine.dispose()
        db.close()
        medians = {k: statistics.median(v) for k, v in timings.items()}
        print("| way | median s | written | vs copy |")
        print("| --- | --- | --- | --- |")
        for way in ("copy", "publish", "republish"):
            size = f"{written[way] / 1e6:.2f} MB" if way in written else "0"
            ratio = medians[way] / medians["copy"]
            print(f"| {way} | {medians[way]:.3f} | {size} | {ratio:.2f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
