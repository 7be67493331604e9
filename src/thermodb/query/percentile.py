"""Continuous percentiles (re-exported: the SQLite backend owns the implementation)."""

from thermodb.storage.backends.sqlite.percentile import (
    ContinuousPercentile,
    percentile_cont,
    register_sqlite_percentile,
)

__all__ = ["ContinuousPercentile", "percentile_cont", "register_sqlite_percentile"]
