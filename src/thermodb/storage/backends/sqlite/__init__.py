"""The SQLite backend: the embedded operational store (WAL, one file)."""

from thermodb.storage.backends.sqlite.backend import SQLiteBackend

__all__ = ["SQLiteBackend"]
