"""`restore_backup` into an empty store, and `verify_backup`, which restores into a scratch
store and compares what it finds with the manifest.

A restore first checks every file against the manifest's SHA-256 (a damaged backup is
refused before anything is written), loads the snapshot into the target (see
:mod:`engines`), gives the restored database a new id (so it never shares cold files or
cache keys with the original) and copies the cold segments into the target's cold store.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from thermodb.catalog.store import collections_table, settings_table
from thermodb.config import S3Settings, Settings, load_settings
from thermodb.errors import ConfigError, StorageError
from thermodb.lifecycle.destination import Destination, cold_settings
from thermodb.lifecycle.engines import engine_for
from thermodb.lifecycle.manifest import SEGMENTS_DIR, Manifest, file_sha256, read_manifest
from thermodb.lifecycle.summary import collection_summaries
from thermodb.storage.cold import open_cold
from thermodb.storage.operational import OperationalStore, open_store

__all__ = ["RestoreReport", "restore_backup", "verify_backup"]

Progress = Callable[[str, int, int], None]


@dataclass
class RestoreReport:
    id: str
    target: str
    collections: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "target": self.target,
            "ok": self.ok,
            "problems": self.problems,
            "collections": self.collections,
            "seconds": round(self.seconds, 3),
        }


def _no_progress(step: str, done: int, total: int) -> None:
    return None


def check_files(dest: Destination, manifest: Manifest, progress: Progress) -> list[str]:
    """Every file of the backup against its size and SHA-256 in the manifest."""
    problems = []
    files = manifest.files()
    for done, entry in enumerate(files):
        progress("checking files", done, len(files))
        size = dest.size(entry.path)
        if size is None:
            problems.append(f"{entry.path} is missing")
        elif size != entry.bytes:
            problems.append(f"{entry.path} has {size} bytes, not {entry.bytes}")
        elif dest.sha256(entry.path) != entry.sha256:
            problems.append(f"{entry.path} does not match its SHA-256 (damaged)")
    progress("checking files", len(files), len(files))
    return problems


def restore_backup(
    dest: str | Path,
    target: str | Path,
    *,
    backup_id: str | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> RestoreReport:
    """Restore a backup (default: the newest in ``dest``) into the empty store ``target``."""
    started = datetime.now(UTC)
    report_progress = progress or _no_progress
    settings = settings or load_settings(target)
    folder = Destination(dest, settings)
    manifest = read_manifest(folder, backup_id)
    problems = check_files(folder, manifest, report_progress)
    if problems:
        raise StorageError(
            f"backup {manifest.id} is damaged: {problems[0]}"
            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
            hint="restore an earlier backup (`thermodb backup verify` checks one)",
        )
    _open_empty(settings)  # thermodb's own tables, and a check that there is nothing else
    store = open_store(settings.operational_url)
    try:
        with tempfile.TemporaryDirectory(prefix="thermodb-restore-") as tmp:
            snapshot = Path(tmp) / "operational.db"
            folder.download(manifest.snapshot.path, snapshot)
            if file_sha256(snapshot) != manifest.snapshot.sha256:
                raise StorageError(f"{manifest.snapshot.path} changed while it was being read")
            engine_for(store).load(store, snapshot, report_progress)
    finally:
        store.dispose()
    store = open_store(settings.operational_url)
    try:
        database_id = _renew_database_id(store)
    finally:
        store.dispose()
    _copy_segments(folder, manifest, settings, database_id, report_progress)
    from thermodb.database import Database

    with Database(str(target), settings):  # recovers open moves, sweeps orphans
        pass
    report = RestoreReport(manifest.id, str(target), manifest.collections)
    report.seconds = (datetime.now(UTC) - started).total_seconds()
    return report


def verify_backup(
    dest: str | Path,
    *,
    backup_id: str | None = None,
    progress: Progress | None = None,
    settings: Settings | None = None,
) -> RestoreReport:
    """Check every file, restore into a scratch store, compare rows and checksums.

    ``settings`` reach an S3 destination (its ``[s3]`` section); the scratch store is a
    temporary SQLite directory whatever they say."""
    started = datetime.now(UTC)
    report_progress = progress or _no_progress
    folder = Destination(dest, settings)
    manifest = read_manifest(folder, backup_id)
    report = RestoreReport(manifest.id, "scratch")
    report.problems = check_files(folder, manifest, report_progress)
    if report.problems:
        report.seconds = (datetime.now(UTC) - started).total_seconds()
        return report
    scratch = Path(tempfile.mkdtemp(prefix="thermodb-verify-"))
    try:
        data = scratch / "data"
        scratch_settings = Settings(
            data_dir=str(data),
            cold=f"file://{scratch / 'cold'}",
            s3=settings.s3 if settings is not None else S3Settings(),
        )
        restore_backup(
            dest, data, backup_id=manifest.id, settings=scratch_settings, progress=progress
        )
        from thermodb.database import Database

        with Database(str(data), scratch_settings) as db:
            report_progress("comparing", 0, 1)
            found = collection_summaries(db.store, db.catalog.all(), db.thermal.cold.read)
            report_progress("comparing", 1, 1)
        report.collections = found
        for name, expected in manifest.collections.items():
            got = found.get(name)
            if got is None:
                report.problems.append(f"collection {name!r} is missing after the restore")
            elif got["rows"] != expected["rows"]:
                report.problems.append(
                    f"{name}: {got['rows']} records restored, {expected['rows']} backed up"
                )
            elif got["checksum"] != expected["checksum"]:
                report.problems.append(f"{name}: the restored records' checksum differs")
        for name in set(found) - set(manifest.collections):
            report.problems.append(f"collection {name!r} appeared in the restore")
    except StorageError as exc:
        report.problems.append(f"the restore failed: {exc.message}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report.seconds = (datetime.now(UTC) - started).total_seconds()
    return report


def _open_empty(settings: Settings) -> None:
    """Refuse a target that holds collections (a restore never merges into data)."""
    store = open_store(settings.operational_url)
    try:
        with store.read() as conn:
            tables = set(sa.inspect(conn).get_table_names(schema=store.schema))
            held = (
                conn.execute(sa.select(sa.func.count()).select_from(collections_table)).scalar()
                if collections_table.name in tables
                else 0
            )
        foreign = sorted(t for t in tables if not t.startswith("thermo_"))
    finally:
        store.dispose()
    if held or foreign:
        raise ConfigError(
            f"the target {settings.operational_url} is not empty "
            f"({held or len(foreign)} collections or tables)",
            hint="restore into a new data directory or an empty PostgreSQL schema",
        )
    if not settings.is_embedded:
        from thermodb.database import Database

        with Database(settings.operational_url, settings):
            pass  # creates thermodb's tables with their real types before the load fills them


def _renew_database_id(store: OperationalStore) -> str:
    new = f"db-{uuid.uuid4().hex[:12]}"
    with store.begin() as conn:
        conn.execute(settings_table.delete().where(settings_table.c.key == "database_id"))
        conn.execute(settings_table.insert().values(key="database_id", value=new))
    return new


def _copy_segments(
    folder: Destination,
    manifest: Manifest,
    settings: Settings,
    database_id: str,
    progress: Progress,
) -> None:
    cold = open_cold(cold_settings(settings.cold_url, settings)).scoped(database_id)
    prefix = f"{SEGMENTS_DIR}/"
    for done, entry in enumerate(manifest.segments):
        progress("segments", done, len(manifest.segments))
        data = folder.read(entry.path)
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise StorageError(f"{entry.path} changed while it was being restored")
        location = entry.path.removeprefix(prefix)
        try:
            cold.put(cold.full(location), data)
        except OSError as exc:
            raise StorageError(f"cannot write {location} to the cold store: {exc}") from exc
    progress("segments", len(manifest.segments), len(manifest.segments))
