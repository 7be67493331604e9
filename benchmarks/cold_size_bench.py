"""Cold segment sizes after a full migration of a data set (the NLQ dev data by default).

    .venv/bin/python benchmarks/cold_size_bench.py [--data ../shared/nlq/dev]

Each ``*.ndjson`` file is ingested as the collection named like it; every policy is then
set to go cold at once and one pass runs far in the future. Reported per collection and in
total: rows, cold files, their median size, and NDJSON bytes ÷ Parquet bytes. ``--rows``
sets the policies' target rows per segment (default: the policy default).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import thermodb

FAR = datetime(2100, 1, 1, tzinfo=UTC)


def measure(data: Path, segment_rows: int | None) -> dict[str, Any]:
    files = sorted(data.glob("*.ndjson"))
    out: dict[str, Any] = {"collections": {}}
    with tempfile.TemporaryDirectory() as tmp, thermodb.open(Path(tmp) / "db") as db:
        for path in files:
            db.ingest(path, collection=path.stem, on_error="skip")
        for coll in db.collections():
            changes: dict[str, Any] = {"hot_for": "1s", "warm_for": "1s", "min_age": "1s"}
            if segment_rows is not None:
                changes["segment_rows"] = segment_rows
            db.thermal.set_policy(coll.name, **changes)
        db.migrate(FAR)
        db.migrate(FAR)  # a second pass compacts what the first left small
        total_cold = total_ndjson = total_files = 0
        sizes: list[int] = []
        for path in files:
            segs = db.thermal.segments.segments(path.stem)
            cold = sum(s.bytes for s in segs)
            moved = sum(s.rows for s in segs)
            lines = path.read_bytes().splitlines()
            ndjson = sum(len(line) + 1 for line in lines[:moved]) if moved else 0
            sizes += [s.bytes for s in segs]
            total_cold, total_ndjson = total_cold + cold, total_ndjson + ndjson
            total_files += len(segs)
            out["collections"][path.stem] = {
                "rows": len(lines),
                "cold_rows": moved,
                "files": len(segs),
                "parquet_bytes": cold,
                "ndjson_bytes": ndjson,
                "ratio": round(ndjson / cold, 1) if cold else None,
            }
        out["total"] = {
            "files": total_files,
            "median_file_bytes": int(statistics.median(sizes)) if sizes else 0,
            "parquet_bytes": total_cold,
            "ndjson_bytes": total_ndjson,
            "ratio": round(total_ndjson / max(total_cold, 1), 1),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/nlq/dev"))
    parser.add_argument("--rows", type=int, default=None, help="target rows per segment")
    args = parser.parse_args()
    print(json.dumps(measure(args.data, args.rows), indent=2))


if __name__ == "__main__":
    main()
