"""pyiceberg's SQL catalog, kept in the operational store itself.

Why there: its two tables (``iceberg_tables``, ``iceberg_namespace_properties``) are the
schema of Iceberg's JDBC catalog, so Spark, Trino and Flink pointed at the same PostgreSQL
find every published table without another service to run; a table's current metadata
pointer changes in one transaction of the store that already holds thermodb's own catalog
and is already replicated and backed up with it. Embedded, the same tables sit in
``thermo.db``. The namespace is ``thermodb``; each collection is one table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from thermodb.lakehouse.layout import Lake, io_properties
from thermodb.lakehouse.source import LakeSource
from thermodb.storage.operational import OperationalStore

if TYPE_CHECKING:
    from pyiceberg.catalog.sql import SqlCatalog

__all__ = ["CATALOG_NAME", "NAMESPACE", "catalog_uri", "open_catalog", "table_identifier"]

CATALOG_NAME = "thermodb"
NAMESPACE = "thermodb"


def table_identifier(collection: str) -> tuple[str, str]:
    return (NAMESPACE, collection)


def catalog_uri(store: OperationalStore) -> str:
    """A SQLAlchemy URL for the catalog: the operational store's, in its schema."""
    url = store.engine.url
    if store.schema:
        # the store's own search_path is set per connection; libpq options do the same
        url = url.update_query_dict({"options": f"-csearch_path={store.schema}"})
    return str(make_url(url).render_as_string(hide_password=False))


def open_catalog(db: LakeSource) -> SqlCatalog:
    """A database's Iceberg catalog (its tables are created on first use).

    Call ``catalog.engine.dispose()`` when done: the catalog has its own connection pool.
    """
    from pyiceberg.catalog.sql import SqlCatalog

    lake = Lake.beside(db.thermal.cold)
    catalog = SqlCatalog(
        CATALOG_NAME,
        uri=catalog_uri(db.store),
        warehouse=lake.warehouse(),
        pool_pre_ping="true",
        **io_properties(db.settings),
    )
    if (NAMESPACE,) not in catalog.list_namespaces():
        catalog.create_namespace_if_not_exists(NAMESPACE)
    return catalog
