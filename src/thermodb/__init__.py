"""thermodb: a self-organising data store for application data.

>>> import thermodb
>>> db = thermodb.open("data/")          # doctest: +SKIP
>>> db.ingest([{"id": 1, "email": "a@example.com"}], collection="users")  # doctest: +SKIP
"""

from thermodb.catalog.types import FieldType
from thermodb.database import Database, open
from thermodb.errors import (
    ConfigError,
    InputError,
    NotFoundError,
    NotUnderstoodError,
    QueryError,
    SchemaError,
    StorageError,
    ThermoError,
    UnsafeSQLError,
)
from thermodb.ingest.inference import suggest_types

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Database",
    "FieldType",
    "InputError",
    "NotFoundError",
    "NotUnderstoodError",
    "QueryError",
    "SchemaError",
    "StorageError",
    "ThermoError",
    "UnsafeSQLError",
    "__version__",
    "open",
    "suggest_types",
]
