"""`Result`: what every query returns, with values already in their JSON form.

A result is a table (``columns`` and ``rows`` as lists) plus ``explain``, the record of
what ran. Values are JSON-ready so that the CLI, HTTP API and MCP tools can send them as
they are: timestamps are ISO-8601 strings ending in ``Z``; calendar buckets are dates
(``YYYY-MM-DD``) for day, week, month and year and ISO times for hour and minute; numbers
from the store's decimal types become ints or floats; booleans stay booleans.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson

from thermodb.catalog.types import FieldType, iso

__all__ = ["Converter", "Result", "converter_for"]

Converter = Callable[[Any], Any]


@dataclass
class Result:
    """A query's answer: column names, rows (lists of JSON values) and what ran."""

    columns: list[str]
    rows: list[list[Any]]
    explain: dict[str, Any] = field(default_factory=dict)
    truncated: bool = False
    """True when a row cap cut the answer short (``explain['row_cap']`` says where)."""

    def records(self) -> list[dict[str, Any]]:
        """The rows as dicts keyed by column name."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def scalar(self) -> Any:
        """The single value of a 1×1 result (a count, a sum...), else None."""
        if len(self.rows) == 1 and len(self.columns) == 1:
            return self.rows[0][0]
        return None

    def to_dict(self, *, explain: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "columns": self.columns,
            "rows": self.rows,
            "truncated": self.truncated,
        }
        if explain:
            out["explain"] = self.explain
        return out

    def __len__(self) -> int:
        return len(self.rows)


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _timestamp(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, str):
        try:
            return iso(datetime.fromisoformat(value))
        except ValueError:
            return value
    return value


def _boolean(value: Any) -> Any:
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    return value


def _json(value: Any) -> Any:
    if isinstance(value, str | bytes):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return _plain(value)


def _plain(value: Any) -> Any:
    """Whatever a driver returned, as a JSON value (the fallback for untyped columns)."""
    if isinstance(value, Decimal | float):
        return _number(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _float(value: Any) -> Any:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def converter_for(ftype: FieldType | None, *, as_float: bool = False) -> Converter:
    """The function that turns a stored value of this type into its JSON form."""
    if as_float:
        return _float
    if ftype is FieldType.TIMESTAMP:
        return _none_safe(_timestamp)
    if ftype is FieldType.BOOL:
        return _none_safe(_boolean)
    if ftype is FieldType.JSON:
        return _none_safe(_json)
    if ftype in (FieldType.INT, FieldType.FLOAT):
        return _none_safe(_number)
    return _none_safe(_plain)


def _none_safe(fn: Converter) -> Converter:
    def convert(value: Any) -> Any:
        return None if value is None else fn(value)

    return convert


def convert_rows(rows: Sequence[Sequence[Any]], converters: Sequence[Converter]) -> list[list[Any]]:
    """Rows from a driver, converted column by column."""
    return [[conv(v) for conv, v in zip(converters, row, strict=True)] for row in rows]
