"""One in-memory DuckDB per database: set up once, a private cursor per query.

When the operational store is a SQLite file and the ``sqlite_scanner`` extension is
installed (``thermodb[duckdb-scan]``'s ``duckdb-extension-sqlite-scanner``, matched to the
DuckDB version), DuckDB reads warm rows in place with ``sqlite_scan`` — a C scan, no row
passes through Python. Otherwise warm rows arrive as Arrow tables built by the caller.
"""

from __future__ import annotations

import threading
from typing import Any

from thermodb.storage.backends.duckdb.backend import DuckDBBackend
from thermodb.storage.backends.duckdb.extensions import load_extension, prepare_connection

__all__ = ["SCAN_LIVE_SQLITE", "DuckDBSession"]

SCAN_LIVE_SQLITE = False
"""Off: in-place ``sqlite_scan`` of the SQLite file this process also has open (WAL mode,
through Python's sqlite3) crashed the server with SIGBUS in ``_create_view`` under the web
console's concurrent requests. DuckDB's scanner links its own copy of SQLite, and two
copies in one process do not share POSIX locks or the -shm mapping's bookkeeping
(sqlite.org/howtocorrupt.html, "multiple copies of SQLite linked into the same
application"), so one copy can truncate the -shm file under the other's live mapping.
Reproduced by ``pytest tests/server/test_server_console.py -k 'cached or explore'``; with
this off, warm rows are shipped as Arrow tables, as from PostgreSQL."""


class DuckDBSession:
    """The DuckDB of one database (created on first use, closed with the database)."""

    def __init__(self, warm_file: str | None = None) -> None:
        self.backend = DuckDBBackend()
        self.warm_file = warm_file
        """The SQLite file of the warm rows (None: PostgreSQL, or in memory)."""
        self._base: Any = None
        self._scans = False
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        import duckdb

        with self._lock:
            if self._base is None:
                base = duckdb.connect()
                prepare_connection(base)
                self._scans = (
                    SCAN_LIVE_SQLITE
                    and self.warm_file is not None
                    and load_extension(base, "sqlite_scanner")
                )
                self._base = base
            return self._base

    @property
    def scans_warm(self) -> bool:
        """Whether warm rows are read in place (``sqlite_scan``) rather than shipped."""
        self._connect()
        return self._scans

    def cursor(self) -> Any:
        """A private connection to the shared database (its temp views stay its own)."""
        return self._connect().cursor()

    def warm_relation(self, table: str) -> str:
        """The FROM item that scans a warm table in place."""
        assert self.warm_file is not None
        path = self.warm_file.replace("'", "''")
        name = table.replace("'", "''")
        return f"sqlite_scan('{path}', '{name}')"

    def close(self) -> None:
        with self._lock:
            if self._base is not None:
                self._base.close()
                self._base = None
