"""Where a database's lakehouse files live, and the URIs Iceberg records for them.

Segments stay where the cold store keeps them (``<cold>/<database id>/<collection>/...``).
Table metadata and conformed copies go beside them, under ``<cold>/_lakehouse/<database
id>/<collection>/``: outside the database's own folder, so the migration engine's orphan
sweep (which removes every Parquet file there that no segment names) never sees them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from thermodb.config import Settings
from thermodb.errors import StorageError
from thermodb.storage.cold import ColdStore

__all__ = ["Lake", "io_properties"]

LAKE_DIR = "_lakehouse"


@dataclass(frozen=True)
class Lake:
    """The cold store of one database and the lakehouse folder beside it."""

    cold: ColdStore
    store: ColdStore

    @classmethod
    def beside(cls, cold: ColdStore) -> Lake:
        """The lakehouse of the database whose (scoped) cold store this is."""
        parent, _, database_id = cold.root.rpartition("/")
        url_parent = cold.url.rstrip("/").rpartition("/")[0]
        if not parent or not database_id:
            raise StorageError(f"cannot place the lakehouse beside the cold store {cold.url}")
        store = ColdStore(
            cold.fs,
            f"{parent}/{LAKE_DIR}/{database_id}",
            url=f"{url_parent}/{LAKE_DIR}/{database_id}",
            local=cold.local,
        )
        return cls(cold=cold, store=store)

    def uri(self, store: ColdStore, location: str) -> str:
        """The absolute URI of a file (``file:///...`` or ``s3://bucket/...``)."""
        full = store.full(location)
        return f"file://{full}" if store.local else f"s3://{full}"

    def segment_uri(self, location: str) -> str:
        return self.uri(self.cold, location)

    def copy_location(self, collection: str, segment_id: str, digest: str) -> str:
        return f"{collection}/data/{segment_id}-{digest}.parquet"

    def copies_prefix(self, collection: str) -> str:
        return self.uri(self.store, f"{collection}/data/")

    def table_location(self, collection: str, generation: str) -> str:
        """Where one generation of a collection's table keeps its metadata."""
        return self.uri(self.store, f"{collection}/{generation}")

    def warehouse(self) -> str:
        return self.uri(self.store, "").rstrip("/")

    def location_of(self, uri: str) -> str | None:
        """The lake-relative location of a URI under the lake folder, else None."""
        prefix = self.uri(self.store, "")
        return uri[len(prefix) :] if uri.startswith(prefix) else None


def io_properties(settings: Settings) -> dict[str, str]:
    """pyiceberg FileIO settings for the cold store (the same keys thermodb itself uses)."""
    env = os.environ
    values = {
        "s3.endpoint": settings.s3.endpoint or env.get("AWS_ENDPOINT_URL"),
        "s3.region": settings.s3.region or env.get("AWS_DEFAULT_REGION"),
        "s3.access-key-id": settings.s3.access_key_id or env.get("AWS_ACCESS_KEY_ID"),
        "s3.secret-access-key": settings.s3.secret_access_key or env.get("AWS_SECRET_ACCESS_KEY"),
    }
    return {k: v for k, v in values.items() if v}
