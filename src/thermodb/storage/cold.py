"""The cold store: immutable Parquet segments (pyarrow, zstd) in a folder or S3 bucket.

One pyarrow ``FileSystem`` serves both: ``LocalFileSystem`` rooted at a folder (default
``<data dir>/cold``) or ``S3FileSystem`` for ``s3://bucket/prefix`` (endpoint and
credentials from the settings or the usual ``AWS_*`` environment variables). Paths handed
to callers are *relative* to the root, so the catalog never stores a bucket name twice.

Writes follow the first half of the migration protocol: serialise to memory, write under a
temporary name, flush and fsync (local), then :meth:`finalize` renames into place (and
fsyncs the directory). The byte writer is an attribute (``put``) so fault tests can inject
``OSError(ENOSPC)`` or an unreachable endpoint without mocking a service.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import fs as pafs

from thermodb.errors import ConfigError, StorageError

__all__ = ["ColdSettings", "ColdStore", "open_cold"]

TEMP_DIR = "_tmp"
COMPRESSION = "zstd"
COMPRESSION_LEVEL = 6


@dataclass(frozen=True)
class ColdSettings:
    """Where cold segments live and how to reach them."""

    url: str
    endpoint: str | None = None
    region: str | None = None
    access_key: str | None = None
    secret_key: str | None = None


class ColdStore:
    """Parquet files under one root of one pyarrow file system."""

    def __init__(self, filesystem: pafs.FileSystem, root: str, *, url: str, local: bool) -> None:
        self.fs = filesystem
        self.root = root.rstrip("/")
        self.url = url
        self.local = local
        self.put: Callable[[str, bytes], None] = self._put
        """Writes bytes to a full path; replace it to inject faults in tests."""

    def scoped(self, name: str) -> ColdStore:
        """The same store rooted one folder down (one database's files, apart from others)."""
        child = ColdStore(
            self.fs, f"{self.root}/{name}", url=f"{self.url.rstrip('/')}/{name}", local=self.local
        )
        child.put = self.put
        return child

    def __repr__(self) -> str:
        return f"<ColdStore {self.url}>"

    # -- paths --------------------------------------------------------------------------
    def full(self, location: str) -> str:
        return f"{self.root}/{location}"

    @staticmethod
    def segment_location(collection: str, segment_id: str) -> str:
        return f"{collection}/{segment_id}.parquet"

    @staticmethod
    def temp_location(segment_id: str) -> str:
        return f"{TEMP_DIR}/{segment_id}.parquet"

    def duckdb_path(self, location: str) -> str | None:
        """A path DuckDB can open itself (local files), or None (read through pyarrow)."""
        return self.full(location) if self.local else None

    # -- writing ------------------------------------------------------------------------
    def write(self, location: str, table: pa.Table) -> int:
        """Write ``table`` as Parquet at ``location`` durably; return the bytes written."""
        sink = pa.BufferOutputStream()
        pq.write_table(
            table,
            sink,
            compression=COMPRESSION,
            compression_level=COMPRESSION_LEVEL,
            row_group_size=8_192,
            write_statistics=True,
        )
        data = sink.getvalue().to_pybytes()
        try:
            self.put(self.full(location), data)
        except OSError as exc:
            self._discard(location)
            raise _storage_error(f"cannot write {location} to the cold store", exc) from exc
        return len(data)

    def _put(self, path: str, data: bytes) -> None:
        if self.local:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            with Path(path).open("wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            _fsync_dir(Path(path).parent)
            return
        with self.fs.open_output_stream(path) as out:
            out.write(data)

    def finalize(self, temp: str, location: str) -> None:
        """Move a verified temporary file to its final name (atomic on a local disk)."""
        try:
            if self.local:
                Path(self.full(location)).parent.mkdir(parents=True, exist_ok=True)
                Path(self.full(temp)).replace(self.full(location))
                _fsync_dir(Path(self.full(location)).parent)
            else:
                self.fs.copy_file(self.full(temp), self.full(location))
                self.fs.delete_file(self.full(temp))
        except OSError as exc:
            raise _storage_error(f"cannot move {temp} to {location}", exc) from exc

    # -- reading ------------------------------------------------------------------------
    def read(
        self,
        location: str,
        *,
        columns: Sequence[str] | None = None,
        filters: Any = None,
    ) -> pa.Table:
        """A segment (or the rows of it that match pyarrow ``filters``) as an Arrow table."""
        try:
            return pq.read_table(
                self.full(location),
                filesystem=self.fs,
                columns=list(columns) if columns is not None else None,
                filters=filters,
            )
        except (OSError, pa.ArrowException) as exc:
            raise _storage_error(f"cannot read {location} from the cold store", exc) from exc

    def exists(self, location: str) -> bool:
        try:
            return bool(self.fs.get_file_info(self.full(location)).type == pafs.FileType.File)
        except OSError as exc:
            raise _storage_error("the cold store is unreachable", exc) from exc

    def size(self, location: str) -> int:
        return int(self.fs.get_file_info(self.full(location)).size or 0)

    def delete(self, location: str) -> None:
        """Remove a file; removing one that is already gone is not an error (idempotent)."""
        try:
            self.fs.delete_file(self.full(location))
        except FileNotFoundError:
            return
        except OSError as exc:
            if not self.exists(location):
                return
            raise _storage_error(f"cannot delete {location}", exc) from exc

    def _discard(self, location: str) -> None:
        """Best-effort removal of a half-written file (the orphan sweep catches the rest)."""
        with contextlib.suppress(StorageError):
            self.delete(location)

    def files(self) -> Iterator[str]:
        """Every Parquet file under the root, as locations relative to it."""
        selector = pafs.FileSelector(self.root, recursive=True, allow_not_found=True)
        try:
            infos = self.fs.get_file_info(selector)
        except OSError as exc:
            raise _storage_error("cannot list the cold store", exc) from exc
        prefix = self.root + "/"
        for info in infos:
            if info.type == pafs.FileType.File and info.path.endswith(".parquet"):
                path = info.path
                yield path[len(prefix) :] if path.startswith(prefix) else path


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _storage_error(what: str, exc: BaseException) -> StorageError:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return StorageError(f"{what}: no space left on the device", hint="free disk space")
    return StorageError(
        f"{what}: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}",
        hint="check that the cold store (THERMODB_COLD) is reachable and writable",
    )


def open_cold(settings: ColdSettings) -> ColdStore:
    """Open the cold store a URL names: a folder path, ``file://PATH`` or ``s3://BUCKET/P``."""
    url = settings.url
    parsed = urlparse(url)
    if parsed.scheme in ("", "file"):
        # created on the first write, so opening a database never litters the disk
        path = Path(parsed.path if parsed.scheme == "file" else url).absolute()
        return ColdStore(pafs.LocalFileSystem(), str(path), url=f"file://{path}", local=True)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ConfigError(f"no bucket in {url!r}", hint="use s3://BUCKET/PREFIX")
        options: dict[str, Any] = {
            "retry_strategy": pafs.AwsStandardS3RetryStrategy(max_attempts=2),
            "connect_timeout": 2.0,
            "request_timeout": 10.0,
        }
        if settings.endpoint:
            endpoint = urlparse(settings.endpoint)
            options["endpoint_override"] = endpoint.netloc or settings.endpoint
            options["scheme"] = endpoint.scheme or "https"
        if settings.region:
            options["region"] = settings.region
        if settings.access_key and settings.secret_key:
            options["access_key"] = settings.access_key
            options["secret_key"] = settings.secret_key
        filesystem = pafs.S3FileSystem(**options)
        root = f"{parsed.netloc}/{parsed.path.strip('/')}".rstrip("/")
        return ColdStore(filesystem, root, url=url, local=False)
    raise ConfigError(
        f"unsupported cold store URL {url!r}",
        hint="use a folder, file://PATH or s3://BUCKET/PREFIX",
    )
