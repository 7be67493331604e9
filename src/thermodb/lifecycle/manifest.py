"""The backup folder's layout and its manifest (what each backup holds, with checksums).

DEST/LATEST                    the id of the newest complete backup
DEST/<id>/manifest.json        this backup's manifest (written last)
DEST/<id>/operational.db       the snapshot of the operational store (one SQLite file)
DEST/segments/<location>       cold segments, shared by every backup (immutable, so
                               each is copied once: backups are incremental for them)
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from thermodb.errors import NotFoundError, StorageError

if TYPE_CHECKING:
    from thermodb.lifecycle.destination import Destination

__all__ = ["FileEntry", "Manifest", "file_sha256", "read_manifest"]

MANIFEST_FORMAT = 1
SNAPSHOT_FILE = "operational.db"
SEGMENTS_DIR = "segments"
LATEST = "LATEST"


class FileEntry(BaseModel):
    path: str
    """Relative to the backup folder (DEST)."""
    bytes: int
    sha256: str
    copied: bool = True
    """False when an earlier backup had already copied this (immutable) segment."""


class Manifest(BaseModel):
    format: int = MANIFEST_FORMAT
    id: str
    created_at: str
    source: dict[str, Any]
    snapshot: FileEntry
    segments: list[FileEntry] = Field(default_factory=list)
    collections: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Per collection: rows, warm_rows, cold_rows and an order-free checksum of the records."""
    last_event_id: int = 0
    """The change stream's newest event at the snapshot point."""

    def files(self) -> list[FileEntry]:
        return [self.snapshot, *self.segments]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(dest: Destination, backup_id: str | None = None) -> Manifest:
    """The manifest of backup ``backup_id`` in ``dest`` (default: the newest)."""
    if backup_id is None:
        if dest.size(LATEST) is None:
            raise NotFoundError(f"no backup in {dest}", hint="take one with `thermodb backup DEST`")
        backup_id = dest.read(LATEST).decode().strip()
    path = f"{backup_id}/manifest.json"
    if dest.size(path) is None:
        raise NotFoundError(f"no backup {backup_id!r} in {dest}")
    try:
        return Manifest.model_validate_json(dest.read(path))
    except ValueError as exc:
        raise StorageError(
            f"the manifest of backup {backup_id!r} is damaged: {str(exc).splitlines()[0]}"
        ) from exc
