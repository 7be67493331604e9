"""The DuckDB backend: queries over cold Parquet segments and warm rows read in place."""

from thermodb.storage.backends.duckdb.backend import DuckDBBackend

__all__ = ["DuckDBBackend"]
