"""`Database`: wires the catalog, stores, ingest pipeline and query engine together.

It holds no logic of its own beyond that wiring; each method is a short call into the part
that does the work, so the CLI, HTTP API and MCP servers stay thin over the same methods.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from thermodb.catalog.model import Collection
from thermodb.catalog.store import Catalog
from thermodb.config import Settings, load_settings
from thermodb.errors import NotFoundError
from thermodb.ingest.pipeline import IngestOptions, Ingestor, IngestReport, Progress
from thermodb.ingest.routing import Router
from thermodb.records import coerce_key, row_to_record
from thermodb.storage.operational import OperationalStore, open_store

__all__ = ["Database", "open"]


class Database:
    """One thermodb database: a data directory or a PostgreSQL database."""

    def __init__(self, target: str | Path, settings: Settings | None = None) -> None:
        self.target = str(target)
        self.settings = settings or load_settings(target)
        self.store: OperationalStore = open_store(self.settings.operational_url)
        self.catalog = Catalog(self.store)
        self.router = Router()
        self._ingestor = Ingestor(self.catalog, self.store, self.router)

    # -- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        self.store.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<thermodb.Database {self.target!r} ({self.store.dialect})>"

    # -- writing --------------------------------------------------------------------------
    def ingest(
        self,
        data: Any,
        *,
        collection: str | None = None,
        progress: Progress | None = None,
        **options: Any,
    ) -> IngestReport:
        """Ingest records atomically.

        ``data`` is an iterable of dicts, one dict, a path ('-' for stdin), or a list of
        paths. Keyword options are those of :class:`IngestOptions` (``on_error``,
        ``reject_file``, ``dry_run``, ``explain``, ``evolution``, ``key``...).
        """
        sources = _sources(data)
        opts = IngestOptions(collection=collection, **options)
        return self._ingestor.ingest(sources, opts, progress)

    def delete(self, collection: str, key: Any) -> bool:
        """Delete the record with this key; False if there was none."""
        coll = self.catalog.get(collection)
        with self.store.begin() as conn:
            return self.store.delete_keys(conn, coll, [coerce_key(coll, key)]) > 0

    def drop(self, collection: str) -> None:
        """Remove a collection, its records and its schema."""
        self.catalog.get(collection)
        with self.store.begin() as conn:
            self.store.drop_table(conn, collection)
            self.catalog.remove(conn, collection)

    # -- reading --------------------------------------------------------------------------
    def collections(self) -> list[Collection]:
        return self.catalog.all()

    def collection(self, name: str) -> Collection:
        return self.catalog.get(name)

    def count(self, collection: str) -> int:
        coll = self.catalog.get(collection)
        import sqlalchemy as sa

        table = self.store.table(coll)
        with self.store.read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

    def get(self, collection: str, key: Any) -> dict[str, Any] | None:
        """The record with this key, or None."""
        coll = self.catalog.get(collection)
        value = coerce_key(coll, key)
        table = self.store.table(coll)
        key_column = coll.fields[coll.key_field or ""].column
        assert key_column is not None
        with self.store.read() as conn:
            row = (
                conn.execute(table.select().where(table.c[key_column] == value)).mappings().first()
            )
        return None if row is None else row_to_record(coll, row)

    def get_or_raise(self, collection: str, key: Any) -> dict[str, Any]:
        record = self.get(collection, key)
        if record is None:
            raise NotFoundError(f"no record with key {key!r} in {collection!r}")
        return record

    def describe(self, collection: str) -> dict[str, Any]:
        """What `describe` shows: fields, types, null fractions, examples, roles, history."""
        from thermodb.catalog.describe import describe

        coll = self.catalog.get(collection)
        return describe(coll, rows=self.count(collection))


def _sources(data: Any) -> list[Any]:
    if isinstance(data, str | Path | Mapping):
        return [data]
    if isinstance(data, list) and data and all(isinstance(d, str | Path) for d in data):
        return list(data)
    if isinstance(data, Iterable):
        return [data]
    return [data]


def open(target: str | Path = "thermodb-data") -> Database:
    """Open (creating if needed) a database in a data directory or at a database URL."""
    return Database(target)
