"""What publishing reads from a database (a `Database` has all of it).

A protocol rather than an import of `Database`, so that `Database` (or the migration
engine) may call into this package without the two importing each other.
"""

from __future__ import annotations

from typing import Protocol

from thermodb.catalog.store import Catalog
from thermodb.config import Settings
from thermodb.storage.operational import OperationalStore
from thermodb.tiers.manager import Tiers

__all__ = ["LakeSource"]


class LakeSource(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> OperationalStore: ...

    @property
    def catalog(self) -> Catalog: ...

    @property
    def thermal(self) -> Tiers: ...
