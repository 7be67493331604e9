"""The catalog: collections and their schemas, persisted beside the data they describe.

Catalog rows live in the operational store and change in the same transaction as the
records they describe, so a schema never runs ahead of (or behind) its table. Readers get
the in-memory collections; a writer works on its own copy and saves it inside its
transaction, and the copy is published to readers only once that transaction commits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thermodb.catalog.migrations import CATALOG_FORMAT, upgrade
from thermodb.catalog.model import Collection
from thermodb.catalog.naming import valid_collection_name
from thermodb.errors import NotFoundError

__all__ = ["AFTER_COMMIT", "CATALOG_FORMAT", "Catalog", "Transactions", "after_commit"]


class Transactions(Protocol):
    """What the catalog needs of the operational store: transactions (the store is the
    layer above; the catalog only asks it for connections)."""

    def begin(self, *, write: bool = True, wait: bool = True) -> AbstractContextManager[Connection]:
        """A write (or read) transaction, committed on success."""

    def read(self) -> AbstractContextManager[Connection]:
        """A read transaction (one snapshot)."""


_meta = sa.MetaData()
collections_table = sa.Table(
    "thermo_collections",
    _meta,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("doc", sa.Text, nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
)
settings_table = sa.Table(
    "thermo_settings",
    _meta,
    sa.Column("key", sa.String(128), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
catalog_metadata = _meta


class Catalog:
    """The set of collections of one database, cached in memory."""

    def __init__(self, store: Transactions) -> None:
        self.store = store
        self._lock = threading.RLock()
        self._local = threading.local()
        self._collections: dict[str, Collection] = {}
        self._generation = -1
        import thermodb.catalog.tables  # noqa: F401  (its tables join the metadata)

        with store.begin() as conn:
            _meta.create_all(conn)
            for key, value in (("catalog_format", str(CATALOG_FORMAT)), (_GENERATION, "0")):
                conn.execute(
                    sa.text(
                        "INSERT INTO thermo_settings (key, value) SELECT :k, :v WHERE NOT "
                        "EXISTS (SELECT 1 FROM thermo_settings WHERE key = :same)"
                    ),
                    {"k": key, "v": value, "same": key},
                )
            fmt = settings_table.c.key == "catalog_format"
            current = int(conn.execute(sa.select(settings_table.c.value).where(fmt)).scalar_one())
            if upgrade(conn, current):
                conn.execute(settings_table.update().where(fmt).values(value=str(CATALOG_FORMAT)))
        self.reload()

    def reload(self, conn: Connection | None = None) -> None:
        """Re-read every collection (after a rollback, or a write by another process)."""
        if conn is None:
            with self.store.read() as own:
                self.reload(own)
            return
        self._local.unpublished = {}  # after a rollback: nothing of it stays visible
        generation = _read_generation(conn)
        rows = conn.execute(sa.select(collections_table.c.doc)).scalars().all()
        loaded = {c.name: c for c in (Collection.model_validate_json(doc) for doc in rows)}
        with self._lock:
            self._collections = loaded
            self._generation = generation

    def refresh(self, conn: Connection | None = None) -> None:
        """Reload if another process (or server worker) changed the catalog since we read it.

        One small read of the catalog's generation, which every save and removal bumps in
        its own transaction; called at the entry points that read or extend schemas.
        """
        if conn is None:
            with self.store.read() as own:
                self.refresh(own)
            return
        if _read_generation(conn) != self._generation:
            self.reload(conn)

    def lock_for_change(self, conn: Connection) -> None:
        """Hold the catalog for the caller's write transaction, then read it fresh.

        Every schema save bumps the generation row anyway, so writers already serialise on
        it from their first save; taking the row first means a writer's drafts start from
        the last committed schema. Without it (PostgreSQL, read committed) two writers that
        each add a field both copy the same published schema and the later save drops the
        other's field from the catalog (issue 16, finding 8). SQLite's write transaction
        already holds the database, where ``FOR UPDATE`` is not rendered.
        """
        gen = settings_table.c.key == _GENERATION
        conn.execute(sa.select(settings_table.c.value).where(gen).with_for_update())
        self.refresh(conn)

    def is_current(self, generation: int) -> bool:
        """Whether the catalog in memory is the one of ``generation`` (read elsewhere)."""
        return generation == self._generation

    # -- reading ------------------------------------------------------------------------
    def _view(self) -> dict[str, Collection]:
        """The published collections, overlaid (in a writing thread) by what its open
        transaction saved or removed: a writer sees its own changes, nobody else does."""
        mine: dict[str, Collection | None] | None = getattr(self._local, "unpublished", None)
        if not mine:
            return self._collections
        view = dict(self._collections)
        for name, coll in mine.items():
            if coll is None:
                view.pop(name, None)
            else:
                view[name] = coll
        return view

    def names(self) -> list[str]:
        return sorted(self._view())

    def all(self) -> list[Collection]:
        view = self._view()
        return [view[n] for n in sorted(view)]

    def get(self, name: str) -> Collection:
        try:
            return self._view()[name]
        except KeyError:
            raise NotFoundError(
                f"no collection named {name!r}",
                hint=_suggest(name, self.names()),
            ) from None

    def find(self, name: str) -> Collection | None:
        return self._view().get(name)

    def _stage(self, conn: Connection, name: str, coll: Collection | None, gen: int) -> None:
        """Show ``coll`` (None: removed) to this thread now, to everyone once committed."""
        mine: dict[str, Collection | None] | None = getattr(self._local, "unpublished", None)
        if mine is None:
            mine = self._local.unpublished = {}
        mine[name] = coll

        def publish() -> None:
            with self._lock:
                if coll is None:
                    self._collections.pop(name, None)
                else:
                    self._collections[name] = coll
            self._note_change(gen)
            forget()

        def forget() -> None:
            staged = getattr(self._local, "unpublished", {})
            if staged.get(name, ...) is coll:
                del staged[name]

        after_commit(conn, publish, forget)

    # -- writing (inside the caller's transaction) ---------------------------------------
    def save(self, conn: Connection, collection: Collection) -> None:
        valid_collection_name(collection.name)
        doc = collection.model_dump_json()
        now = datetime.now(UTC).isoformat()
        updated = conn.execute(
            collections_table.update()
            .where(collections_table.c.name == collection.name)
            .values(doc=doc, updated_at=now)
        )
        if not updated.rowcount:
            conn.execute(
                collections_table.insert().values(name=collection.name, doc=doc, updated_at=now)
            )
        self._stage(conn, collection.name, collection, _bump_generation(conn))

    def remove(self, conn: Connection, name: str) -> None:
        conn.execute(collections_table.delete().where(collections_table.c.name == name))
        self._stage(conn, name, None, _bump_generation(conn))

    def _note_change(self, generation: int) -> None:
        """Our change made ``generation``; if another writer's came between, reload later."""
        with self._lock:
            self._generation = generation if generation == self._generation + 1 else -1


_GENERATION = "catalog_generation"
AFTER_COMMIT = "thermo_after_commit"
"""Key in a connection's ``info`` of ``(on_commit, on_rollback)`` callbacks its transaction
runs when it ends (the operational store's ``begin`` runs them)."""


def after_commit(
    conn: Connection, callback: Callable[[], None], on_rollback: Callable[[], None] | None = None
) -> None:
    """Run ``callback`` once the caller's transaction commits (at once outside one), and
    ``on_rollback`` if it rolls back instead.

    Schema changes are published this way: another thread never sees a collection whose
    new columns its own snapshot of the store does not have yet.
    """
    pending = conn.info.get(AFTER_COMMIT)
    if pending is None:
        callback()
    else:
        pending.append((callback, on_rollback))


def _read_generation(conn: Connection) -> int:
    value = conn.execute(
        sa.select(settings_table.c.value).where(settings_table.c.key == _GENERATION)
    ).scalar_one_or_none()
    return int(value) if value is not None else 0


def _bump_generation(conn: Connection) -> int:
    """Count one more catalog change, in the caller's transaction; the new generation.

    The increment is one UPDATE, so concurrent writers (PostgreSQL) serialise on the row.
    """
    counter = settings_table.c.value
    conn.execute(
        settings_table.update()
        .where(settings_table.c.key == _GENERATION)
        .values(value=sa.cast(sa.cast(counter, sa.Integer) + 1, sa.String))
    )
    return _read_generation(conn)


def _suggest(name: str, names: list[str]) -> str:
    if not names:
        return "this database has no collections yet: ingest some records first"
    from rapidfuzz import process

    best = process.extractOne(name, names, score_cutoff=60)
    if best:
        return f"did you mean {best[0]!r}? collections: {', '.join(names)}"
    return f"collections: {', '.join(names)}"
