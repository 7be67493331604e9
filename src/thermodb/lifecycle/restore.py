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
from thermodb.config import Settings, load_settings
from thermodb.errors import ConfigError, StorageError
from thermodb.lifecycle.engines import engine_for
from thermodb.lifecycle.manifest import SEGMENTS_DIR, Manifest, file_sha256, read_manifest
from thermodb.lifecycle.summary import collection_summaries
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


def check_files(dest: Path, manifest: Manifest, progress: Progress) -> list[str]:
    """Every file of the backup against its size and SHA-256 in the manifest."""
    problems = []
    files = manifest.files()
    for done, entry in enumerate(files):
        progress("checking files", done, len(files))
        path = dest / entry.path
        if not path.is_file():
            problems.append(f"{entry.path} is missing")
        elif path.stat().st_size != entry.bytes:
            problems.append(f"{entry.path} has {path.stat().st_size} bytes, not {entry.bytes}")
        elif file_sha256(path) != entry.sha256:
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
    folder = Path(dest)
    manifest = read_manifest(folder, backup_id)
    problems = check_files(folder, manifest, report_progress)
    if problems:
        raise StorageError(
            f"backup {manifest.id} is damaged: {problems[0]}"
            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
            hint="restore an earlier backup (`thermodb backup verify` checks one)",
        )
    settings = settings or load_settings(target)
    _open_empty(settings)  # thermodb's own tables, and a check that there is nothing else
    store = open_store(settings.operational_url)
    try:
        engine_for(store).load(store, folder / manifest.snapshot.path, report_progress)
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
    dest: str | Path, *, backup_id: str | None = None, progress: Progress | None = None
) -> RestoreReport:
    """Check every file, restore into a scratch store, compare rows and checksums."""
    started = datetime.now(UTC)
    report_progress = progress or _no_progress
    folder = Path(dest)
    manifest = read_manifest(folder, backup_id)
    report = RestoreReport(manifest.id, "scratch")
    report.problems = check_files(folder, manifest, report_progress)
    if report.problems:
        report.seconds = (datetime.now(UTC) - started).total_seconds()
        return report
    scratch = Path(tempfile.mkdtemp(prefix="thermodb-verify-"))
    try:
        data = scratch / "data"
        settings = Settings(data_dir=str(data), cold=f"file://{scratch / 'cold'}")
        restore_backup(folder, data, backup_id=manifest.id, settings=settings, progress=progress)
        from thermodb.database import Database

        with Database(str(data), settings) as db:
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
    folder: Path, manifest: Manifest, settings: Settings, database_id: str, progress: Progress
) -> None:
    import os

    from thermodb.storage.cold import ColdSettings, open_cold

    # the same cold settings as Tiers.from_settings

    env = os.environ
    cold = open_cold(
        ColdSettings(
            url=settings.cold_url,
            endpoint=settings.s3.endpoint or env.get("AWS_ENDPOINT_URL"),
            region=settings.s3.region or env.get("AWS_DEFAULT_REGION"),
            access_key=settings.s3.access_key_id or env.get("AWS_ACCESS_KEY_ID"),
            secret_key=settings.s3.secret_access_key or env.get("AWS_SECRET_ACCESS_KEY"),
        )
    ).scoped(database_id)
    prefix = f"{SEGMENTS_DIR}/"
    for done, entry in enumerate(manifest.segments):
        progress("segments", done, len(manifest.segments))
        data = (folder / entry.path).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise StorageError(f"{entry.path} changed while it was being restored")
        location = entry.path.removeprefix(prefix)
        try:
            cold.put(cold.full(location), data)
        except OSError as exc:
            raise StorageError(f"cannot write {location} to the cold store: {exc}") from exc
    progress("segments", len(manifest.segments), len(manifest.segments))
