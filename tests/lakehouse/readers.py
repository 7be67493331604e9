"""The published tables as external engines read them, and the same answers from thermodb.

Three readers, none of them thermodb: pyiceberg's own scan (the table schema applied, name
mapping included), DuckDB's Parquet reader and Daft's, both over the data files of the
table's current snapshot, read where they lie. (DuckDB's iceberg extension and Daft's
``read_iceberg`` cannot be used here: the first downloads itself at run time, the second
does not apply Iceberg name mappings yet, which files without field ids need.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import daft
import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from thermodb.catalog.types import FieldType, iso
from thermodb.database import Database
from thermodb.lakehouse import open_catalog, table_identifier

NUMERIC = (FieldType.INT, FieldType.FLOAT)


def load_table(db: Database, collection: str) -> Any:
    catalog = open_catalog(db)
    try:
        return catalog.load_table(table_identifier(collection))
    finally:
        catalog.engine.dispose()


def data_files(db: Database, collection: str) -> list[str]:
    table = load_table(db, collection)
    return sorted(task.file.file_path for task in table.scan().plan_files())


def local_paths(files: list[str]) -> list[str]:
    return [f.removeprefix("file://") for f in files]


def aggregate_plan(db: Database, collection: str) -> list[tuple[str, str, FieldType | None]]:
    """(fn, column, type) of every aggregate compared: count, and per field by its type."""
    coll = db.collection(collection)
    plan: list[tuple[str, str, FieldType | None]] = [("count", "*", None)]
    for f in coll.top_fields():
        assert f.column is not None
        if f.type in NUMERIC:
            plan += [("sum", f.column, f.type), ("min", f.column, f.type)]
            plan += [("max", f.column, f.type)]
        elif f.type is FieldType.TIMESTAMP:
            plan += [("min", f.column, f.type), ("max", f.column, f.type)]
        elif f.type in (FieldType.TEXT, FieldType.BOOL):
            plan.append(("count_distinct", f.column, f.type))
    return plan


def thermodb_answers(db: Database, collection: str) -> list[Any]:
    coll = db.collection(collection)
    path = {f.column: f.path for f in coll.top_fields()}
    plan = aggregate_plan(db, collection)
    aggregates = [
        {"fn": fn} if fn == "count" else {"fn": fn, "field": path[column]} for fn, column, _ in plan
    ]
    result = db.query({"collection": collection, "aggregates": aggregates})
    return [_norm(v) for v in result.rows[0]]


def duckdb_answers(db: Database, collection: str) -> list[Any]:
    plan = aggregate_plan(db, collection)
    files = local_paths(data_files(db, collection))
    exprs = [_sql(fn, column) for fn, column, _ in plan]
    with duckdb.connect() as con:
        row = con.execute(
            f"SELECT {', '.join(exprs)} FROM read_parquet(?, union_by_name = true)", [files]
        ).fetchone()
    assert row is not None
    return [_norm(v) for v in row]


def daft_answers(db: Database, collection: str) -> list[Any]:
    plan = aggregate_plan(db, collection)
    frame = daft.read_parquet(local_paths(data_files(db, collection)))
    exprs = []
    for i, (fn, column, _) in enumerate(plan):
        col = daft.col(column) if fn != "count" else None
        expr = (
            daft.lit(1).count()
            if col is None
            else {
                "sum": col.sum(),
                "min": col.min(),
                "max": col.max(),
                "count_distinct": col.count_distinct(),
            }[fn]
        )
        exprs.append(expr.alias(f"a{i}"))
    row = frame.agg(*exprs).to_pydict()
    return [_norm(row[f"a{i}"][0]) for i in range(len(plan))]


def iceberg_answers(db: Database, collection: str) -> list[Any]:
    """The same aggregates over pyiceberg's scan (the table's schema, not the files')."""
    table: pa.Table = load_table(db, collection).scan().to_arrow()
    out: list[Any] = []
    for fn, column, _ in aggregate_plan(db, collection):
        if fn == "count":
            out.append(table.num_rows)
            continue
        values = table.column(column)
        if fn == "count_distinct":
            out.append(pc.count_distinct(values).as_py())
        else:
            out.append(_norm(getattr(pc, fn)(values).as_py()))
    return out


def _sql(fn: str, column: str) -> str:
    if fn == "count":
        return "count(*)"
    if fn == "count_distinct":
        return f'count(DISTINCT "{column}")'
    return f'{fn}("{column}")'


def _norm(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, float):
        return round(value, 6)
    return value
