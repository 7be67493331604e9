"""From a SQLAlchemy dialect to the backend that declared it: the one place names map.

Column types (``storage.columns``) are told a SQLAlchemy ``Dialect`` when they bind and
load values; they ask its backend's capabilities through here.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy.engine import Dialect

from thermodb.storage.backends.base import Capabilities, QueryBackend

__all__ = ["backend_for_sqlglot", "capabilities_for"]


@cache
def _by_name(name: str) -> Capabilities:
    from thermodb.storage.backends.postgres.backend import PostgresBackend
    from thermodb.storage.backends.sqlite.backend import SQLiteBackend

    known = {b.capabilities.name: b.capabilities for b in (SQLiteBackend, PostgresBackend)}
    try:
        return known[name]
    except KeyError:
        raise LookupError(f"no thermodb backend for the SQLAlchemy dialect {name!r}") from None


def capabilities_for(dialect: Dialect) -> Capabilities:
    """The capabilities of the backend whose SQLAlchemy dialect this is."""
    return _by_name(dialect.name)


@cache
def backend_for_sqlglot(name: str) -> QueryBackend:
    """The backend whose statements sqlglot prints as ``name`` (user SQL's target)."""
    from thermodb.storage.backends.duckdb.backend import DuckDBBackend
    from thermodb.storage.backends.postgres.backend import PostgresBackend
    from thermodb.storage.backends.sqlite.backend import SQLiteBackend

    for backend in (SQLiteBackend(), PostgresBackend(), DuckDBBackend()):
        if backend.capabilities.sqlglot_dialect == name:
            return backend
    raise LookupError(f"no thermodb backend prints sqlglot's {name!r}")
