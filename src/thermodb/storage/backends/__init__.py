"""One package per engine, all behind :mod:`thermodb.storage.backends.base`'s protocol.

``sqlite`` and ``postgres`` hold the operational store; ``duckdb`` runs queries that read
cold segments (and the warm rows where they lie). Nothing outside these packages checks an
engine's name: callers ask a backend's methods and :class:`Capabilities`.
"""

from thermodb.storage.backends.base import (
    Capabilities,
    NullOrder,
    OperationalBackend,
    QueryBackend,
)

__all__ = ["Capabilities", "NullOrder", "OperationalBackend", "QueryBackend"]
