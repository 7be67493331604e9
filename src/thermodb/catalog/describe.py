"""The description of a collection that `describe` prints and the API returns."""

from __future__ import annotations

from typing import Any

from thermodb.catalog.model import Collection

__all__ = ["describe"]


def describe(coll: Collection, rows: int | None = None) -> dict[str, Any]:
    fields = []
    for f in sorted(coll.fields.values(), key=lambda f: f.path):
        fields.append(
            {
                "field": f.path,
                "type": str(f.type),
                "column": f.column,
                "null_fraction": round(coll.null_fraction(f), 4),
                "examples": f.examples[:3],
                "categorical": f.categories is not None and bool(f.categories),
                "since_version": f.since_version,
                **({"unit": f.unit} if f.unit else {}),
                **({"from_text": f.text_summary()} if f.from_text else {}),
                **({"text_note": f.text_note} if f.text_note else {}),
            }
        )
    return {
        "name": coll.name,
        "kind": coll.kind,
        "key_field": coll.key_field,
        "key_reason": coll.key_reason or ("set by hand" if "key_field" in coll.overrides else ""),
        "time_field": coll.time_field,
        "evolution": coll.evolution,
        "schema_version": coll.schema_version,
        "rows": rows,
        "records_ingested": coll.records,
        "fields": fields,
        "history": [
            {
                "version": c.version,
                "at": c.at.isoformat(),
                "added": dict(c.added),
                "widened": {k: [str(a), str(b)] for k, (a, b) in c.widened.items()},
                "note": c.note,
            }
            for c in coll.history
        ],
    }
