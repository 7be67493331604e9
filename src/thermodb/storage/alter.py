"""Changing a collection's roles by hand: key field, time field, kind, evolution mode.

Inference picks these when a collection is created; a person can overrule it later. A new
key is checked against the stored rows (present and unique) before its unique index is
built, all in one transaction, so a refused change leaves the collection as it was.
"""

from __future__ import annotations

from typing import get_args

import sqlalchemy as sa

from thermodb.catalog.model import Collection, Field
from thermodb.catalog.store import Catalog
from thermodb.catalog.types import EvolutionMode, FieldType, Kind
from thermodb.errors import ConfigError, SchemaError
from thermodb.storage.operational import OperationalStore

__all__ = ["alter_collection"]

_KEY_TYPES = (FieldType.INT, FieldType.TEXT, FieldType.TIMESTAMP)


def alter_collection(
    catalog: Catalog,
    store: OperationalStore,
    name: str,
    *,
    key_field: str | None = None,
    time_field: str | None = None,
    kind: str | None = None,
    evolution: str | None = None,
    has_cold_rows: bool = False,
) -> Collection:
    """Apply the given changes (None leaves a setting as it is; a key field of "" removes
    the key) and return the collection."""
    coll = catalog.get(name).model_copy(deep=True)
    if kind is not None:
        if kind not in get_args(Kind):
            raise ConfigError(f"kind must be one of {', '.join(get_args(Kind))}, not {kind!r}")
        coll.kind = kind  # type: ignore[assignment]
        coll.overrides["kind"] = kind
    if evolution is not None:
        if evolution not in get_args(EvolutionMode):
            raise ConfigError(
                f"evolution must be one of {', '.join(get_args(EvolutionMode))}, not {evolution!r}"
            )
        coll.evolution = evolution  # type: ignore[assignment]
    if time_field is not None:
        f = _top_field(coll, time_field, "time field")
        if f.type is not FieldType.TIMESTAMP:
            raise SchemaError(
                f"{time_field!r} holds {f.type} values, not timestamps",
                hint="the time field dates each record; pick a timestamp field",
            )
        coll.time_field = time_field
        coll.overrides["time_field"] = time_field
    with store.begin() as conn:
        if key_field == "" and coll.key_field is not None:
            _drop_key(conn, store, coll, has_cold_rows)
        elif key_field and key_field != coll.key_field:
            _change_key(conn, store, coll, key_field, has_cold_rows)
        catalog.save(conn, coll)
    return coll


def _top_field(coll: Collection, path: str, role: str) -> Field:
    f = coll.fields.get(path)
    if f is None or f.column is None:
        top = ", ".join(sorted(p for p, x in coll.fields.items() if x.column))
        raise SchemaError(
            f"{path!r} is not a top-level field of {coll.name!r}, so it cannot be the {role}",
            hint=f"fields: {top}",
        )
    return f


def _drop_key(
    conn: sa.Connection, store: OperationalStore, coll: Collection, has_cold_rows: bool
) -> None:
    """No key: records are appended, never replaced (what an event collection does)."""
    if has_cold_rows:
        raise SchemaError(
            f"{coll.name!r} has cold segments, which are indexed by its current key",
            hint="promote them first (or change the key before they cool)",
        )
    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {store.quote(store.key_index_name(coll.name))}")
    coll.key_field = None
    coll.key_reason = "no key: set by hand (alter)"
    coll.overrides["key_field"] = None


def _change_key(
    conn: sa.Connection, store: OperationalStore, coll: Collection, path: str, has_cold_rows: bool
) -> None:
    f = _top_field(coll, path, "key")
    if f.type not in _KEY_TYPES:
        raise SchemaError(
            f"{path!r} holds {f.type} values; a key must be text, a number or a timestamp"
        )
    if has_cold_rows:
        raise SchemaError(
            f"{coll.name!r} has cold segments, which are indexed by its current key",
            hint="promote them first (or change the key before they cool)",
        )
    column = store.table(coll).c[str(f.column)]
    total, present, distinct = conn.execute(
        sa.select(sa.func.count(), sa.func.count(column), sa.func.count(sa.distinct(column)))
    ).one()
    if present != total:
        raise SchemaError(
            f"{total - present} records of {coll.name!r} have no {path!r}, so it cannot be the key"
        )
    if distinct != present:
        raise SchemaError(
            f"values of {path!r} repeat in {coll.name!r} ({present - distinct} "
            "duplicates), so it cannot be the key"
        )
    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {store.quote(store.key_index_name(coll.name))}")
    coll.key_field = path
    coll.key_reason = "set by hand (alter)"
    coll.overrides["key_field"] = path
    store.ensure_key_index(conn, coll)
