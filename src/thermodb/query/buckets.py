"""Calendar buckets of a time field, in UTC, with the same text on every store.

A bucket is named by its start: ``YYYY-MM-DD`` for day, week (starting Monday), month and
year; ``YYYY-MM-DDTHH:MM:00Z`` for hour and minute. Both stores produce that text in SQL,
so buckets sort, compare (in ``having``) and print alike.

Each backend spells it its own way (SQLite cuts a prefix of the canonical time text,
PostgreSQL and DuckDB truncate in UTC and format); this module only names the seam.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.sql.elements import ColumnElement

from thermodb.query.spec import Bucket
from thermodb.storage.backends.base import QueryBackend

__all__ = ["bucket_expr"]


def bucket_expr(
    expr: ColumnElement[Any], bucket: Bucket, backend: QueryBackend
) -> ColumnElement[str]:
    """The bucket (as text) of a timestamp expression, as the backend spells it."""
    return backend.bucket(expr, bucket)
