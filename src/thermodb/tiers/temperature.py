"""Temperature: a read count that forgets, one number per segment.

``heat`` is the number of reads with each read's weight halving every ``half_life``
(exponential decay), so ten reads last week count less than three this morning. It is
stored with the moment it was last updated and decayed lazily, which makes an update one
multiply-add and a read of the current value no write at all.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

__all__ = ["bump", "decayed"]


def decayed(heat: float, heat_at: datetime | None, now: datetime, half_life: timedelta) -> float:
    """The heat as it stands at ``now`` (never negative; the future does not add heat)."""
    if heat_at is None or heat <= 0:
        return max(heat, 0.0)
    elapsed = (now - heat_at).total_seconds()
    if elapsed <= 0:
        return heat
    return heat * math.exp(-math.log(2) * elapsed / max(half_life.total_seconds(), 1e-9))


def bump(
    heat: float, heat_at: datetime | None, now: datetime, half_life: timedelta, reads: float = 1
) -> float:
    """The heat after ``reads`` more reads at ``now``."""
    return decayed(heat, heat_at, now, half_life) + reads
