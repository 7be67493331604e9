"""Which segments the table can reference as they are, and conformed copies of the rest.

A segment is referenced in place when its file shows exactly what the table should: no
key of it is hidden by a tombstone, and every column it holds has the table's type.
Otherwise publishing writes a copy without the hidden rows and with widened columns
converted the way thermodb converts them when it reads a segment (int → float; bool, int,
float and timestamps → text; anything → JSON text). The copy's name carries a digest of
what made it, so the same segment in the same state always maps to the same copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from thermodb.catalog.types import FieldType, iso
from thermodb.errors import StorageError
from thermodb.tiers.segments import Segment, encode_key

__all__ = ["conform", "copy_digest", "copy_reasons"]

_ARROW: dict[FieldType, pa.DataType] = {
    FieldType.BOOL: pa.bool_(),
    FieldType.INT: pa.int64(),
    FieldType.FLOAT: pa.float64(),
    FieldType.TEXT: pa.string(),
    FieldType.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    FieldType.JSON: pa.string(),
}


def copy_reasons(seg: Segment, columns: dict[str, FieldType], hidden: set[Any]) -> list[str]:
    """Why this segment cannot be referenced in place (empty: it can)."""
    reasons = [
        f"{column} is {type_name} in the segment, {columns[column].value} now"
        for column, type_name in seg.columns.items()
        if column in columns and FieldType(type_name) is not columns[column]
    ]
    if hidden:
        reasons.append(f"{len(hidden)} rows hidden by later writes or deletes")
    return reasons


def copy_digest(seg: Segment, columns: dict[str, FieldType], hidden: set[Any]) -> str:
    """A short digest of everything a conformed copy depends on."""
    digest = hashlib.blake2b(digest_size=8)
    digest.update(seg.checksum.encode())
    for column in sorted(seg.columns):
        digest.update(f"\0{column}={columns.get(column, FieldType.JSON).value}".encode())
    for key in sorted(encode_key(k) for k in hidden):
        digest.update(b"\1" + key.encode())
    return digest.hexdigest()


def conform(
    table: pa.Table,
    seg: Segment,
    columns: dict[str, FieldType],
    hidden: set[Any],
    key_column: str | None,
) -> pa.Table:
    """The segment's rows as the table should show them."""
    if hidden and key_column is not None and key_column in table.column_names:
        keep = [value not in hidden for value in table.column(key_column).to_pylist()]
        table = table.filter(pa.array(keep, type=pa.bool_()))
    for column, type_name in seg.columns.items():
        source, target = FieldType(type_name), columns.get(column)
        if target is None or source is target or column not in table.column_names:
            continue
        i = table.column_names.index(column)
        converted = _convert(table.column(column), source, target)
        table = table.set_column(i, pa.field(column, _ARROW[target]), converted)
    return table


def _convert(values: pa.ChunkedArray, source: FieldType, target: FieldType) -> pa.Array:
    if target is FieldType.FLOAT and source is FieldType.INT:
        return pc.cast(values, pa.float64())
    convert = _TO_TEXT.get(source) if target is FieldType.TEXT else None
    if target is FieldType.JSON:
        convert = _to_json_text if source is not FieldType.JSON else None
    if convert is None:
        raise StorageError(
            f"cannot publish a {source.value} column as {target.value}",
            hint="report this: thermodb never widens a column that way",
        )
    return pa.array(
        [None if v is None else convert(v) for v in values.to_pylist()], type=_ARROW[target]
    )


def _to_json_text(value: Any) -> str:
    return orjson.dumps(value, default=_json_default, option=orjson.OPT_SORT_KEYS).decode()


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    raise TypeError(type(value).__name__)


_TO_TEXT: dict[FieldType, Callable[[Any], str]] = {
    FieldType.BOOL: lambda v: "true" if v else "false",
    FieldType.INT: str,
    FieldType.FLOAT: str,
    FieldType.TIMESTAMP: iso,
    FieldType.JSON: lambda v: v if isinstance(v, str) else _to_json_text(v),
}
"""The text thermodb itself gives such a value when a segment is read (rowsets)."""
