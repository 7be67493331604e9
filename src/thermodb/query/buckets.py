"""Calendar buckets of a time field, in UTC, with the same text on every store.

A bucket is named by its start: ``YYYY-MM-DD`` for day, week (starting Monday), month and
year; ``YYYY-MM-DDTHH:MM:00Z`` for hour and minute. Both stores produce that text in SQL,
so buckets sort, compare (in ``having``) and print alike.

SQLite stores timestamps as canonical text (``YYYY-MM-DDTHH:MM:SS.ffffffZ``), so most
buckets are prefixes of it — cheap and index-friendly. PostgreSQL truncates the
timestamptz in UTC and formats it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from thermodb.query.fields import const
from thermodb.query.spec import Bucket

__all__ = ["bucket_expr"]

_SQLITE_PREFIX: dict[str, tuple[int, str]] = {
    "minute": (16, ":00Z"),
    "hour": (13, ":00:00Z"),
    "day": (10, ""),
    "month": (7, "-01"),
    "year": (4, "-01-01"),
}
_PG_FORMAT = {
    "minute": 'YYYY-MM-DD"T"HH24:MI:SS"Z"',
    "hour": 'YYYY-MM-DD"T"HH24:MI:SS"Z"',
}


def bucket_expr(expr: ColumnElement[Any], bucket: Bucket, dialect: str) -> ColumnElement[str]:
    """The bucket (as text) of a timestamp expression in the store's own form."""
    if dialect == "postgresql":
        utc = sa.func.timezone(const("UTC"), expr)
        truncated = sa.func.date_trunc(const(bucket), utc)
        fmt = _PG_FORMAT.get(bucket, "YYYY-MM-DD")
        return sa.type_coerce(sa.func.to_char(truncated, const(fmt)), sa.Text())
    text = sa.type_coerce(expr, sa.Text())
    if bucket == "week":
        day = sa.func.substr(text, const(1), const(10))
        monday = sa.func.date(day, const("weekday 0"), const("-6 days"))
        return sa.type_coerce(monday, sa.Text())
    length, suffix = _SQLITE_PREFIX[bucket]
    prefix = sa.func.substr(text, const(1), const(length))
    out = prefix.op("||")(const(suffix)) if suffix else prefix
    return sa.type_coerce(out, sa.Text())
