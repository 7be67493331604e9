"""The cold tier as Apache Iceberg tables that other engines read where it lies.

``publish(db, collection)`` makes one Iceberg table per collection whose data files are the
collection's live cold Parquet segments, referenced in place (never copied) unless the
table must show something the file does not say: rows hidden by tombstones, or a column
whose type has since widened beyond what Iceberg can promote. Those segments get a
conformed copy beside the table. The catalog is pyiceberg's SQL catalog in the operational
store, so Spark, Trino and Flink reach the same tables through Iceberg's JDBC catalog, and
DuckDB, Daft or pyiceberg through the same catalog or the metadata file. See
docs/lakehouse.md.
"""

from __future__ import annotations

from thermodb.errors import ConfigError

try:
    import pyiceberg  # noqa: F401
except ImportError as exc:  # pragma: no cover - the extra is part of `all` and `dev`
    raise ConfigError(
        "publishing the cold tier needs pyiceberg", hint="pip install 'thermodb[lakehouse]'"
    ) from exc

from thermodb.lakehouse.catalog import NAMESPACE, open_catalog, table_identifier
from thermodb.lakehouse.publish import PublishReport, publish, publish_all

__all__ = [
    "NAMESPACE",
    "PublishReport",
    "open_catalog",
    "publish",
    "publish_all",
    "table_identifier",
]
