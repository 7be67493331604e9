"""Column types: how each catalog FieldType is stored by each dialect.

Engines that keep timestamps as text (SQLite) hold canonical UTC ISO-8601 text (fixed
width, so text order is time order and SQLite's date functions read it); the others use
timestamptz, and jsonb where the engine has a native JSON type. Each type asks the
backend's capabilities, never the dialect's name.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine

from thermodb.catalog.types import FieldType

if TYPE_CHECKING:
    from thermodb.storage.backends.base import Capabilities

__all__ = ["JsonText", "UtcTimestamp", "const", "format_timestamp", "sql_type"]

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def const(value: Any) -> ColumnElement[Any]:
    """A constant of our own making (a format, a JSON path), rendered inline and escaped.

    Inline rather than bound: PostgreSQL matches a GROUP BY expression to the SELECT list
    only when the two are textually equal, and DuckDB wants constant quantiles.
    """
    return sa.literal(value, literal_execute=True)


def format_timestamp(value: datetime) -> str:
    """The canonical text of a timestamp: UTC, microseconds, ``Z``."""
    if value.tzinfo is not None:
        if value.utcoffset():
            value = value.astimezone(UTC)
        value = value.replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"  # = TIMESTAMP_FORMAT, faster


class UtcTimestamp(TypeDecorator[datetime]):
    """An aware UTC datetime: timestamptz on PostgreSQL, canonical text on SQLite."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if _caps(dialect).timestamps_as_text:
            return dialect.type_descriptor(sa.Text())
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or not _caps(dialect).timestamps_as_text:
            return value
        if isinstance(value, datetime):
            return format_timestamp(value)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        parsed = datetime.fromisoformat(str(value))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class JsonText(TypeDecorator[Any]):
    """JSON kept as text we serialise ourselves (so ingest controls the bytes): jsonb on PG."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if _caps(dialect).native_json:
            return dialect.type_descriptor(postgresql.JSONB())
        return dialect.type_descriptor(sa.Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if _caps(dialect).native_json:
            return orjson.loads(value) if isinstance(value, str) else value
        return value if isinstance(value, str) else orjson.dumps(value).decode()

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, str) and not _caps(dialect).native_json:
            return orjson.loads(value)
        return value


def _caps(dialect: Dialect) -> Capabilities:
    from thermodb.storage.backends.registry import capabilities_for

    return capabilities_for(dialect)


def sql_type(field_type: FieldType) -> TypeEngine[Any]:
    """The SQLAlchemy column type for a catalog field type."""
    types: dict[FieldType, TypeEngine[Any]] = {
        FieldType.BOOL: sa.Boolean(create_constraint=False),
        FieldType.INT: sa.BigInteger(),
        FieldType.FLOAT: sa.Float(precision=53),
        FieldType.TEXT: sa.Text(),
        FieldType.TIMESTAMP: UtcTimestamp(),
        FieldType.JSON: JsonText(),
    }
    return types[field_type]
