"""`take_backup`: a consistent online snapshot, the cold segments it references, a manifest.

The snapshot is one read transaction of the operational store (see :mod:`engines`), so it
holds exactly the records committed at its start while writes go on. The cold segments it
references are immutable and copied once per destination. A segment that a move retired
after the snapshot may already be gone from the cold store: then a new snapshot is taken
(the segments copied so far are kept), so the backup never references a missing file.
"""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq
import sqlalchemy as sa

from thermodb.config import Settings
from thermodb.errors import StorageError, ThermoError
from thermodb.lifecycle.destination import Destination
from thermodb.lifecycle.engines import engine_for, open_snapshot
from thermodb.lifecycle.manifest import (
    LATEST,
    SEGMENTS_DIR,
    SNAPSHOT_FILE,
    FileEntry,
    Manifest,
    file_sha256,
    read_manifest,
)
from thermodb.lifecycle.summary import collection_summaries, load_collections
from thermodb.tiers.segments import SegmentCatalog

if TYPE_CHECKING:
    from thermodb.database import Database

__all__ = ["BackupReport", "take_backup"]

Progress = Callable[[str, int, int], None]
SNAPSHOT_TRIES = 5


@dataclass
class BackupReport:
    id: str
    dest: str
    manifest: Manifest
    segments_copied: int = 0
    segments_reused: int = 0
    bytes_copied: int = 0
    snapshots: int = 1
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "dest": self.dest,
            "collections": self.manifest.collections,
            "last_event_id": self.manifest.last_event_id,
            "segments_copied": self.segments_copied,
            "segments_reused": self.segments_reused,
            "bytes_copied": self.bytes_copied,
            "snapshot_bytes": self.manifest.snapshot.bytes,
            "snapshots_taken": self.snapshots,
            "seconds": round(self.seconds, 3),
        }


def _no_progress(step: str, done: int, total: int) -> None:
    return None


def take_backup(
    db: Database,
    dest: str | Path,
    progress: Progress | None = None,
    *,
    settings: Settings | None = None,
) -> BackupReport:
    """Back ``db`` up into ``dest`` (a folder, created if needed, or ``s3://BUCKET/PREFIX``)
    while writes continue. ``settings`` reach S3 (default: the database's)."""
    started = datetime.now(UTC)
    report_progress = progress or _no_progress
    folder = Destination(dest, settings or db.settings)
    backup_id = f"{started:%Y%m%dT%H%M%S}Z-{uuid.uuid4().hex[:8]}"
    known = _known_segments(folder)
    engine = engine_for(db.store)
    copied: dict[str, FileEntry] = {}
    tries = 0
    with tempfile.TemporaryDirectory(prefix="thermodb-backup-") as tmp:
        snapshot = Path(tmp) / SNAPSHOT_FILE
        while True:
            tries += 1
            report_progress("snapshot", 0, 1)
            snapshot.unlink(missing_ok=True)
            engine.snapshot(db.store, snapshot)
            report_progress("snapshot", 1, 1)
            snap = open_snapshot(snapshot)
            try:
                locations = [s.location for s in SegmentCatalog(snap).segments()]
                missing = _copy_segments(db, folder, locations, known, copied, report_progress)
                if missing and tries < SNAPSHOT_TRIES:
                    continue  # moved after the snapshot: take a newer one
                if missing:
                    raise StorageError(
                        f"cold segments kept moving during {tries} snapshots ({missing[0]} ...)",
                        hint="run the backup again, or pause migrations while it runs",
                    )
                report_progress("checksums", 0, 1)
                summaries = collection_summaries(
                    snap,
                    load_collections(snap),
                    lambda loc: pq.read_table(
                        folder.full(f"{SEGMENTS_DIR}/{loc}"), filesystem=folder.fs
                    ),
                )
                last_event = _last_event_id(snap)
                database_id = _database_id(snap)
                report_progress("checksums", 1, 1)
            finally:
                snap.dispose()
            break
        snapshot_entry = FileEntry(
            path=f"{backup_id}/{SNAPSHOT_FILE}",
            bytes=snapshot.stat().st_size,
            sha256=file_sha256(snapshot),
        )
        report_progress("upload", 0, 1)
        folder.upload(snapshot, snapshot_entry.path)
        report_progress("upload", 1, 1)
    segments = [copied[loc] for loc in locations]
    manifest = Manifest(
        id=backup_id,
        created_at=started.isoformat(),
        source={
            "engine": db.store.ops.capabilities.name,
            "database_id": database_id,
            "thermodb": _version(),
        },
        snapshot=snapshot_entry,
        segments=segments,
        collections=summaries,
        last_event_id=last_event,
    )
    folder.write(f"{backup_id}/manifest.json", manifest.model_dump_json(indent=2).encode())
    folder.write(LATEST, backup_id.encode())
    report = BackupReport(backup_id, str(folder), manifest, snapshots=tries)
    report.segments_copied = sum(1 for s in segments if s.copied)
    report.segments_reused = len(segments) - report.segments_copied
    report.bytes_copied = manifest.snapshot.bytes + sum(s.bytes for s in segments if s.copied)
    report.seconds = (datetime.now(UTC) - started).total_seconds()
    return report


def _copy_segments(
    db: Database,
    folder: Destination,
    locations: list[str],
    known: dict[str, FileEntry],
    copied: dict[str, FileEntry],
    progress: Progress,
) -> list[str]:
    """Copy the segments not in the backup folder yet; the locations that were missing."""
    cold = db.thermal.cold
    missing = []
    for done, location in enumerate(locations):
        progress("segments", done, len(locations))
        if location in copied:
            continue
        path = f"{SEGMENTS_DIR}/{location}"
        earlier = known.get(path)
        if earlier is not None and folder.size(path) == earlier.bytes:
            copied[location] = earlier.model_copy(update={"copied": False})
            continue
        try:
            with cold.fs.open_input_stream(cold.full(location)) as f:
                data = f.read()
        except FileNotFoundError:
            missing.append(location)
            continue
        except OSError as exc:
            raise StorageError(f"cannot read cold segment {location}: {exc}") from exc
        folder.write(path, data)
        copied[location] = FileEntry(
            path=path, bytes=len(data), sha256=hashlib.sha256(data).hexdigest()
        )
    progress("segments", len(locations), len(locations))
    return missing


def _known_segments(folder: Destination) -> dict[str, FileEntry]:
    """Segments earlier backups in this folder copied, with their checksums."""
    try:
        manifest = read_manifest(folder)
    except ThermoError:  # no earlier backup, or one we cannot read: copy everything again
        return {}
    return {s.path: s for s in manifest.segments}


def _last_event_id(snap: Any) -> int:
    from thermodb.events.tables import head_table

    with snap.read() as conn:
        return int(conn.execute(sa.select(head_table.c.last_id)).scalar() or 0)


def _database_id(snap: Any) -> str | None:
    from thermodb.catalog.store import settings_table

    with snap.read() as conn:
        found = conn.execute(
            sa.select(settings_table.c.value).where(settings_table.c.key == "database_id")
        ).scalar_one_or_none()
    return None if found is None else str(found)


def _version() -> str:
    from thermodb import __version__

    return str(__version__)
