"""Rows ⇄ Arrow tables for cold segments, and the checksum that verifies a move.

A segment holds a collection's columns as they stood when it was written, plus the internal
row id ``_rid`` (the switch of a demote deletes exactly the snapshot's row ids). JSON values
are stored as canonical text (sorted keys) so the same record always has the same bytes.

The checksum is computed over an Arrow table, whatever it was built from: the rows read
from the operational store, or the file read back. Equal checksums mean equal content,
column by column, in row-id order.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from thermodb.catalog.model import Collection
from thermodb.catalog.types import FieldType, iso
from thermodb.storage.operational import ROW_ID

__all__ = [
    "arrow_schema",
    "records_from_table",
    "rows_to_table",
    "storage_rows",
    "table_checksum",
]

_ARROW: dict[FieldType, pa.DataType] = {
    FieldType.BOOL: pa.bool_(),
    FieldType.INT: pa.int64(),
    FieldType.FLOAT: pa.float64(),
    FieldType.TEXT: pa.string(),
    FieldType.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    FieldType.JSON: pa.string(),
}


def arrow_schema(collection: Collection) -> pa.Schema:
    fields = [pa.field(ROW_ID, pa.int64(), nullable=False)]
    fields += [pa.field(f.column, _ARROW[f.type]) for f in collection.top_fields() if f.column]
    return pa.schema(fields)


def column_types(collection: Collection) -> dict[str, str]:
    """Column → field type, as recorded with a segment (its schema when written)."""
    return {f.column: f.type.value for f in collection.top_fields() if f.column}


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def rows_to_table(collection: Collection, rows: Sequence[Mapping[Any, Any]]) -> pa.Table:
    """An Arrow table from rows read through the collection's SQLAlchemy table."""
    schema = arrow_schema(collection)
    types = {f.column: f.type for f in collection.top_fields() if f.column}
    arrays = []
    for fld in schema:
        values = [r[fld.name] for r in rows]
        if types.get(fld.name) is FieldType.JSON:
            values = [_json_text(v) for v in values]
        elif types.get(fld.name) is FieldType.TEXT:
            values = [v if v is None or isinstance(v, str) else str(v) for v in values]
        arrays.append(pa.array(values, type=fld.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def table_checksum(table: pa.Table) -> str:
    """A content hash: column names and values in row order (independent of file layout).

    Each column is hashed from canonical bytes (a null mask, then the values with nulls
    filled, string lengths and bytes), so chunking, offsets and validity-buffer layout of
    two tables with equal content never change the hash.
    """
    digest = hashlib.blake2b(digest_size=20)
    for name in sorted(table.column_names):
        digest.update(name.encode() + b"\x00")
        column = table.column(name)
        array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
        _digest_array(digest, array)
    return digest.hexdigest()


def _digest_array(digest: Any, array: pa.Array) -> None:
    digest.update(_fixed_bytes(pc.is_null(array).cast(pa.int8()), 1))
    kind = array.type
    if pa.types.is_boolean(kind):
        digest.update(_fixed_bytes(pc.fill_null(array, False).cast(pa.int8()), 1))
    elif pa.types.is_string(kind):
        filled = pc.fill_null(array, "")
        digest.update(_fixed_bytes(pc.binary_length(filled).cast(pa.int32()), 4))
        offsets, data = filled.buffers()[1], filled.buffers()[2]
        if offsets is not None and data is not None and len(filled):
            first, last = (
                struct.unpack_from("<i", offsets, filled.offset * 4)[0],
                (struct.unpack_from("<i", offsets, (filled.offset + len(filled)) * 4)[0]),
            )
            digest.update(memoryview(data)[first:last])
    elif kind.bit_width in (32, 64) and (
        pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_timestamp(kind)
    ):
        zero = pa.scalar(0, type=kind) if not pa.types.is_timestamp(kind) else None
        filled = (
            pc.fill_null(array, zero)
            if zero is not None
            else pc.fill_null(array.cast(pa.int64()), 0)
        )
        digest.update(_fixed_bytes(filled, filled.type.bit_width // 8))
    else:  # anything else: slower, but exact
        digest.update(orjson.dumps(array.to_pylist(), default=str))


def _fixed_bytes(array: pa.Array, width: int) -> memoryview:
    data = array.buffers()[1]
    assert data is not None
    return memoryview(data)[array.offset * width : (array.offset + len(array)) * width]


def _to_json_value(value: Any, ftype: FieldType | None) -> Any:
    if value is None:
        return None
    if ftype is FieldType.JSON and isinstance(value, str):
        return orjson.loads(value)
    if isinstance(value, datetime):
        return iso(value)
    if ftype is FieldType.TEXT and not isinstance(value, str):
        return _as_text(value)
    if ftype is FieldType.FLOAT and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def records_from_table(collection: Collection, table: pa.Table) -> list[dict[str, Any]]:
    """JSON records (as `get` returns them) from a segment's rows, typed by today's schema."""
    by_column = {f.column: f for f in collection.top_fields() if f.column}
    out = []
    for row in table.to_pylist():
        record: dict[str, Any] = {}
        for column, value in row.items():
            f = by_column.get(column)
            if f is None or value is None:
                continue
            record[f.path] = _to_json_value(value, f.type)
        out.append(record)
    return out


def storage_rows(
    collection: Collection, table: pa.Table, timestamp_value: Any
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Columns and tuples ready for the operational store's bulk insert (promotion)."""
    by_column = {f.column: f for f in collection.top_fields() if f.column}
    # rows get new row ids: SQLite reuses the ids of deleted rows, so old ones may be taken
    columns = [c for c in table.column_names if c in by_column]
    converters = [_storage_converter(by_column[c].type, timestamp_value) for c in columns]
    data = [table.column(c).to_pylist() for c in columns]
    rows = (
        [
            tuple(conv(v) for conv, v in zip(converters, values, strict=True))
            for values in zip(*data, strict=True)
        ]
        if data
        else []
    )
    return columns, rows


def _storage_converter(ftype: FieldType | None, timestamp_value: Any) -> Any:
    def convert(value: Any) -> Any:
        if value is None or ftype is None:
            return value
        if ftype is FieldType.TIMESTAMP and isinstance(value, datetime):
            return timestamp_value(value)
        if ftype is FieldType.TEXT and not isinstance(value, str):
            return iso(value) if isinstance(value, datetime) else _as_text(value)
        if ftype is FieldType.JSON and not isinstance(value, str):
            return orjson.dumps(value, default=str).decode()
        if ftype is FieldType.FLOAT and isinstance(value, int):
            return float(value)
        return value

    return convert
