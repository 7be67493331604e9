"""`Database`: wires the catalog, stores, ingest pipeline and query engine together.

It holds no logic of its own beyond that wiring; each method is a short call into the part
that does the work, so the CLI, HTTP API and MCP servers stay thin over the same methods.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from thermodb.catalog.model import Collection
from thermodb.catalog.store import Catalog
from thermodb.config import Settings, load_settings
from thermodb.errors import NotFoundError
from thermodb.events.outbox import Outbox
from thermodb.ingest.pipeline import IngestOptions, Ingestor, IngestReport, Progress
from thermodb.ingest.routing import Router
from thermodb.intelligence import Insights, logged
from thermodb.query.planner import Planner, parse_spec
from thermodb.query.result import Result
from thermodb.query.spec import QuerySpec
from thermodb.records import coerce_key
from thermodb.storage.deferred import DeferredWrites
from thermodb.storage.operational import OperationalStore, open_store

if TYPE_CHECKING:
    from thermodb.ingest.retype import TypeChange
    from thermodb.nl.engine import Answer, NLEngine
    from thermodb.nl.scope import PromptScope
    from thermodb.query.sql_check import SQLGrants
    from thermodb.tiers.migration import PassReport

__all__ = ["Database", "open"]


class Database:
    """One thermodb database: a data directory or a PostgreSQL database."""

    def __init__(self, target: str | Path, settings: Settings | None = None) -> None:
        self.target = str(target)
        self.settings = settings or load_settings(target)
        self.store: OperationalStore = open_store(self.settings.operational_url)
        self.catalog = Catalog(self.store)
        self.writes = DeferredWrites()
        """Small writes after a read (conversation turns, NL examples), never waited on."""
        self.router = Router()
        self._ingestor = Ingestor(self.catalog, self.store, self.router)
        from thermodb.tiers.manager import Tiers

        self.thermal = Tiers.from_settings(self.store, self.catalog, self.settings)
        self._ingestor.write_hooks.append(self.thermal.on_write)
        self.events = Outbox(self.store, enabled=self.settings.outbox)  # docs/lifecycle.md
        self._ingestor.write_hooks.append(self.events.on_write)
        self.thermal.migrator.switch_hooks.append(self.events.on_move)
        self.thermal.recover()
        self.insights = Insights(self.store, self.catalog, self.settings.insights,
                                 planner=lambda: self.planner, run=self.query)  # fmt: skip
        if self.settings.migrate_every:
            self.thermal.start(self.settings.migrate_every)

    # -- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        self.insights.close()
        self.writes.close()
        self.thermal.close()
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
    @logged("ingest")
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
        value = coerce_key(coll, key)
        with self.store.begin() as conn:
            warm = self.store.delete_keys(conn, coll, [value]) > 0
            found = self.thermal.on_delete(conn, coll, value) or warm
            if found:
                self.events.on_delete(conn, coll, value)
            return found

    def alter(
        self,
        collection: str,
        *,
        key_field: str | None = None,
        time_field: str | None = None,
        kind: str | None = None,
        evolution: str | None = None,
    ) -> Collection:
        """Overrule what inference chose: key field, time field, kind or evolution mode."""
        from thermodb.storage.alter import alter_collection

        altered = alter_collection(
            self.catalog,
            self.store,
            collection,
            key_field=key_field,
            time_field=time_field,
            kind=kind,
            evolution=evolution,
            has_cold_rows=self.thermal.cold_rows(collection) > 0,
        )
        # a new key or time field changes what gets and queries answer: retire cached ones
        from thermodb.tiers.segments import bump_version

        with self.store.begin() as conn:
            bump_version(conn, collection)
            self.events.on_schema(conn, altered, "altered")
        return altered

    def change_type(
        self, collection: str, field: str, type: str, *, dry_run: bool = False
    ) -> TypeChange:
        """Give a top-level field another type, converting every stored value; refused
        (saying which values) when one does not convert. ``dry_run`` only checks."""
        from thermodb.ingest.retype import change_type

        self.catalog.refresh()
        report = change_type(
            self.catalog,
            self.store,
            collection,
            field,
            type,
            dry_run=dry_run,
            has_cold_rows=self.thermal.cold_rows(collection) > 0,
        )
        if not dry_run:
            self._retire_cached(collection)
        return report

    def rename_field(self, collection: str, old: str, new: str) -> Collection:
        """Give a top-level field a new name (its data stay where they are)."""
        from thermodb.ingest.retype import rename_field

        self.catalog.refresh()
        renamed = rename_field(self.catalog, self.store, collection, old, new)
        self._retire_cached(collection)
        return renamed

    def rename(self, old: str, new: str) -> Collection:
        """Give a collection a new name: its table, schema, key index and tier state."""
        from thermodb.catalog.naming import valid_collection_name
        from thermodb.errors import SchemaError
        from thermodb.tiers.segments import bump_version, windows_table

        self.catalog.refresh()
        coll = self.catalog.get(old).model_copy(deep=True)
        valid_collection_name(new)
        if self.catalog.find(new) is not None:
            raise SchemaError(f"a collection named {new!r} already exists")
        if self.thermal.cold_rows(old) > 0 or self.thermal.segments.segments(old):
            raise SchemaError(
                f"{old!r} has cold segments, whose files are filed under its name",
                hint="promote them first, or rename it before it cools",
            )
        q = self.store.quote
        with self.store.begin() as conn:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {q(self.store.key_index_name(old))}")
            conn.exec_driver_sql(f"ALTER TABLE {q(old)} RENAME TO {q(new)}")
            self.catalog.remove(conn, old)
            coll.name = new
            self.catalog.save(conn, coll)
            self.store.forget(old)
            self.store.forget(new)
            self.store.ensure_key_index(conn, coll)
            conn.execute(
                windows_table.update()
                .where(windows_table.c.collection == old)
                .values(collection=new)
            )
            bump_version(conn, old)
            bump_version(conn, new)
        self.catalog.reload()
        return coll

    def _retire_cached(self, collection: str) -> None:
        """Cached answers over a changed schema are stale: bump the data version."""
        from thermodb.tiers.segments import bump_version

        with self.store.begin() as conn:
            bump_version(conn, collection)

    def drop(self, collection: str) -> None:
        """Remove a collection, its records and its schema."""
        self.catalog.get(collection)
        with self.store.begin() as conn:
            self.store.drop_table(conn, collection)
            self.catalog.remove(conn, collection)
            cold_files = self.thermal.on_drop(conn, collection)
            self.events.on_drop(conn, collection)
        for location in cold_files:
            self.thermal.cold.delete(location)

    # -- reading --------------------------------------------------------------------------
    def collections(self) -> list[Collection]:
        self.catalog.refresh()
        return self.catalog.all()

    def collection(self, name: str) -> Collection:
        self.catalog.refresh()
        return self.catalog.get(name)

    def count(self, collection: str) -> int:
        coll = self.catalog.get(collection)
        import sqlalchemy as sa

        table = self.store.table(coll)
        with self.store.read() as conn:
            warm = int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
        return warm + self.thermal.cold_rows(collection)

    def get(self, collection: str, key: Any) -> dict[str, Any] | None:
        """The record with this key, or None: from the cache, the operational store or cold."""
        reader = self.thermal.keyread
        version = None
        if reader is None:
            self.catalog.refresh()
        else:  # the hot path: one raw read of both the catalog generation and data version
            generation, version = reader.state(collection)
            if not self.catalog.is_current(generation):
                self.catalog.refresh()
                version = None
        coll = self.catalog.get(collection)
        return self.thermal.get(coll, coerce_key(coll, key), version=version)

    def data_state(self, collection: str) -> tuple[int, int] | None:
        """(the catalog generation, the collection's data version) when the store reads
        them without network I/O (file-backed SQLite), else None. An answer read under
        one state is still current while the state is unchanged."""
        reader = self.thermal.keyread
        return None if reader is None else reader.state(collection)

    def get_or_raise(self, collection: str, key: Any) -> dict[str, Any]:
        record = self.get(collection, key)
        if record is None:
            raise NotFoundError(f"no record with key {key!r} in {collection!r}")
        return record

    # -- tiers ----------------------------------------------------------------------------
    def tiers(self) -> list[dict[str, Any]]:
        """Every collection's rows by tier, with sizes, and the hot cache's hit rate."""
        return self.thermal.overview()

    def explain_tiers(self, collection: str, now: datetime | None = None) -> dict[str, Any]:
        """Why each segment of a collection is where it is, and what would move it next."""
        return self.thermal.explain(collection, now)

    def migrate(self, now: datetime | None = None, *, dry_run: bool = False) -> PassReport:
        """Run one migration pass as if at ``now``: demote, promote, delete, clean up."""
        from thermodb.lifecycle.retention import enforce_retention

        # delete_after for warm rows and the change stream, at the same now (lifecycle.md)
        return enforce_retention(self, self.thermal.migrate(now, dry_run=dry_run))

    def describe(self, collection: str) -> dict[str, Any]:
        """What `describe` shows: fields, types, null fractions, examples, roles, history."""
        from thermodb.catalog.describe import describe

        self.catalog.refresh()
        coll = self.catalog.get(collection)
        return describe(coll, rows=self.count(collection))

    # -- querying -------------------------------------------------------------------------
    @cached_property
    def planner(self) -> Planner:
        """The query planner (created on first use); the only thing that runs queries."""
        return Planner(self.catalog, self.store)

    @logged("spec")
    def query(
        self, spec: QuerySpec | Mapping[str, Any] | str, *, max_rows: int | None = None
    ) -> Result:
        """Run a QuerySpec (or its dict / JSON form); ``max_rows`` caps a listing."""
        parsed = parse_spec(spec)
        self.catalog.refresh()
        self.thermal.planner = self.planner
        names = [parsed.collection, *(link.collection for link in parsed.links)]

        def run() -> Result:
            across = self.thermal.query(parsed, max_rows)  # None unless cold segments are read
            return across if across is not None else self.planner.run(parsed, max_rows=max_rows)

        # answers are cached under the data versions they read, so never stale (issue 5)
        return self.thermal.results.get_or_run(
            parsed.model_dump_json(), max_rows, lambda: self.thermal.versions(names), run
        )

    @cached_property
    def nl(self) -> NLEngine:
        """The natural-language engine (created on first use)."""
        from thermodb.nl.engine import NLEngine

        return NLEngine(self)

    @logged("ask")
    def ask(
        self,
        question: str,
        now: datetime | None = None,
        conversation: str | None = None,
        *,
        transform: Callable[[QuerySpec], QuerySpec] | None = None,
        scope: PromptScope | None = None,
    ) -> Answer:
        """Answer a question in plain English (see docs/nl.md); ``transform`` sees every
        QuerySpec before it runs (the gateway's grants and row filters), ``scope`` bounds
        what an LLM prompt may show for the caller."""
        self.catalog.refresh()
        return self.nl.ask(
            question, now=now, conversation=conversation, transform=transform, scope=scope
        )

    @logged("sql")
    def sql(
        self,
        text: str,
        *,
        max_rows: int | None = None,
        timeout: float | None = None,
        grants: SQLGrants | None = None,
    ) -> Result:
        """Run one read-only SELECT over the collections (anything else: UnsafeSQLError);
        ``grants`` (from the gateway) says which collections the caller may read."""
        from thermodb.query.sql import run_sql
        from thermodb.tiers.sql import cold_sql

        self.catalog.refresh()
        return run_sql(
            self.planner,
            text,
            max_rows=max_rows,
            timeout=timeout,
            cold=cold_sql(self.thermal, self.planner),
            grants=grants,
        )


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
