"""Thermal tiers: hot cache, warm operational store, cold Parquet segments, and the mover.

:class:`~thermodb.tiers.manager.Tiers` is what `Database` holds (``db.thermal``); the
migration protocol is in :mod:`thermodb.tiers.migration`, the segment catalog in
:mod:`thermodb.tiers.segments`, cross-tier queries in :mod:`thermodb.tiers.executor` and
:mod:`thermodb.tiers.partials`. See docs/tiers.md.
"""

from thermodb.tiers.policy import Policy, default_policy

__all__ = ["Policy", "default_policy"]
