"""Queries across tiers: the planner's compiled statement, run by DuckDB over warm + cold.

For a query that touches cold segments, the rows of each collection it reads are gathered
from both tiers in parallel: the warm rows from the operational store (pruned by the
query's time range) and the cold rows straight from the Parquet files (segments pruned by
time range; keys tombstoned for a segment left out). DuckDB presents each collection as one
relation of today's schema (older segments are cast up; missing columns are null) and runs
the *same* SELECT the planner compiles, compiled for DuckDB. Every QuerySpec feature
(filters, buckets, percentiles, distinct counts, having, order, limit, semi-joins across
collections) therefore means exactly what it means on the operational store, and because a
record lives in exactly one place the answer is identical before and after any move.

This is the "merge in the engine" strategy: the partial results are merged by DuckDB as a
UNION ALL of the tiers, rather than by summing partial aggregates in Python. On a SQLite
file DuckDB reads the warm rows in place (``sqlite_scan``); elsewhere they are shipped as
Arrow tables, the columns the query reads only.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import sqlalchemy as sa

from thermodb.catalog.model import Collection
from thermodb.catalog.store import Catalog
from thermodb.catalog.types import FieldType
from thermodb.errors import QueryError
from thermodb.query.spec import QuerySpec
from thermodb.storage.backends.duckdb.backend import DUCK_TYPES, DuckDBBackend
from thermodb.storage.backends.duckdb.extensions import prepare_connection
from thermodb.storage.columns import format_timestamp
from thermodb.storage.operational import ROW_ID
from thermodb.tiers.rowsets import rows_to_table
from thermodb.tiers.segments import Segment

if TYPE_CHECKING:
    from thermodb.query.result import Result
    from thermodb.tiers.manager import Tiers

__all__ = ["TierPlan", "open_tier_views", "plan_tiers", "run_across_tiers"]

_RAW_ARROW = {
    FieldType.BOOL: pa.int64(),
    FieldType.INT: pa.int64(),
    FieldType.FLOAT: pa.float64(),
    FieldType.TEXT: pa.string(),
    FieldType.TIMESTAMP: pa.string(),
    FieldType.JSON: pa.string(),
}
"""How SQLite hands each type to us, unconverted (the DuckDB view casts it)."""


@dataclass
class TierPlan:
    """Which segments of which collections a query reads, and which it pruned."""

    segments: dict[str, list[Segment]] = field(default_factory=dict)
    pruned: dict[str, int] = field(default_factory=dict)

    @property
    def touches_cold(self) -> bool:
        return any(self.segments.values())


def plan_tiers(tiers: Tiers, catalog: Catalog, spec: QuerySpec) -> TierPlan:
    """The cold segments a query must read: all of its collections', pruned by time range."""
    plan = TierPlan()
    names = [spec.collection, *(link.collection for link in spec.links)]
    for name in dict.fromkeys(names):
        catalog.get(name)
        segs = tiers.segments.segments(name)
        start = end = None
        if name == spec.collection and spec.time is not None:
            coll = catalog.get(name)
            if spec.time.field in (None, coll.time_field):
                start, end = spec.time.start, spec.time.end
        kept = [s for s in segs if s.overlaps(start, end)]
        plan.segments[name] = kept
        plan.pruned[name] = len(segs) - len(kept)
    return plan


def run_across_tiers(
    tiers: Tiers,
    catalog: Catalog,
    spec: QuerySpec,
    plan: TierPlan | None = None,
    *,
    include_warm: bool = True,
) -> Result:
    """Answer ``spec`` over the warm and cold rows of every collection it reads.

    ``include_warm=False`` reads the cold segments alone (the cold half of a pushed-down
    partial aggregate).
    """
    import duckdb

    from thermodb.query.compile import compile_spec
    from thermodb.query.result import Result, convert_rows

    started = time.perf_counter()
    plan = plan or plan_tiers(tiers, catalog, spec)
    duck = tiers.duckdb
    backend = duck.backend
    compiled = compile_spec(spec, catalog, tiers.store, backend)
    sql, params = backend.render(compiled.statement)
    timings: dict[str, float] = {}
    conn = duck.cursor()  # its own connection: temp views stay private
    in_place = include_warm and duck.scans_warm
    try:
        needed = _referenced_columns(compiled.statement)
        if in_place:
            warm: dict[str, Any] = {
                name: _WarmScan(duck.warm_relation(name), _time_bounds(catalog, spec, name))
                for name in plan.segments
            }
            hidden = _tombstones(tiers, plan)
            cold_sources = {
                name: _cold_sources(tiers, segs) for name, segs in plan.segments.items()
            }
        else:
            with ThreadPoolExecutor(max_workers=2) as pool:
                warm_job = pool.submit(
                    _warm_tables, tiers, catalog, spec, plan, include_warm, needed
                )
                cold_started = time.perf_counter()
                hidden = _tombstones(tiers, plan)
                cold_sources = {
                    name: _cold_sources(tiers, segs) for name, segs in plan.segments.items()
                }
                timings["cold_prepare_ms"] = (time.perf_counter() - cold_started) * 1000
                warm, timings["warm_ms"] = warm_job.result()
        for name in plan.segments:
            _create_view(
                conn, backend, catalog.get(name), warm[name], cold_sources[name], hidden, needed
            )
        run_started = time.perf_counter()
        rows = conn.execute(sql, params).fetchall()
        timings["duckdb_ms"] = (time.perf_counter() - run_started) * 1000
    except duckdb.Error as exc:
        raise QueryError(f"the query could not run across tiers: {exc}") from exc
    finally:
        conn.close()
    converted = convert_rows(rows, [c.converter for c in compiled.columns])
    explain = {
        "tiers": ["warm", "cold"] if include_warm else ["cold"],
        "collections": list(plan.segments),
        "segments_read": {n: len(s) for n, s in plan.segments.items()},
        "segments_pruned": plan.pruned,
        "warm": "read in place (sqlite_scan)" if in_place else "shipped as Arrow",
        "warm_rows": {n: t.num_rows for n, t in warm.items() if isinstance(t, pa.Table)},
        "sql": sql,
        "merge": "union of warm and cold rows in DuckDB" if include_warm else "none",
        "timings": {k: round(v, 3) for k, v in timings.items()}
        | {"total_ms": round((time.perf_counter() - started) * 1000, 3)},
    }
    return Result([c.name for c in compiled.columns], converted, explain, False)


def open_tier_views(tiers: Tiers, catalog: Catalog, names: Iterable[str]) -> Any:
    """A private DuckDB connection where each named collection is a view of all its rows.

    Each view holds the warm rows plus the live cold rows (tombstones honoured), every
    field as a column named like the operational store's. All data is registered as
    Arrow tables, then external access is switched off and the configuration locked, so
    the statements run on it (read-only SQL written by users) cannot read or write files.
    The caller closes the connection.
    """
    import duckdb

    plan = TierPlan(segments={name: tiers.segments.segments(name) for name in names})
    needed = {
        name: {f.column for f in catalog.get(name).top_fields() if f.column}
        for name in plan.segments
    }
    backend = tiers.duckdb.backend
    conn = duckdb.connect()  # no extension loaded: user SQL reaches no file at all
    try:
        prepare_connection(conn)
        warm, _ = _warm_tables(tiers, catalog, None, plan, True, needed)
        hidden = _tombstones(tiers, plan)
        for name, segs in plan.segments.items():
            cold = [(seg, tiers.cold.read(seg.location)) for seg in segs]
            _create_view(conn, backend, catalog.get(name), warm[name], cold, hidden, needed)
        conn.execute("SET enable_external_access = false")
        conn.execute("SET lock_configuration = true")
    except BaseException:
        conn.close()
        raise
    return conn


@dataclass(frozen=True)
class _WarmScan:
    """Warm rows DuckDB reads in place: the scan, and the time range to keep."""

    relation: str
    bounds: tuple[str, str | None, str | None] | None
    """(column, start, end) as canonical time text, or None for every row."""


def _time_bounds(
    catalog: Catalog, spec: QuerySpec, name: str
) -> tuple[str, str | None, str | None] | None:
    coll = catalog.get(name)
    tf = coll.fields.get(coll.time_field or "")
    rng = spec.time if name == spec.collection else None
    if rng is None or tf is None or tf.column is None or rng.field not in (None, coll.time_field):
        return None
    from thermodb.query.filters import to_datetime

    def text(value: Any) -> str | None:
        return None if value is None else format_timestamp(to_datetime(value))

    return tf.column, text(rng.start), text(rng.end)


def _referenced_columns(statement: Any) -> dict[str, set[str]]:
    """The columns of each collection table a compiled statement reads (for projection)."""
    from sqlalchemy.sql import visitors

    out: dict[str, set[str]] = {}
    for element in visitors.iterate(statement):
        if isinstance(element, sa.Column) and element.table is not None:
            base = getattr(element.table, "element", element.table)
            name = getattr(base, "name", None)
            if isinstance(name, str):
                out.setdefault(name, set()).add(element.name)
    return out


def _warm_tables(
    tiers: Tiers,
    catalog: Catalog,
    spec: QuerySpec | None,
    plan: TierPlan,
    include: bool = True,
    needed: dict[str, set[str]] | None = None,
) -> tuple[dict[str, pa.Table], float]:
    """Each collection's warm rows (in the time range, for the queried collection).

    On SQLite only the columns the query reads are fetched (the driver's per-value cost is
    most of a warm scan); PostgreSQL rows come whole.
    """
    started = time.perf_counter()
    out: dict[str, pa.Table] = {}
    with tiers.store.read() as conn:
        for name in plan.segments:
            coll = catalog.get(name)
            if not include:
                out[name] = rows_to_table(coll, [])
                continue
            table = tiers.store.table(coll)
            query = sa.select(table)
            tf = coll.fields.get(coll.time_field or "")
            rng = spec.time if spec is not None and name == spec.collection else None
            if rng is not None and tf and tf.column and rng.field in (None, coll.time_field):
                column = table.c[tf.column]
                if rng.start is not None:
                    query = query.where(column >= rng.start)
                if rng.end is not None:
                    query = query.where(column < rng.end)
            if tiers.store.backend.capabilities.timestamps_as_text:
                wanted = (needed or {}).get(name, set()) | {ROW_ID}
                query = query.with_only_columns(*(c for c in table.columns if c.name in wanted))
                out[name] = _sqlite_warm(coll, table, query, conn)
            else:
                out[name] = rows_to_table(coll, list(conn.execute(query).mappings()))
    return out, (time.perf_counter() - started) * 1000


def _sqlite_warm(coll: Collection, table: sa.Table, query: Any, conn: Any) -> pa.Table:
    """SQLite rows as stored (timestamps and JSON as text, booleans as 0/1), into Arrow.

    Skipping SQLAlchemy's per-value conversions (straight to the driver's cursor) is most of
    the cost of a warm scan; the view casts the text to TIMESTAMPTZ and JSON, and the
    integers to BOOLEAN, inside DuckDB, a column at a time.
    """
    compiled = query.compile(dialect=conn.dialect)
    params = compiled.construct_params()
    args = [
        format_timestamp(v) if isinstance(v, datetime) else v
        for v in (params[name] for name in compiled.positiontup or [])
    ]
    cursor = conn.connection.driver_connection.execute(str(compiled), args)
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    types = {f.column: f.type for f in coll.top_fields() if f.column}
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    arrays = [
        pa.array(list(values), type=_RAW_ARROW[types.get(name, FieldType.INT)])
        for name, values in zip(names, columns, strict=True)
    ]
    return pa.Table.from_arrays(arrays, names=names)


def _tombstones(tiers: Tiers, plan: TierPlan) -> dict[str, set[Any]]:
    ids = [s.id for segs in plan.segments.values() for s in segs]
    with tiers.store.read() as conn:
        return tiers.segments.tombstones(conn, ids)


def _cold_sources(tiers: Tiers, segments: list[Segment]) -> list[tuple[Segment, Any]]:
    """A DuckDB-readable source per segment: a local path, or an Arrow table (S3)."""
    out: list[tuple[Segment, Any]] = []
    for seg in segments:
        path = tiers.cold.duckdb_path(seg.location)
        out.append((seg, path if path is not None else tiers.cold.read(seg.location)))
    return out


def _create_view(
    conn: Any,
    backend: DuckDBBackend,
    coll: Collection,
    warm: pa.Table | _WarmScan,
    cold: list[tuple[Segment, Any]],
    hidden: dict[str, set[Any]],
    needed: dict[str, set[str]],
) -> None:
    """A temporary view named like the collection: warm rows UNION ALL live cold rows.

    Local segments of the same columns and no tombstones are read by one ``read_parquet``
    over the list of files (DuckDB scans them in parallel); the others one by one.
    """
    q = backend.quote
    wanted = needed.get(coll.name, set())
    fields = [f for f in coll.top_fields() if f.column in wanted]
    key = coll.fields.get(coll.key_field or "")
    if isinstance(warm, _WarmScan):
        present = {f.column: f.type.value for f in fields if f.column}
        where = ""
        if warm.bounds is not None:
            column, start, end = warm.bounds
            tests = [f"{q(column)} >= '{start}'"] if start else []
            tests += [f"{q(column)} < '{end}'"] if end else []
            where = " WHERE " + " AND ".join(tests) if tests else ""
        selects = [_select(backend, warm.relation, fields, present, where)]
    else:
        warm_name = f"__warm_{coll.name}"
        conn.register(warm_name, warm)
        present = {
            f.column: f.type.value for f in fields if f.column and f.column in warm.column_names
        }
        selects = [_select(backend, q(warm_name), fields, present, "")]
    groups: dict[str, tuple[dict[str, str], list[str]]] = {}
    for i, (seg, source) in enumerate(cold):
        gone = hidden.get(seg.id) or set()
        if isinstance(source, str) and not gone:
            signature = ",".join(f"{c}:{t}" for c, t in sorted(seg.columns.items()))
            groups.setdefault(signature, (seg.columns, []))[1].append(source)
            continue
        if isinstance(source, str):
            relation = f"read_parquet('{_sql_text(source)}')"
        else:
            relation = q(f"__cold_{coll.name}_{i}")
            conn.register(f"__cold_{coll.name}_{i}", source)
        where = ""
        if gone and key is not None and key.column in seg.columns:
            conn.register(f"__gone_{coll.name}_{i}", pa.table({"k": pa.array(sorted(gone))}))
            where = f" WHERE {q(key.column)} NOT IN (SELECT k FROM {q(f'__gone_{coll.name}_{i}')})"
        selects.append(_select(backend, relation, fields, seg.columns, where))
    for columns, paths in groups.values():
        files = ", ".join(f"'{_sql_text(p)}'" for p in paths)
        selects.append(_select(backend, f"read_parquet([{files}])", fields, columns, ""))
    conn.execute(f"CREATE OR REPLACE TEMP VIEW {q(coll.name)} AS " + " UNION ALL ".join(selects))


def _select(
    backend: DuckDBBackend,
    relation: str,
    fields: list[Any],
    present: dict[str, str],
    where: str,
) -> str:
    q = backend.quote
    columns = [f"CAST({q(ROW_ID)} AS BIGINT) AS {q(ROW_ID)}"]
    for f in fields:
        if f.column not in present:
            columns.append(f"CAST(NULL AS {DUCK_TYPES[f.type]}) AS {q(f.column)}")
        else:
            stored = FieldType(present[f.column])
            columns.append(f"{backend.widen_sql(q(f.column), stored, f.type)} AS {q(f.column)}")
    return f"SELECT {', '.join(columns)} FROM {relation}{where}"


def _sql_text(value: str) -> str:
    return value.replace("'", "''")
