"""The catalog: collections and their schemas, persisted beside the data they describe.

Catalog rows live in the operational store and change in the same transaction as the
records they describe, so a schema never runs ahead of (or behind) its table. Readers get
an in-memory copy; writers save inside their transaction and reload if it rolls back.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thermodb.catalog.migrations import CATALOG_FORMAT, upgrade
from thermodb.catalog.model import Collection
from thermodb.catalog.naming import valid_collection_name
from thermodb.errors import NotFoundError
from thermodb.storage.operational import OperationalStore

__all__ = ["CATALOG_FORMAT", "Catalog"]

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

    def __init__(self, store: OperationalStore) -> None:
        self.store = store
        self._lock = threading.RLock()
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

    def is_current(self, generation: int) -> bool:
        """Whether the catalog in memory is the one of ``generation`` (read elsewhere)."""
        return generation == self._generation

    # -- reading ------------------------------------------------------------------------
    def names(self) -> list[str]:
        return sorted(self._collections)

    def all(self) -> list[Collection]:
        return [self._collections[n] for n in self.names()]

    def get(self, name: str) -> Collection:
        try:
            return self._collections[name]
        except KeyError:
            raise NotFoundError(
                f"no collection named {name!r}",
                hint=_suggest(name, self.names()),
            ) from None

    def find(self, name: str) -> Collection | None:
        return self._collections.get(name)

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
        self._note_change(_bump_generation(conn))
        with self._lock:
            self._collections[collection.name] = collection

    def remove(self, conn: Connection, name: str) -> None:
        conn.execute(collections_table.delete().where(collections_table.c.name == name))
        self._note_change(_bump_generation(conn))
        with self._lock:
            self._collections.pop(name, None)

    def _note_change(self, generation: int) -> None:
        """Our change made ``generation``; if another writer's came between, reload later."""
        with self._lock:
            self._generation = generation if generation == self._generation + 1 else -1


_GENERATION = "catalog_generation"


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
