"""Running several thermodb processes over one PostgreSQL: who may do the one-at-a-time work.

See :mod:`thermodb.cluster.leader` (the migration leader's fenced lease) and
:mod:`thermodb.cluster.leadership` (a thread that keeps it).
"""

from __future__ import annotations

from thermodb.cluster.leader import LeaderLease, Lease, LeaseLostError, check_fence
from thermodb.cluster.leadership import Leadership

__all__ = ["LeaderLease", "Leadership", "Lease", "LeaseLostError", "check_fence"]
