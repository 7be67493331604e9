"""Where backups are kept: a folder or an S3 prefix, through the cold store's file systems.

The same pyarrow file systems (and the same ``[s3]`` settings and ``AWS_*`` fallbacks) as
the cold tier, so a bucket that holds cold segments can hold backups too. Small files that
say which backup is complete (``manifest.json``, ``LATEST``) are written atomically: on a
local disk by write, fsync, rename; on S3 a single PUT is atomic already.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pyarrow import fs as pafs

from thermodb.config import Settings
from thermodb.errors import StorageError
from thermodb.storage.cold import ColdSettings, ColdStore, open_cold

__all__ = ["Destination", "cold_settings"]

BLOCK = 1 << 20


def cold_settings(url: str, settings: Settings | None) -> ColdSettings:
    """Settings to reach ``url`` with the ``[s3]`` settings (S3 keys fall back to AWS_*)."""
    env = os.environ
    s3 = settings.s3 if settings is not None else None
    return ColdSettings(
        url=url,
        endpoint=(s3.endpoint if s3 else None) or env.get("AWS_ENDPOINT_URL"),
        region=(s3.region if s3 else None) or env.get("AWS_DEFAULT_REGION"),
        access_key=(s3.access_key_id if s3 else None) or env.get("AWS_ACCESS_KEY_ID"),
        secret_key=(s3.secret_access_key if s3 else None) or env.get("AWS_SECRET_ACCESS_KEY"),
    )


class Destination:
    """A backup folder: paths are relative to its root."""

    def __init__(self, target: str | Path, settings: Settings | None = None) -> None:
        text = str(target)
        url = text if "://" in text else f"file://{Path(text).absolute()}"
        self.url = url
        self.store: ColdStore = open_cold(cold_settings(url, settings))
        self.fs = self.store.fs

    def __str__(self) -> str:
        return self.url

    def full(self, path: str) -> str:
        return self.store.full(path)

    def size(self, path: str) -> int | None:
        """The file's size, or None if there is no such file."""
        try:
            info = self.fs.get_file_info(self.full(path))
        except OSError as exc:
            raise StorageError(f"the backup destination {self.url} is unreachable: {exc}") from exc
        return int(info.size or 0) if info.type == pafs.FileType.File else None

    def read(self, path: str) -> bytes:
        try:
            with self.fs.open_input_stream(self.full(path)) as f:
                return bytes(f.read())
        except OSError as exc:
            raise StorageError(f"cannot read {path} from {self.url}: {exc}") from exc

    def sha256(self, path: str) -> str:
        digest = hashlib.sha256()
        try:
            with self.fs.open_input_stream(self.full(path)) as f:
                while block := f.read(BLOCK):
                    digest.update(block)
        except OSError as exc:
            raise StorageError(f"cannot read {path} from {self.url}: {exc}") from exc
        return digest.hexdigest()

    def write(self, path: str, data: bytes) -> None:
        """Write a whole file so that readers see the old one or all of the new one."""
        full = self.full(path)
        try:
            if self.store.local:
                partial = Path(full + ".partial")
                partial.parent.mkdir(parents=True, exist_ok=True)
                with partial.open("wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                partial.replace(full)
            else:
                with self.fs.open_output_stream(full) as out:
                    out.write(data)
        except OSError as exc:
            raise StorageError(f"cannot write {path} to {self.url}: {exc}") from exc

    def upload(self, local: Path, path: str) -> None:
        """Copy a local file in (blocks, never whole in memory)."""
        full = self.full(path)
        try:
            if self.store.local:
                Path(full).parent.mkdir(parents=True, exist_ok=True)
            with local.open("rb") as src, self.fs.open_output_stream(full) as out:
                while block := src.read(BLOCK):
                    out.write(block)
            if self.store.local:
                with Path(full).open("rb+") as f:
                    os.fsync(f.fileno())
        except OSError as exc:
            raise StorageError(f"cannot write {path} to {self.url}: {exc}") from exc

    def download(self, path: str, local: Path) -> None:
        try:
            with self.fs.open_input_stream(self.full(path)) as src, local.open("wb") as out:
                while block := src.read(BLOCK):
                    out.write(block)
        except OSError as exc:
            raise StorageError(f"cannot read {path} from {self.url}: {exc}") from exc

    def folders(self) -> list[str]:
        """The names of the folders at the root (one per backup, and ``segments``)."""
        selector = pafs.FileSelector(self.store.root, recursive=False, allow_not_found=True)
        try:
            infos = self.fs.get_file_info(selector)
        except OSError as exc:
            raise StorageError(f"cannot list {self.url}: {exc}") from exc
        return sorted(i.base_name for i in infos if i.type == pafs.FileType.Directory)
