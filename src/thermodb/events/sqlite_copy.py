"""The outbox's fast path on SQLite: events of appended rows built by SQLite itself.

For a keyless collection an ingest batch is a plain INSERT, and SQLite gives the new rows
the row ids after the largest (``_rid`` is an INTEGER PRIMARY KEY, and a writer holds the
database alone), so the batch is exactly the last ``n`` row ids. One ``INSERT ... SELECT``
then writes their events, each payload built in SQL with the same JSON the Python path
writes: text through ``json_quote``, integers as they are, floats with 17 significant
digits (which read back as the same double), JSON columns as their stored text, booleans
as ``true``/``false``, nulls left out. Nothing of the batch passes through Python again.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from sqlalchemy.engine import Connection

from thermodb.catalog.model import Collection
from thermodb.catalog.types import FieldType
from thermodb.storage.operational import ROW_ID, OperationalStore

__all__ = ["appended_events_sql"]


def _value_sql(column: str, ftype: FieldType) -> str:
    if ftype is FieldType.JSON:
        return column
    if ftype is FieldType.BOOL:
        return f"CASE WHEN {column} THEN 'true' ELSE 'false' END"
    if ftype is FieldType.INT:
        return f"CAST({column} AS TEXT)"
    if ftype is FieldType.FLOAT:
        # a float column can hold integers that SQLite stored as such; print those as they are
        return (
            f"CASE typeof({column}) WHEN 'integer' THEN CAST({column} AS TEXT) "
            f"ELSE printf('%!.17g', {column}) END"
        )
    return f"json_quote({column})"


def appended_events_sql(
    store: OperationalStore, coll: Collection, columns: Sequence[str]
) -> str | None:
    """The INSERT ... SELECT for the events of a batch of appended rows (None: not possible)."""
    by_column = {f.column: f for f in coll.top_fields() if f.column}
    parts = []
    for column in columns:
        f = by_column.get(column)
        if f is None:
            return None
        quoted = store.quote(column)
        name = orjson.dumps(f.path).decode().replace("'", "''")
        value = _value_sql(quoted, f.type)
        parts.append(f"CASE WHEN {quoted} IS NULL THEN '' ELSE ',{name}:' || {value} END")
    body = " || ".join(parts) if parts else "''"
    return (
        "INSERT INTO thermo_events (id, at, collection, key, op, schema_version, payload) "
        f"SELECT {ROW_ID} + :offset, :at, :collection, NULL, 'insert', :version, "
        f"'{{' || substr({body}, 2) || '}}' "
        f"FROM {store.quote(coll.name)} WHERE {ROW_ID} > :after ORDER BY {ROW_ID}"
    )


def last_row_id(conn: Connection, store: OperationalStore, coll: Collection) -> int:
    return int(
        conn.exec_driver_sql(f"SELECT max({ROW_ID}) FROM {store.quote(coll.name)}").scalar() or 0
    )
