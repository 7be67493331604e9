"""Where records live: the operational store (SQLite or PostgreSQL, through SQLAlchemy Core)."""

from thermodb.storage.operational import OperationalStore, open_store

__all__ = ["OperationalStore", "open_store"]
