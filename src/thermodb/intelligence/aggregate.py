"""`Aggregate`: what one fingerprint did in one hour (or any window, once merged)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from thermodb.intelligence.sketch import Histogram

__all__ = ["Aggregate"]


@dataclass
class Aggregate:
    """Calls, errors, cache hits, executed latencies, rows and tiers of one fingerprint."""

    calls: int = 0
    errors: int = 0
    cache_hits: int = 0
    hit_ms: float = 0.0
    executed: Histogram = field(default_factory=Histogram)
    """Latencies of calls that ran (not answered from the result cache), in ms."""
    rows_returned: int = 0
    rows_scanned: int = 0
    tiers: Counter[str] = field(default_factory=Counter)

    def merge(self, other: Aggregate) -> None:
        self.calls += other.calls
        self.errors += other.errors
        self.cache_hits += other.cache_hits
        self.hit_ms += other.hit_ms
        self.executed.merge(other.executed)
        self.rows_returned += other.rows_returned
        self.rows_scanned += other.rows_scanned
        self.tiers.update(other.tiers)

    def row(self) -> dict[str, Any]:
        """The columns of a ``thermo_query_stats`` row (without its key)."""
        return {
            "calls": self.calls,
            "errors": self.errors,
            "cache_hits": self.cache_hits,
            "hit_ms": self.hit_ms,
            "exec_ms": self.executed.total_ms,
            "max_ms": self.executed.max_ms,
            "hist": orjson.dumps(self.executed.to_json()).decode(),
            "rows_returned": self.rows_returned,
            "rows_scanned": self.rows_scanned,
            "tiers": orjson.dumps(dict(self.tiers)).decode(),
        }

    @classmethod
    def from_row(cls, row: Any) -> Aggregate:
        return cls(
            calls=int(row.calls),
            errors=int(row.errors),
            cache_hits=int(row.cache_hits),
            hit_ms=float(row.hit_ms),
            executed=Histogram.from_parts(orjson.loads(row.hist), row.exec_ms, row.max_ms),
            rows_returned=int(row.rows_returned),
            rows_scanned=int(row.rows_scanned),
            tiers=Counter(orjson.loads(row.tiers)),
        )

    def summary(self) -> dict[str, Any]:
        hist = self.executed

        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        return {
            "calls": self.calls,
            "executed": hist.total,
            "errors": self.errors,
            "cache_hits": self.cache_hits,
            "cache_hit_rate": round(self.cache_hits / self.calls, 4) if self.calls else 0.0,
            "p50_ms": rounded(hist.quantile(0.5)),
            "p95_ms": rounded(hist.quantile(0.95)),
            "p99_ms": rounded(hist.quantile(0.99)),
            "max_ms": rounded(hist.max_ms) if hist.total else None,
            "mean_ms": rounded(hist.mean),
            "total_ms": round(hist.total_ms + self.hit_ms, 3),
            "rows_returned": self.rows_returned,
            "rows_scanned": self.rows_scanned,
            "tiers": dict(self.tiers),
        }
