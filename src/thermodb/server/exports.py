"""A result (columns and rows of JSON values) as CSV, JSON or Parquet bytes.

Nested values (objects, lists) are written as JSON text in CSV and Parquet; a Parquet
column whose values do not share one type is written as text rather than refused.
"""

from __future__ import annotations

import csv
import io
from typing import Any, Literal

import orjson

__all__ = ["EXPORT_TYPES", "ExportFormat", "export_bytes"]

ExportFormat = Literal["csv", "json", "parquet"]
EXPORT_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
}


def _flat(value: Any) -> Any:
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return value


def export_bytes(columns: list[str], rows: list[list[Any]], fmt: ExportFormat) -> bytes:
    if fmt == "json":
        return orjson.dumps([dict(zip(columns, r, strict=True)) for r in rows], default=str)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for r in rows:
            writer.writerow(["" if v is None else _flat(v) for v in r])
        return out.getvalue().encode()
    return _parquet(columns, rows)


def _parquet(columns: list[str], rows: list[list[Any]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = []
    for i in range(len(columns)):
        values = [_flat(r[i]) for r in rows]
        try:
            arrays.append(pa.array(values))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arrays.append(pa.array([None if v is None else str(v) for v in values], pa.string()))
    table = pa.Table.from_arrays(arrays, names=columns)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()
