"""The Iceberg schema of a collection's cold tier, and whether a table's schema still fits.

Columns are named as in the Parquet files (the collection's column names, plus ``_rid``,
thermodb's row id), all optional, typed by the collection's *current* schema. Field ids are
kept from the published table, so a new column is an ordinary Iceberg schema change.
thermodb widens int → float → text and anything → JSON; Iceberg can promote none of those
(only int → long, float → double), so a widened column means a new table generation
(:mod:`thermodb.lakehouse.publish`) and conformed copies of the segments written before.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyiceberg.schema import Schema
from pyiceberg.types import (
    BooleanType,
    DoubleType,
    IcebergType,
    LongType,
    NestedField,
    StringType,
    TimestamptzType,
)

from thermodb.catalog.model import Collection
from thermodb.catalog.types import FieldType
from thermodb.storage.operational import ROW_ID
from thermodb.tiers.segments import Segment

__all__ = ["columns_of", "fits", "iceberg_schema", "iceberg_type"]

_TYPES: dict[FieldType, IcebergType] = {
    FieldType.BOOL: BooleanType(),
    FieldType.INT: LongType(),
    FieldType.FLOAT: DoubleType(),
    FieldType.TEXT: StringType(),
    FieldType.TIMESTAMP: TimestamptzType(),
    FieldType.JSON: StringType(),
}
"""JSON values are canonical JSON text, as in the segments."""


def iceberg_type(ftype: FieldType) -> IcebergType:
    return _TYPES[ftype]


def columns_of(coll: Collection, segments: Iterable[Segment]) -> dict[str, FieldType]:
    """Every column of the table: the collection's, then any only old segments still hold."""
    out = {ROW_ID: FieldType.INT}
    out.update({f.column: f.type for f in coll.top_fields() if f.column})
    for seg in segments:
        for column, type_name in seg.columns.items():
            out.setdefault(column, FieldType(type_name))
    return out


def iceberg_schema(columns: dict[str, FieldType], existing: Schema | None) -> Schema:
    """The table schema: ids of ``existing`` kept for columns it has, new ids after them."""
    known = {f.name: f.field_id for f in existing.fields} if existing is not None else {}
    next_id = max([0, *known.values()]) + 1
    fields = []
    for name, ftype in columns.items():
        field_id = known.get(name)
        if field_id is None:
            field_id, next_id = next_id, next_id + 1
        fields.append(NestedField(field_id, name, iceberg_type(ftype), required=False))
    if existing is not None:  # a column no segment holds any more stays (all null)
        fields += [f for f in existing.fields if f.name not in columns]
    return Schema(*sorted(fields, key=lambda f: f.field_id))


def fits(existing: Schema, columns: dict[str, FieldType]) -> bool:
    """True when ``existing`` can become the wanted schema by adding columns alone."""
    for field in existing.fields:
        wanted = columns.get(field.name)
        if wanted is not None and (field.field_type != iceberg_type(wanted) or field.required):
            return False
    return True
