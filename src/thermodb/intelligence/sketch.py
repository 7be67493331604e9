"""A fixed-bucket latency histogram: percentiles of millions of calls in a few dozen ints.

Bucket ``i`` holds latencies in ``[B·g^(i-1), B·g^i)`` milliseconds with ``B`` = 0.01 ms and
``g`` = 1.2 (so a percentile is within ±10% of the truth); bucket 0 is everything below B
and the last everything above ~10 minutes. Histograms of different hours or processes
merge by adding counts, which is what makes hourly rolling aggregates possible.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

__all__ = ["BUCKETS", "Histogram"]

BASE_MS = 0.01
GROWTH = 1.2
BUCKETS = 100
_LOG_GROWTH = math.log(GROWTH)


def bucket_of(ms: float) -> int:
    if ms < BASE_MS:
        return 0
    return min(BUCKETS - 1, 1 + int(math.log(ms / BASE_MS) / _LOG_GROWTH))


def _bounds(index: int) -> tuple[float, float]:
    if index == 0:
        return 0.0, BASE_MS
    return BASE_MS * GROWTH ** (index - 1), BASE_MS * GROWTH**index


class Histogram:
    """Counts per latency bucket (sparse), with a count, sum and maximum."""

    __slots__ = ("counts", "max_ms", "total", "total_ms")

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.total = 0
        self.total_ms = 0.0
        self.max_ms = 0.0

    def add(self, ms: float) -> None:
        index = bucket_of(ms)
        self.counts[index] = self.counts.get(index, 0) + 1
        self.total += 1
        self.total_ms += ms
        self.max_ms = max(self.max_ms, ms)

    def merge(self, other: Histogram) -> None:
        for index, count in other.counts.items():
            self.counts[index] = self.counts.get(index, 0) + count
        self.total += other.total
        self.total_ms += other.total_ms
        self.max_ms = max(self.max_ms, other.max_ms)

    def quantile(self, q: float) -> float | None:
        """The q-quantile in ms (geometric interpolation inside its bucket), None if empty."""
        if self.total == 0:
            return None
        rank = q * self.total
        seen = 0
        for index in sorted(self.counts):
            count = self.counts[index]
            if seen + count >= rank:
                low, high = _bounds(index)
                if index == 0:
                    return high
                high = min(high, self.max_ms) if self.max_ms >= low else high
                within = (rank - seen) / count
                return float(low * (high / low) ** within)
            seen += count
        return self.max_ms

    @property
    def mean(self) -> float | None:
        return self.total_ms / self.total if self.total else None

    def to_json(self) -> dict[str, int]:
        return {str(i): c for i, c in sorted(self.counts.items())}

    @classmethod
    def from_parts(cls, counts: Mapping[str, int], total_ms: float, max_ms: float) -> Histogram:
        hist = cls()
        hist.counts = {int(i): int(c) for i, c in counts.items()}
        hist.total = sum(hist.counts.values())
        hist.total_ms = float(total_ms)
        hist.max_ms = float(max_ms)
        return hist

    @classmethod
    def of(cls, samples: Iterable[float]) -> Histogram:
        hist = cls()
        for ms in samples:
            hist.add(ms)
        return hist
