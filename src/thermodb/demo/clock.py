"""When things happen in the demo: a 90-day window ending now, with realistic rhythms.

Activity grows over the window (the product is gaining users), peaks on weekday office hours
(two humps: Europe's and the Americas' working days) and drops at weekends. Event times are
drawn from hourly weights in one call, then spread within each hour and sorted, so every
generated stream comes out in time order.
"""

from __future__ import annotations

import math
import random
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate

__all__ = ["DAY", "HOUR", "Timeline", "iso_ms", "iso_s", "office_hours", "weighted_index"]

HOUR = 3600.0
DAY = 24 * HOUR
_WEEKDAY = (1.0, 1.06, 1.08, 1.03, 0.9, 0.42, 0.36)
"""Relative activity Monday..Sunday."""


def iso_s(moment: float) -> str:
    """``2026-03-18T15:30:00Z`` for an epoch time (whole seconds)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def iso_ms(moment: float) -> str:
    """``2026-03-18T15:30:00.123Z`` for an epoch time (milliseconds)."""
    millis = int(moment * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{millis:03d}Z"


def office_hours(hour_of_day: float) -> float:
    """Two working-day humps in UTC: Europe (~10:00) and the Americas (~16:00)."""
    europe = math.exp(-(((hour_of_day - 10.5) / 3.2) ** 2))
    americas = 0.85 * math.exp(-(((hour_of_day - 16.5) / 3.4) ** 2))
    return 0.08 + europe + americas


@dataclass
class Timeline:
    """The demo's window: ``days`` days ending at ``now`` (whole seconds, UTC)."""

    now: datetime
    days: int = 90
    start: float = field(init=False)
    end: float = field(init=False)

    def __post_init__(self) -> None:
        self.end = float(int(self.now.timestamp()))
        self.start = self.end - self.days * DAY

    @classmethod
    def ending(cls, now: datetime | None = None, days: int = 90) -> Timeline:
        moment = now or datetime.now(UTC)
        return cls(moment.astimezone(UTC).replace(microsecond=0), days)

    @property
    def hours(self) -> int:
        return int((self.end - self.start) // HOUR) + 1

    def growth(self, moment: float) -> float:
        """0.45 at the start of the window to 1.0 now, a little faster than linear."""
        progress = min(1.0, max(0.0, (moment - self.start) / (self.end - self.start)))
        return 0.45 + 0.55 * math.pow(progress, 1.3)

    def human(self, moment: float) -> float:
        """How busy people are at this moment (growth × weekday × time of day)."""
        tm = time.gmtime(moment)
        return (
            self.growth(moment) * _WEEKDAY[tm.tm_wday] * office_hours(tm.tm_hour + tm.tm_min / 60)
        )

    def machine(self, moment: float) -> float:
        """Server load: a floor of background work plus the human rhythm."""
        return 0.35 * self.growth(moment) + 0.65 * self.human(moment)

    def weights(self, shape: Callable[[float], float]) -> list[float]:
        """Cumulative weights of each hour of the window under ``shape``."""
        return list(accumulate(shape(self.start + (h + 0.5) * HOUR) for h in range(self.hours)))

    def times(self, rng: random.Random, n: int, cumulative: Sequence[float]) -> list[float]:
        """``n`` sorted epoch times, each hour as likely as its weight (none after now)."""
        hours = rng.choices(range(len(cumulative)), cum_weights=cumulative, k=n)
        start, end, rand = self.start, self.end, rng.random
        out = [start + (h + rand()) * HOUR for h in hours]
        out = [t if t < end else end - rand() * HOUR for t in out]
        out.sort()
        return out


def weighted_index(cumulative: Sequence[float], limit: int, rng: random.Random) -> int:
    """An index below ``limit`` drawn by the cumulative weights (O(log n), no copying)."""
    top = cumulative[limit - 1]
    return min(bisect_right(cumulative, rng.random() * top), limit - 1)
