"""Continuous percentiles with linear interpolation, for stores that lack them (SQLite).

PostgreSQL has ``percentile_cont``; SQLite does not (its percentile extension is a
compile-time option we cannot count on), so the SQLite executor registers
:class:`ContinuousPercentile` as an aggregate function on its connection. The definition
is the one ``percentile_cont`` and DuckDB's ``quantile_cont`` use: over the n non-null
values in order, the value at position q·(n-1), interpolated between its neighbours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["ContinuousPercentile", "percentile_cont", "register_sqlite_percentile"]

NAME = "thermo_percentile"


def percentile_cont(values: Sequence[float], q: float) -> float | None:
    """The q-th continuous percentile of ``values`` (already sorted), or None if empty."""
    n = len(values)
    if n == 0:
        return None
    position = q * (n - 1)
    low = math.floor(position)
    high = min(low + 1, n - 1)
    fraction = position - low
    return values[low] + (values[high] - values[low]) * fraction


class ContinuousPercentile:
    """The SQLite aggregate ``thermo_percentile(value, q)``."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.q: float | None = None

    def step(self, value: Any, q: Any) -> None:
        if self.q is None and q is not None:
            self.q = float(q)
        if value is not None and not isinstance(value, str | bytes):
            self.values.append(float(value))

    def finalize(self) -> float | None:
        if self.q is None:
            return None
        self.values.sort()
        return percentile_cont(self.values, self.q)


def register_sqlite_percentile(connection: Any) -> None:
    """Make ``thermo_percentile`` available on a sqlite3 connection (idempotent, cheap)."""
    connection.create_aggregate(NAME, 2, ContinuousPercentile)
