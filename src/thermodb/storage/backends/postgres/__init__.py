"""The PostgreSQL backend: the operational store of a server deployment."""

from thermodb.storage.backends.postgres.backend import PostgresBackend

__all__ = ["PostgresBackend"]
