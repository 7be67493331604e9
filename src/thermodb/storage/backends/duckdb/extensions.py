"""DuckDB extensions, loaded from their installed Python packages (never downloaded).

``duckdb-extension-sqlite-scanner`` ships the extension binary built for one DuckDB
version inside the wheel; it is loaded by path with DuckDB's auto-install and auto-load
switched off, so nothing reaches the network at run time. A missing or mismatched
extension is reported, and callers fall back to reading rows through Python.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

__all__ = ["extension_path", "load_extension", "prepare_connection"]

_PACKAGES = {"sqlite_scanner": "duckdb_extension_sqlite_scanner"}


def prepare_connection(conn: Any) -> None:
    """UTC, and no extension fetched or loaded behind our back.

    Join filter push-down is off: DuckDB 1.5 pushes bloom filters into scans of registered
    Arrow tables, which it cannot run there ("Pushdown Filter Type BLOOM_FILTER is not
    currently supported in PyArrow Scans"); semi-joins across tiers need it off.
    """
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute("SET disabled_optimizers = 'join_filter_pushdown'")
    conn.execute("SET autoinstall_known_extensions = false")
    conn.execute("SET autoload_known_extensions = false")


def extension_path(name: str) -> Path | None:
    """The extension file the installed package ships for this DuckDB, or None."""
    import duckdb

    package = _PACKAGES.get(name)
    spec = importlib.util.find_spec(package) if package else None
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    wanted = root / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    return wanted if wanted.is_file() else None


def load_extension(conn: Any, name: str) -> bool:
    """Load ``name`` from its package into ``conn``; False if it is not installed."""
    import duckdb

    path = extension_path(name)
    if path is None:
        return False
    try:
        conn.execute(f"LOAD '{str(path).replace(chr(39), chr(39) * 2)}'")
    except duckdb.Error:
        return False
    return True
