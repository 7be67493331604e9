"""Running several thermodb processes over one PostgreSQL: who may do the one-at-a-time work.

See :mod:`thermodb.cluster.leader` (the migration leader's fenced lease).
"""

from __future__ import annotations

from thermodb.cluster.leader import LeaderLease, Lease, LeaseLostError, check_fence

__all__ = ["LeaderLease", "Lease", "LeaseLostError", "check_fence"]
