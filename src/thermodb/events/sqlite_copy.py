"""The outbox's fast path on SQLite: the events of a batch built by SQLite itself.

Keyed collections: the batch's rows are found by their keys (``json_each`` over the keys in
batch order, joined on the key's unique index); a key written twice in one batch gives two
events, each with the record as the batch left it. Keyless collections: a batch is a plain
INSERT, and SQLite gives the new rows the row ids after the largest (``_rid`` is an INTEGER
PRIMARY KEY, and a writer holds the database alone), so the batch is exactly the last ``n``
row ids. Either way one ``INSERT ... SELECT`` writes the events, each payload built in SQL
with the same JSON the Python path writes: text through ``json_quote``, integers as they
are, floats with 17 significant digits (which read back as the same double), JSON columns
as their stored text, booleans as ``true``/``false``, nulls left out.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from sqlalchemy.engine import Connection

from thermodb.catalog.model import Collection
from thermodb.catalog.types import FieldType
from thermodb.storage.operational import ROW_ID, OperationalStore

__all__ = ["appended_events_sql", "last_row_id", "upserted_events_sql"]


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


def _payload_sql(
    store: OperationalStore, coll: Collection, columns: Sequence[str], table: str
) -> str | None:
    by_column = {f.column: f for f in coll.top_fields() if f.column}
    parts = []
    for column in columns:
        f = by_column.get(column)
        if f is None:
            return None
        quoted = f"{table}.{store.quote(column)}"
        name = orjson.dumps(f.path).decode().replace("'", "''")
        value = _value_sql(quoted, f.type)
        parts.append(f"CASE WHEN {quoted} IS NULL THEN '' ELSE ',{name}:' || {value} END")
    body = " || ".join(parts) if parts else "''"
    return f"'{{' || substr({body}, 2) || '}}'"


def appended_events_sql(
    store: OperationalStore, coll: Collection, columns: Sequence[str]
) -> str | None:
    """The INSERT ... SELECT for the events of a batch of appended rows (None: not possible)."""
    payload = _payload_sql(store, coll, columns, "t")
    if payload is None:
        return None
    return (
        "INSERT INTO thermo_events (id, at, collection, key, op, schema_version, payload) "
        f"SELECT t.{ROW_ID} + :offset, :at, :collection, NULL, 'insert', :version, {payload} "
        f"FROM {store.quote(coll.name)} AS t WHERE t.{ROW_ID} > :after ORDER BY t.{ROW_ID}"
    )


def upserted_events_sql(
    store: OperationalStore, coll: Collection, columns: Sequence[str]
) -> str | None:
    """The INSERT ... SELECT for the events of a batch of upserted rows, found by key.

    ``:keys`` is the batch's keys as a JSON array, in batch order: event ``:first + i`` is
    the record of the i-th key as it stands after the batch. Payloads above ``:limit``
    bytes are left out, with ``ref`` naming the record."""
    payload = _payload_sql(store, coll, columns, "t")
    key = coll.fields.get(coll.key_field or "")
    if payload is None or key is None or key.column is None:
        return None
    column = f"t.{store.quote(key.column)}"
    key_json = _value_sql(column, key.type)
    return (
        "INSERT INTO thermo_events (id, at, collection, key, op, schema_version, payload, ref) "
        "SELECT id, :at, :collection, key, 'upsert', :version, "
        "CASE WHEN length(p) > :limit THEN NULL ELSE p END, "
        "CASE WHEN length(p) > :limit THEN :ref || ref ELSE NULL END FROM ("
        f"SELECT :first + k.key AS id, {key_json} AS key, {payload} AS p, "
        f"CAST({column} AS TEXT) AS ref "
        f"FROM json_each(:keys) AS k JOIN {store.quote(coll.name)} AS t ON {column} = k.value"
        ") ORDER BY id"
    )


def last_row_id(conn: Connection, store: OperationalStore, coll: Collection) -> int:
    return int(
        conn.exec_driver_sql(f"SELECT max({ROW_ID}) FROM {store.quote(coll.name)}").scalar() or 0
    )
