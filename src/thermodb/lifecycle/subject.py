"""`export_subject`: everything held about one data subject, as one portable JSON document.

A subject is ``FIELD=VALUE`` (``email=ann@example.com``, ``user_id=12``): every collection
with that field (top-level or a dotted path into nested JSON) is asked for the records whose
field equals the value, through the query planner, so every tier is read (warm rows and
cold segments alike). The value is read as each collection's field type reads it (``12``
is a number where the field holds numbers, text where it holds text).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from thermodb.catalog.model import Collection
from thermodb.catalog.types import FieldType
from thermodb.errors import InputError

if TYPE_CHECKING:
    from thermodb.database import Database

__all__ = ["export_subject", "parse_subject"]

PAGE = 10_000


def parse_subject(text: str) -> tuple[str, str]:
    """``FIELD=VALUE`` as (field, value text); an InputError that shows the form otherwise."""
    field, sep, value = text.partition("=")
    if not sep or not field.strip() or not value:
        raise InputError(
            f"a subject is FIELD=VALUE, not {text!r}", hint="e.g. --subject email=ann@example.com"
        )
    return field.strip(), value


def _typed(coll: Collection, field: str, text: str) -> tuple[bool, Any]:
    """(whether the collection can hold this value in ``field``, the value typed for it)."""
    f = coll.fields.get(field)
    if f is None:
        return False, None
    try:
        if f.type is FieldType.INT:
            return True, int(text)
        if f.type is FieldType.FLOAT:
            return True, float(text)
    except ValueError:
        return False, None
    if f.type is FieldType.BOOL:
        lowered = text.lower()
        return lowered in ("true", "false"), lowered == "true"
    return True, text


def export_subject(db: Database, subject: str) -> dict[str, Any]:
    """Every record of every collection whose ``FIELD`` equals ``VALUE``, across tiers."""
    field, text = parse_subject(subject)
    out: dict[str, list[dict[str, Any]]] = {}
    for coll in db.collections():
        holds, value = _typed(coll, field, text)
        if not holds:
            continue
        records: list[dict[str, Any]] = []
        offset = 0
        while True:
            spec = {
                "collection": coll.name,
                "where": {"field": field, "op": "=", "value": value},
                "limit": PAGE,
                "offset": offset,
            }
            result = db.query(spec)
            records += [dict(zip(result.columns, row, strict=True)) for row in result.rows]
            if len(result.rows) < PAGE:
                break
            offset += PAGE
        if records:
            out[coll.name] = [{k: v for k, v in r.items() if v is not None} for r in records]
    return {
        "subject": {field: text},
        "exported_at": datetime.now(UTC).isoformat(),
        "records": sum(len(v) for v in out.values()),
        "collections": out,
    }
