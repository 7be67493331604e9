"""Typing ingested values and converting them to storage form, a batch column at a time.

This is the ingest hot path. A batch's records become one list per top-level field. A
field whose values all have one Python type that fits its current type (text in a text
field, ints in an int or float field...) is typed by one ``set(map(type, ...))`` with no
per-value work; time strings in a timestamp field are parsed in one comprehension; anything
else (a new field, mixed types, a widening) goes value by value through
:func:`typed_value`. Either way the result is what typing the records one at a time, in
order, gives: the same value types, the same widened field types.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain, repeat
from operator import methodcaller
from typing import Any

import orjson

from thermodb.catalog.model import Field
from thermodb.catalog.types import FieldType, widen
from thermodb.ingest.inference import epoch_to_datetime, looks_like_time_name, parse_timestamp
from thermodb.ingest.written import Reading, identifier_name, read_text, why_text
from thermodb.storage.columns import format_timestamp
from thermodb.storage.operational import OperationalStore

__all__ = [
    "NULL",
    "STABLE",
    "Column",
    "columns_from_typed",
    "leaf_type",
    "leaves_type",
    "read_field_text",
    "storage_rows",
    "time_of",
    "type_columns",
    "typed_value",
]

Typed = tuple[FieldType, Any]
Converter = Callable[[FieldType, Any], Any]
NULL: Typed = (FieldType.TEXT, None)
"""How a null value is typed (it never changes a field's type)."""
_NONE_TYPE = type(None)

STABLE: dict[tuple[type, FieldType | None], FieldType] = {
    (str, FieldType.TEXT): FieldType.TEXT,
    (str, FieldType.JSON): FieldType.JSON,
    (bool, FieldType.BOOL): FieldType.BOOL,
    (bool, FieldType.TEXT): FieldType.BOOL,
    (bool, FieldType.JSON): FieldType.BOOL,
    (int, FieldType.INT): FieldType.INT,
    (int, FieldType.FLOAT): FieldType.INT,
    (int, FieldType.TEXT): FieldType.INT,
    (int, FieldType.JSON): FieldType.INT,
    (float, FieldType.FLOAT): FieldType.FLOAT,
    (float, FieldType.TEXT): FieldType.FLOAT,
    (float, FieldType.JSON): FieldType.FLOAT,
    (dict, FieldType.JSON): FieldType.JSON,
    (list, FieldType.JSON): FieldType.JSON,
}
"""(Python type, field type) → the value's type, where the field keeps its type and the
value is stored as it is: what :func:`typed_value` returns for these, precomputed."""
_LEAF_TYPES: dict[type, FieldType] = {
    bool: FieldType.BOOL,
    int: FieldType.INT,
    float: FieldType.FLOAT,
    dict: FieldType.JSON,
    list: FieldType.JSON,
}
_PLAIN = frozenset({FieldType.BOOL, FieldType.INT, FieldType.FLOAT, FieldType.TEXT})
"""Column types whose values of the same type are stored as they are."""


# -- one value ------------------------------------------------------------------------------
def typed_value(
    value: Any, current: FieldType | None, time_name: bool
) -> tuple[FieldType | None, Any]:
    """The type of one value given the field's current type, and its parsed form."""
    t = type(value)
    if t is str:
        if current is FieldType.TEXT or current is FieldType.JSON:
            return current, value
        if value[:1].isdigit() and len(value) >= 10:
            parsed = parse_timestamp(value)
            if parsed is not None:
                return FieldType.TIMESTAMP, parsed
        return FieldType.TEXT, value
    if t is bool:
        return FieldType.BOOL, value
    if t is int or t is float:
        if current is FieldType.TIMESTAMP or (current is None and time_name):
            moment = epoch_to_datetime(value)
            if moment is not None:
                return FieldType.TIMESTAMP, moment
        return (FieldType.INT if t is int else FieldType.FLOAT), value
    if value is None:
        return None, None
    if t is dict or t is list:
        return FieldType.JSON, value
    if isinstance(value, datetime):
        return FieldType.TIMESTAMP, value if value.tzinfo else value.replace(tzinfo=UTC)
    return FieldType.TEXT, str(value)


def leaf_type(value: Any) -> FieldType | None:
    """The type of a nested leaf's value (leaves never read numbers as epoch times)."""
    vt, _ = typed_value(value, None, False)
    return vt


def time_of(text: str) -> datetime | None:
    """The moment a string names, as :func:`typed_value` reads strings."""
    if text[:1].isdigit() and len(text) >= 10:
        return parse_timestamp(text)
    return None


def leaves_type(values: list[Any], current: FieldType | None) -> FieldType:
    """The type of a nested leaf after these values: ``current`` widened by each in turn."""
    kinds = set(map(type, values))
    kinds.discard(_NONE_TYPE)
    if len(kinds) == 1 and current is not None:
        (pt,) = kinds
        if pt is str and current is FieldType.TEXT:
            return current
        only = _LEAF_TYPES.get(pt)
        if only is not None:  # one type whose values all type alike: widen once
            return widen(current, only)
    t = current
    for value in values:
        if t is FieldType.JSON:
            break
        if value is None:
            continue
        pt = type(value)
        if pt is str:
            if t is FieldType.TEXT:
                continue
            vt: FieldType | None = FieldType.TIMESTAMP if time_of(value) else FieldType.TEXT
        else:
            vt = _LEAF_TYPES.get(pt) or leaf_type(value)
        assert vt is not None
        t = vt if t is None else widen(t, vt)
    assert t is not None, "a leaf's values start with a non-null one"
    return t


# -- a batch, column by column --------------------------------------------------------------
@dataclass(slots=True)
class Column:
    """One top-level field's values in a batch, typed."""

    key: str
    values: list[Any]
    """The parsed value of each row; None where the field is null or absent."""
    kinds: list[FieldType | None] | None
    """Each row's value type; None when every non-null value has the type ``kind``."""
    kind: FieldType | None
    type: FieldType | None
    """The field's type after this batch (None: a new field that held only nulls)."""
    first: int
    """The row of the first non-null value (-1: none)."""
    absent: int
    """Rows without the field at all (the other None values are nulls)."""
    texts: list[str | None] | None = None
    """For timestamps read from text: each value's canonical text (what
    :func:`~thermodb.storage.columns.format_timestamp` gives), when it came for free."""
    written: Written | None = None
    """What this batch read from values written as text (numbers, dates...), if any."""


@dataclass(slots=True)
class Written:
    """A column's values that arrived as text but were read as numbers, dates or nulls."""

    count: int = 0
    """Values read as the field's type ('17', '1,234', 'March 5, 1998')."""
    examples: list[str] = field(default_factory=list)
    unit: str | None = None
    """The unit or currency they carried ('km', '$', '%', 'ordinal', 'duration')."""
    nulls: int = 0
    """Missing-value markers ('', '-', '—') read as null."""
    reason: str | None = None
    """Why the field is text although some values read as numbers or dates."""


def type_columns(
    records: list[dict[str, Any]],
    types: Mapping[str, FieldType],
    units: Mapping[str, str | None] | None = None,
) -> list[Column]:
    """Type each top-level field of a batch (fields in order of first appearance).

    ``units`` are the units fields recorded from earlier values written as text.
    """
    units = units or {}
    return [
        _type_column(
            key,
            list(map(methodcaller("get", key), records)),
            types.get(key),
            records,
            units.get(key),
        )
        for key in dict.fromkeys(chain.from_iterable(records))
    ]


def _type_column(
    key: str,
    values: list[Any],
    current: FieldType | None,
    records: list[dict[str, Any]],
    unit: str | None = None,
) -> Column:
    nones = values.count(None)
    absent = len(records) - sum(map(dict.__contains__, records, repeat(key))) if nones else 0
    kinds = set(map(type, values))
    kinds.discard(_NONE_TYPE)
    first = 0 if values[0] is not None else _first_value(values)
    if not kinds:
        return Column(key, values, None, None, current, first, absent)
    if current is not None and len(kinds) == 1:
        (pt,) = kinds
        kind = STABLE.get((pt, current))
        if kind is not None:
            return Column(key, values, None, kind, current, first, absent)
        if current is FieldType.TIMESTAMP and pt is str:
            uniform = _uniform_times(values, nones)
            if uniform is not None:
                moments, texts = uniform
                column = Column(key, moments, None, FieldType.TIMESTAMP, current, first, absent)
                column.texts = texts
                return column
            parsed = [None if v is None else time_of(v) for v in values]
            if parsed.count(None) == nones:  # every string named a time
                return Column(key, parsed, None, FieldType.TIMESTAMP, current, first, absent)
    return _type_each(key, values, current, first, absent, unit)


_UNIFORM_TIMES = (
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"), 23, "000Z"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z"), 27, ""),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"), 19, ".000000Z"),
)
"""UTC times in one of the shapes machines write (milliseconds, microseconds, seconds):
(the shape, the prefix the canonical text keeps, what it appends)."""


def _uniform_times(
    values: list[Any], nones: int
) -> tuple[list[datetime | None], list[str | None]] | None:
    """Times and canonical texts of a column of strings that all have one shape.

    Each shape matches a subset of what :func:`parse_timestamp` accepts and reads as UTC,
    so ``datetime.fromisoformat`` alone gives its result, and the canonical text is the
    string with its fraction padded to microseconds: no per-value Python work.
    """
    strings = [v for v in values if v is not None] if nones else values
    for shape, keep, pad in _UNIFORM_TIMES:
        if not all(map(shape.fullmatch, strings)):
            continue
        try:
            moments = list(map(datetime.fromisoformat, strings))
        except ValueError:  # a date that does not exist: the general path reports it
            return None
        texts = strings if not pad else [s[:keep] + pad for s in strings]
        if not nones:
            return moments, texts  # type: ignore[return-value]
        m, t = iter(moments), iter(texts)
        return (
            [None if v is None else next(m) for v in values],
            [None if v is None else next(t) for v in values],
        )
    return None


def _type_each(
    key: str,
    values: list[Any],
    current: FieldType | None,
    first: int,
    absent: int,
    unit: str | None = None,
) -> Column:
    """Value by value, widening as it goes: what typing one record at a time does.

    A string in a field that is not text is read for what it says (:func:`read_text`):
    ``"17"`` beside ``12.5`` is a number, ``"—"`` a null. Only a string that says no
    number (or date, or boolean) of the field's kind widens the field to text; then every
    string read so far gets its original text back, and the column says why.
    """
    time_name = current is None and looks_like_time_name(key)
    read = not identifier_name(key)
    t = current
    kinds: list[FieldType | None] = []
    parsed: list[Any] = []
    written: Written | None = None
    read_rows: list[int] = []
    for i, value in enumerate(values):
        if value is None:
            kinds.append(None)
            parsed.append(None)
            continue
        if type(value) is str and read and t is not FieldType.TEXT and t is not FieldType.JSON:
            reading = _reading(value, unit)
            if reading is not None:
                if written is None:
                    written = Written(unit=unit)
                read_rows.append(i)
                if reading.type is None:
                    written.nulls += 1
                    kinds.append(None)
                    parsed.append(None)
                    continue
                rt = reading.type
                t = rt if t is None else widen(t, rt)
                if reading.unit is not None:
                    unit = written.unit = reading.unit
                written.count += 1
                if len(written.examples) < 3 and value not in written.examples:
                    written.examples.append(value)
                kinds.append(rt)
                parsed.append(reading.value)
                continue
            if written is None or written.reason is None:
                reason = _why_not(value, t, unit)
                if reason is not None:
                    written = written or Written(unit=unit)
                    written.reason = reason
        vt, p = typed_value(value, t, t is None and time_name)
        assert vt is not None
        t = vt if t is None else widen(t, vt)
        kinds.append(vt)
        parsed.append(p)
    if written is not None and t is None and current is None:
        # only missing-value markers ('', '-') and no number or date beside them: nothing
        # says the field is numeric, so they are text as written, not nulls ("" is a value)
        t = FieldType.TEXT
        first = read_rows[0]
    if written is not None and t in (FieldType.TEXT, FieldType.JSON):
        for i in read_rows:  # the field is text: the strings stay as they were written
            kinds[i], parsed[i] = FieldType.TEXT, values[i]
        written = Written(reason=written.reason) if written.reason else None
    column = Column(key, parsed, kinds, None, t, first, absent)
    column.written = written
    return column


def read_field_text(key: str, value: str, current: FieldType | None) -> Reading | None:
    """What a string says in a field of ``current`` type (record-at-a-time typing of the
    strict evolution modes; the unit is not checked there)."""
    if current in (FieldType.TEXT, FieldType.JSON) or identifier_name(key):
        return None
    return _reading(value, None)


def _reading(value: str, unit: str | None) -> Reading | None:
    """What a string in a field of numbers, dates or booleans says, if it fits the field:
    a number with another unit than the field's (``5 mi`` in a field of ``km``) does not."""
    if value[:1].isdigit() and len(value) >= 10 and parse_timestamp(value) is not None:
        return None  # ISO-8601: typed_value reads it as it always has
    reading = read_text(value)
    if reading is None or reading.unit is None or unit is None or reading.unit == unit:
        return reading
    return None


def _why_not(value: str, t: FieldType | None, unit: str | None) -> str | None:
    """Why a string that does not fit the field makes it text (None: nothing to say)."""
    said = why_text(value)
    if said is not None or t is None:
        return said
    other = read_text(value)
    if other is not None and other.unit is not None and unit is not None:
        return f"{value[:40]!r} is in {other.unit}, not {unit}, so the field is text"
    return f"{value[:40]!r} is not a {_kind_word(t)}, so the field is text"


def _kind_word(t: FieldType | None) -> str:
    if t is FieldType.TIMESTAMP:
        return "date"
    if t is FieldType.BOOL:
        return "boolean"
    return "number"


def _first_value(values: list[Any]) -> int:
    return next((i for i, v in enumerate(values) if v is not None), -1)


def columns_from_typed(
    typed_records: list[dict[str, Typed]], types: Mapping[str, FieldType]
) -> list[Column]:
    """Columns from records typed one at a time (the path of strict evolution modes)."""
    out = []
    for key in dict.fromkeys(chain.from_iterable(typed_records)):
        cells = [t.get(key) for t in typed_records]
        values = [None if c is None else c[1] for c in cells]
        kinds = [None if c is None or c[1] is None else c[0] for c in cells]
        absent = cells.count(None)
        out.append(Column(key, values, kinds, None, types.get(key), _first_value(values), absent))
    return out


def keep_rows(columns: list[Column], keep: list[int], records: list[dict[str, Any]]) -> None:
    """Drop every row not in ``keep`` from the columns (``records`` are the kept ones)."""
    for c in columns:
        c.values = [c.values[i] for i in keep]
        if c.kinds is not None:
            c.kinds = [c.kinds[i] for i in keep]
        if c.texts is not None:
            c.texts = [c.texts[i] for i in keep]
        c.absent = sum(1 for r in records if c.key not in r)
        c.first = _first_value(c.values)


# -- storage form ---------------------------------------------------------------------------
def storage_rows(
    fields: list[Field], columns: Mapping[str, Column], rows: int, store: OperationalStore
) -> list[tuple[Any, ...]]:
    """The batch as rows of the given columns' storage values (None where absent)."""
    if not fields:
        return [() for _ in range(rows)]
    cells: list[Iterable[Any]] = []
    for f in fields:
        column = columns.get(f.path)
        cells.append(
            repeat(None, rows) if column is None else _storage_values(column, f.type, store)
        )
    return list(zip(*cells, strict=False))


def _storage_values(column: Column, ftype: FieldType, store: OperationalStore) -> list[Any]:
    if column.kinds is None:
        kind = column.kind or ftype
        if kind is ftype:
            if ftype is FieldType.FLOAT and 0.0 in column.values:
                return _no_negative_zero(column.values)
            if ftype in _PLAIN:
                return column.values
            if ftype is FieldType.JSON:
                dumps = orjson.dumps
                return [None if v is None else dumps(v).decode() for v in column.values]
            if ftype is FieldType.TIMESTAMP:
                if column.texts is not None and store.ops.capabilities.timestamps_as_text:
                    return column.texts
                ts = store.ops.timestamp_value
                return [None if v is None else ts(v) for v in column.values]
        convert = converter(ftype, store)
        return [None if v is None else convert(kind, v) for v in column.values]
    convert = converter(ftype, store)
    return [
        None if k is None else convert(k, v)
        for k, v in zip(column.kinds, column.values, strict=True)
    ]


def _no_negative_zero(values: list[Any]) -> list[Any]:
    """-0.0 as 0.0: SQLite stores it so, PostgreSQL keeps the sign; both answer alike."""
    return [0.0 if v == 0 and type(v) is float else v for v in values]


def converter(ftype: FieldType, store: OperationalStore) -> Converter:
    """A function from (value type, parsed value) to the column's storage form."""
    ts = store.timestamp_value

    def same(vt: FieldType, v: Any) -> Any:
        return v

    def as_float(vt: FieldType, v: Any) -> Any:
        return None if v is None else float(v) + 0.0  # + 0.0 turns -0.0 into 0.0

    def as_text(vt: FieldType, v: Any) -> Any:
        if v is None or vt is FieldType.TEXT:
            return v
        if vt is FieldType.BOOL:
            return "true" if v else "false"
        if vt is FieldType.TIMESTAMP:
            return format_timestamp(v)
        if vt is FieldType.JSON:
            return orjson.dumps(v).decode()
        return str(v)

    def as_timestamp(vt: FieldType, v: Any) -> Any:
        return None if v is None else ts(v)

    def as_json(vt: FieldType, v: Any) -> Any:
        if v is None:
            return None
        if vt is FieldType.TIMESTAMP:
            v = format_timestamp(v)
        return orjson.dumps(v).decode()

    conversions: dict[FieldType, Converter] = {
        FieldType.BOOL: same,
        FieldType.INT: same,
        FieldType.FLOAT: as_float,
        FieldType.TEXT: as_text,
        FieldType.TIMESTAMP: as_timestamp,
        FieldType.JSON: as_json,
    }
    return conversions[ftype]
