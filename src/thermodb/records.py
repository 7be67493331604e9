"""Turning stored rows back into JSON records, and user-given keys into stored values."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from thermodb.catalog.model import Collection
from thermodb.catalog.types import FieldType, iso
from thermodb.errors import InputError

__all__ = ["coerce_key", "iso", "json_value", "row_to_record"]


def json_value(value: Any, ftype: FieldType | None = None) -> Any:
    """A stored value as it reads in JSON."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return iso(value)
    if ftype is FieldType.TIMESTAMP and isinstance(value, str):
        return iso(datetime.fromisoformat(value))
    if ftype is FieldType.BOOL and isinstance(value, int):
        return bool(value)
    return value


def row_to_record(collection: Collection, row: Mapping[Any, Any]) -> dict[str, Any]:
    """A record (field name → JSON value) from a row keyed by column name."""
    out: dict[str, Any] = {}
    for f in collection.top_fields():
        if f.column is not None and row.get(f.column) is not None:
            out[f.path] = json_value(row[f.column], f.type)
    return out


def coerce_key(collection: Collection, key: Any) -> Any:
    """A key typed by a person (always text on the CLI) as the key field stores it."""
    field = collection.fields.get(collection.key_field or "")
    if field is None:
        raise InputError(
            f"collection {collection.name!r} has no key field, so records cannot be fetched by key",
            hint="query it with filters instead",
        )
    if field.type is FieldType.INT and isinstance(key, str):
        try:
            key = int(key)
        except ValueError:
            raise InputError(
                f"the key of {collection.name!r} ({field.path}) is a number, not {key!r}"
            ) from None
    if field.type is FieldType.INT and isinstance(key, int) and not -(2**63) <= key < 2**63:
        raise InputError(
            f"key {key} is out of range: the key of {collection.name!r} ({field.path}) is a "
            "64-bit integer"
        )
    if field.type is FieldType.TEXT and not isinstance(key, str):
        return str(key)
    return key
