"""Changing a field's type or name by hand: `thermodb alter --type` and `--rename-field`.

Inference types a field from the values it has seen; a person may know better (``zip`` is
text, ``year`` a number). A type change converts every stored value with the rules ingest
uses for values written as text (:mod:`thermodb.ingest.written`) and refuses, saying which
values and how many, when one does not convert; ``dry_run`` reports the same without
changing anything. The column is rebuilt (add, fill, drop, rename, re-index) in one
transaction, so a refused or failed change leaves the collection as it was.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thermodb.catalog.model import Collection, Field, SchemaChange
from thermodb.catalog.store import Catalog
from thermodb.catalog.types import FieldType, iso
from thermodb.errors import ConfigError, SchemaError
from thermodb.ingest.inference import epoch_to_datetime, parse_timestamp
from thermodb.ingest.validation import Limits, RecordChecker, RecordProblem
from thermodb.ingest.values import converter
from thermodb.ingest.written import read_text
from thermodb.records import json_value
from thermodb.storage.columns import sql_type
from thermodb.storage.operational import OperationalStore

__all__ = ["TypeChange", "change_type", "convert_value", "rename_field"]

_MAX_SHOWN = 5


class _NoConversion(Exception):
    """A value that the target type cannot hold."""


@dataclass
class TypeChange:
    """What a type change did (or, in a dry run, would do)."""

    collection: str
    field: str
    old: FieldType
    new: FieldType
    values: int = 0
    """Non-null values checked."""
    failed: int = 0
    failures: list[Any] = dataclasses.field(default_factory=list)
    """Some of the values that do not convert."""
    unit: str | None = None
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "field": self.field,
            "from": str(self.old),
            "to": str(self.new),
            "values": self.values,
            "failed": self.failed,
            "failures": self.failures,
            "unit": self.unit,
            "dry_run": self.dry_run,
            "changed": not self.dry_run and not self.failed,
        }


def convert_value(value: Any, target: FieldType) -> tuple[Any, str | None]:
    """A JSON value as ``target`` holds it, and the unit its text carried (if any);
    raises _NoConversion when it cannot (``"abc"`` as an int, ``2.5`` as an int)."""
    if target is FieldType.JSON:
        return value, None
    if target is FieldType.TEXT:
        if isinstance(value, str):
            return value, None
        if isinstance(value, bool):
            return ("true" if value else "false"), None
        if isinstance(value, dict | list):
            return orjson.dumps(value).decode(), None
        return str(value), None
    reading_unit: str | None = None
    if isinstance(value, str):
        moment = parse_timestamp(value, allow_epoch=False)
        reading = read_text(value)
        if target is FieldType.TIMESTAMP and moment is not None:
            return moment, None
        if reading is None or reading.type is None:
            raise _NoConversion
        value, reading_unit = reading.value, reading.unit
    if target is FieldType.BOOL:
        if isinstance(value, bool):
            return value, reading_unit
        if isinstance(value, int) and value in (0, 1):
            return bool(value), reading_unit
        raise _NoConversion
    if isinstance(value, bool):
        raise _NoConversion  # true is not the number 1 here
    if target is FieldType.TIMESTAMP:
        if isinstance(value, datetime):
            return value, None
        if isinstance(value, int | float):
            moment = epoch_to_datetime(value)
            if moment is not None:
                return moment, None
        raise _NoConversion
    if not isinstance(value, int | float):
        raise _NoConversion
    if target is FieldType.INT:
        if isinstance(value, float):
            if not math.isfinite(value) or not value.is_integer():
                raise _NoConversion
            value = int(value)
        if not -(2**63) <= value < 2**63:
            raise _NoConversion
        return value, reading_unit
    return float(value) + 0.0, reading_unit


def change_type(
    catalog: Catalog,
    store: OperationalStore,
    name: str,
    path: str,
    target_name: str,
    *,
    dry_run: bool = False,
    has_cold_rows: bool = False,
) -> TypeChange:
    """Give a top-level field another type, converting every stored value (see above)."""
    try:
        target = FieldType(target_name)
    except ValueError:
        raise ConfigError(
            f"{target_name!r} is not a type",
            hint=f"types: {', '.join(t.value for t in FieldType)}",
        ) from None
    coll = catalog.get(name).model_copy(deep=True)
    f = _top_field(coll, path)
    report = TypeChange(coll.name, f.path, f.type, target, dry_run=dry_run)
    if f.type is target:
        return report
    if has_cold_rows:
        raise SchemaError(
            f"{coll.name!r} has cold segments, whose files hold {f.path!r} as {f.type}",
            hint="promote them first, or change the type before they cool",
        )
    assert f.column is not None
    with store.begin() as conn:
        table = store.table(coll)
        rows = conn.execute(sa.select(table.c["_rid"], table.c[f.column])).all()
        converted: list[tuple[int, Any]] = []
        units: set[str] = set()
        for rid, stored in rows:
            if stored is None:
                continue
            value = json_value(stored, f.type)
            if f.type is FieldType.JSON and isinstance(value, str):
                value = orjson.loads(value)
            report.values += 1
            try:
                typed, unit = convert_value(value, target)
            except _NoConversion:
                report.failed += 1
                if len(report.failures) < _MAX_SHOWN:
                    report.failures.append(value)
                continue
            if unit is not None:
                units.add(unit)
            converted.append((rid, typed))
        if len(units) > 1:
            report.failed += 1
            report.failures.append(f"values in several units: {', '.join(sorted(units))}")
        report.unit = units.pop() if len(units) == 1 else None
        if dry_run:
            return report
        if report.failed:
            shown = ", ".join(repr(v) for v in report.failures)
            raise SchemaError(
                f"{report.failed} of {report.values} values of {f.path!r} do not convert to "
                f"{target} (such as {shown})",
                hint="fix or remove those records first, or choose a type that holds them "
                "(--dry-run lists them without changing anything)",
            )
        if f.path == coll.key_field:
            _check_unique_key(f.path, [v for _, v in converted])
        _rebuild_column(conn, store, coll, f, target, converted)
        change = SchemaChange(
            version=coll.schema_version + 1,
            at=datetime.now(UTC),
            widened={f.path: (f.type, target)},
            note=f"{f.path}: type set by hand ({f.type} → {target})",
        )
        f.type = target
        f.unit = report.unit if target.is_numeric else None
        f.text_note = ""
        _restat(f, [v for _, v in converted])
        if coll.time_field == f.path and target is not FieldType.TIMESTAMP:
            coll.time_field = None
            change.note += f"; {f.path} is no longer the time field"
        coll.schema_version = change.version
        coll.history.append(change)
        store.forget(coll.name)
        store.ensure_key_index(conn, coll)
        catalog.save(conn, coll)
    return report


def _top_field(coll: Collection, path: str) -> Field:
    f = coll.resolve(path)
    if f is None or f.column is None:
        top = ", ".join(sorted(x.path for x in coll.top_fields()))
        raise SchemaError(
            f"{path!r} is not a top-level field of {coll.name!r}",
            hint=f"only top-level fields have a column to change; fields: {top}",
        )
    return f


def _check_unique_key(path: str, values: list[Any]) -> None:
    seen = {iso(v) if isinstance(v, datetime) else v for v in values}
    if len(seen) != len(values):
        raise SchemaError(
            f"{path!r} is the key, and {len(values) - len(seen)} of its values would repeat "
            "after the change",
            hint="change the key first (`thermodb alter NAME --key FIELD`)",
        )


def _rebuild_column(
    conn: Connection,
    store: OperationalStore,
    coll: Collection,
    f: Field,
    target: FieldType,
    converted: list[tuple[int, Any]],
) -> None:
    """Add a column of the new type, fill it, drop the old one, take its name and indexes."""
    assert f.column is not None
    q = store.quote
    table, column, tmp = coll.name, f.column, f"{f.column}__retype"
    indexes = [ix for ix in sa.inspect(conn).get_indexes(table) if column in ix["column_names"]]
    for ix in indexes:
        conn.exec_driver_sql(f"DROP INDEX {q(str(ix['name']))}")
    coltype = sql_type(target).compile(dialect=conn.dialect)
    conn.exec_driver_sql(f"ALTER TABLE {q(table)} ADD COLUMN {q(tmp)} {coltype}")
    if converted:
        to_storage = converter(target, store)
        params = [{"v": to_storage(target, value), "r": rid} for rid, value in converted]
        update = sa.text(f"UPDATE {q(table)} SET {q(tmp)} = :v WHERE {q('_rid')} = :r")
        conn.execute(update, params)
    conn.exec_driver_sql(f"ALTER TABLE {q(table)} DROP COLUMN {q(column)}")
    conn.exec_driver_sql(f"ALTER TABLE {q(table)} RENAME COLUMN {q(tmp)} TO {q(column)}")
    for ix in indexes:
        if ix["name"] == store.key_index_name(coll.name):
            continue  # ensure_key_index makes it again
        cols = ", ".join(q(str(c)) for c in ix["column_names"])
        unique = "UNIQUE " if ix.get("unique") else ""
        conn.exec_driver_sql(f"CREATE {unique}INDEX {q(str(ix['name']))} ON {q(table)} ({cols})")


def _restat(f: Field, values: list[Any]) -> None:
    """Examples and categories of the converted values (counts stay)."""
    present, nulls = f.present, f.nulls
    f.examples, f.categories = [], {}
    f.present = f.nulls = 0
    f.observe_many(values)
    f.present, f.nulls = present, nulls


def rename_field(
    catalog: Catalog, store: OperationalStore, name: str, old: str, new: str
) -> Collection:
    """Give a top-level field a new name (its column, and so its data, stay as they are).

    Records ingested later under the old name make a new field of that name.
    """
    coll = catalog.get(name).model_copy(deep=True)
    f = _top_field(coll, old)
    if new in coll.fields:
        raise SchemaError(f"{coll.name!r} already has a field {new!r}")
    try:
        RecordChecker(Limits())._check_name(new, "")
    except RecordProblem as problem:
        raise ConfigError(str(problem)) from None
    if not new:
        raise ConfigError("a field needs a name", hint="give a non-empty name")
    from thermodb.catalog.naming import join_path, quote_segment

    prefix = quote_segment(f.path) + "."
    renamed: dict[str, Field] = {}
    for path, g in coll.fields.items():
        if g is f:
            g.path = new
        elif g.column is None and path.startswith(prefix):
            g.path = join_path((new, *g.segments[1:]))
        renamed[g.path] = g
    coll.fields = renamed
    for role in ("key_field", "time_field"):
        if getattr(coll, role) == old:
            setattr(coll, role, new)
            if coll.overrides.get(role) == old:
                coll.overrides[role] = new
    coll.history.append(
        SchemaChange(
            version=coll.schema_version + 1,
            at=datetime.now(UTC),
            note=f"field {old!r} renamed to {new!r} by hand",
        )
    )
    coll.schema_version += 1
    with store.begin() as conn:
        catalog.save(conn, coll)
    store.forget(coll.name)
    return coll
