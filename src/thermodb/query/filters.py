"""Filters: a QuerySpec condition tree as a SQL boolean, values always bound parameters.

The logic is two-valued, the way people read questions: a condition on a missing (null)
value is false, except ``!=``, ``not_in`` and ``is_null``/``is_empty``, which are true for
it ("users not on the pro plan" includes users with no plan), and ``not`` negates what its
operand *matched* (SQL's NULL never leaks out as "unknown").

Values are converted to the field's type first (a date string for a timestamp field, a
number for a numeric one) so that both stores compare like with like; a value that cannot
be converted is a QueryError naming the field.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, cast

import orjson
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from thermodb.catalog.types import FieldType
from thermodb.errors import QueryError
from thermodb.query.fields import FieldRef
from thermodb.query.spec import And, Condition, Filter, Not, Or
from thermodb.storage.backends.base import QueryBackend

__all__ = ["compile_filter", "condition", "to_field_type"]

Resolve = Callable[[str], FieldRef]

_ORDERED = {"<", "<=", ">", ">=", "between"}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def compile_filter(node: Filter, resolve: Resolve, backend: QueryBackend) -> ColumnElement[bool]:
    """The SQL boolean for a filter tree; names are looked up with ``resolve``."""
    if isinstance(node, Condition):
        return condition(resolve(node.field), node.op, node.value, backend)
    if isinstance(node, And):
        return sa.and_(*(compile_filter(n, resolve, backend) for n in node.and_))
    if isinstance(node, Or):
        return sa.or_(*(compile_filter(n, resolve, backend) for n in node.or_))
    if isinstance(node, Not):
        inner = compile_filter(node.not_, resolve, backend)
        return sa.not_(sa.func.coalesce(inner, sa.false()))
    raise AssertionError(f"unknown filter node {node!r}")


def condition(ref: FieldRef, op: str, value: Any, backend: QueryBackend) -> ColumnElement[bool]:
    """``ref op value`` with the semantics documented in the module docstring."""
    expr = ref.expr
    ftype = ref.type
    if op == "is_null":
        return expr.is_(None)
    if op == "not_null":
        return expr.is_not(None)
    if op in ("is_empty", "not_empty"):
        empty = _empty(expr, ftype, backend)
        return _bool(empty if op == "is_empty" else sa.not_(empty))
    if op in ("contains", "starts_with"):
        text = _as_text(expr, ftype, backend)
        needle = str(value)
        if op == "contains":
            return _bool(text.icontains(needle, autoescape=True))
        return _bool(text.istartswith(needle, autoescape=True))
    if ftype is FieldType.JSON:
        if op in _ORDERED:
            raise QueryError(
                f"{ref.name!r} holds JSON objects or lists, which cannot be ordered",
                hint=f"compare one of its nested fields ({ref.name}.NAME) instead",
            )
        return _json_compare(ref, op, value, backend)
    if ftype is FieldType.BOOL and op in _ORDERED:
        raise QueryError(f"{ref.name!r} is true/false; use = or != to filter it")
    if op in ("in", "not_in"):
        values = [to_field_type(ref, v) for v in value]
        if op == "in":
            return expr.in_(values)
        return sa.or_(expr.is_(None), expr.not_in(values))
    if op == "between":
        low, high = (to_field_type(ref, v) for v in value)
        return expr.between(low, high)
    bound = to_field_type(ref, value)
    if op == "!=":
        return sa.or_(expr.is_(None), expr != bound)
    if op not in _COMPARE:
        raise QueryError(f"unknown operator {op!r}")
    return _bool(_COMPARE[op](expr, bound))


def _bool(clause: Any) -> ColumnElement[bool]:
    """SQLAlchemy's comparison operators are typed loosely; say what they return."""
    return cast("ColumnElement[bool]", clause)


def _as_text(expr: ColumnElement[Any], ftype: FieldType | None, backend: QueryBackend) -> Any:
    return backend.as_text(expr, ftype)


def _empty(expr: ColumnElement[Any], ftype: FieldType | None, backend: QueryBackend) -> Any:
    """Null, missing, or an empty text / list / object."""
    if ftype is FieldType.TEXT:
        return sa.or_(expr.is_(None), expr == "")
    if ftype is FieldType.JSON:
        text = _as_text(expr, ftype, backend)
        return sa.or_(expr.is_(None), text.in_(["[]", "{}", '""', "null"]))
    return expr.is_(None)


def _json_compare(ref: FieldRef, op: str, value: Any, backend: QueryBackend) -> ColumnElement[bool]:
    """Equality on a JSON value compares it with the canonical JSON of the value."""
    values = value if op in ("in", "not_in") else [value]
    matched = backend.json_equals(ref.expr, [orjson.dumps(v).decode() for v in values])
    if op in ("=", "in"):
        return matched
    return sa.or_(ref.expr.is_(None), sa.not_(matched))


def to_field_type(ref: FieldRef, value: Any) -> Any:
    """A filter value as the field stores it, or QueryError saying what was expected."""
    ftype = ref.type
    if ftype is None:
        return value
    try:
        if ftype is FieldType.TIMESTAMP:
            return to_datetime(value)
        if ftype is FieldType.INT:
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, float):
                return value
            if isinstance(value, str):
                number = float(value)
                return int(number) if number.is_integer() and "." not in value else number
            return int(value)
        if ftype is FieldType.FLOAT:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if ftype is FieldType.BOOL:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            if value in (0, 1):
                return bool(value)
            raise ValueError
        if ftype is FieldType.TEXT:
            if isinstance(value, bool):
                return "true" if value else "false"
            return value if isinstance(value, str) else str(value)
    except (TypeError, ValueError):
        raise QueryError(
            f"{value!r} is not a valid value for {ref.name!r}, which holds {ftype} values",
            hint=_hint(ftype),
        ) from None
    return value


def to_datetime(value: Any) -> datetime:
    """A timestamp filter value (ISO text, a date, epoch seconds) as an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        from thermodb.ingest.inference import parse_timestamp

        parsed = parse_timestamp(value)
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ValueError(value)


def _hint(ftype: FieldType) -> str:
    return {
        FieldType.TIMESTAMP: "give an ISO date or time such as 2026-03-01 or 2026-03-01T12:00:00Z",
        FieldType.INT: "give a number",
        FieldType.FLOAT: "give a number",
        FieldType.BOOL: "give true or false",
    }.get(ftype, "give a text value")
