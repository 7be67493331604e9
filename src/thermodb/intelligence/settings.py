"""The ``[insights]`` settings: the query log, the index advisor and anomaly detection.

Read from ``thermodb.toml`` (``[insights]``) or ``THERMODB_INSIGHTS__*`` /
``THERMODB_INSIGHTS_*`` variables, e.g. ``THERMODB_INSIGHTS_ADVISOR=off``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from thermodb.errors import ConfigError

__all__ = ["InsightsSettings", "insights_settings"]


class InsightsSettings(BaseModel):
    """Every knob of the intelligence layer, with the defaults a production system wants."""

    model_config = ConfigDict(extra="forbid")

    query_log: bool = True
    """Record every query (``off``: nothing is buffered or written)."""
    flush_every_s: float = Field(default=5.0, gt=0)
    """Seconds between writes of the in-memory aggregates (a short transaction of its own)."""
    buffer_limit: int = Field(default=50_000, ge=100)
    """Calls held in memory before a flush is forced; beyond twice this, calls are dropped
    (and counted) rather than let memory grow while the store is unreachable."""
    retention_days: int = Field(default=30, ge=1)
    """Hourly aggregates older than this are deleted."""

    advisor: Literal["on", "off"] = "on"
    """The off switch of the index advisor (passes, trials, reverts and drops)."""
    advise_every_s: float = Field(default=3600.0, ge=0)
    """Seconds between background advisor passes (0: only when asked)."""
    min_pass_interval_s: float = Field(default=600.0, ge=0)
    """Throttle: an advisor pass (by any process) starts at most this often."""
    lookback_hours: int = Field(default=24, ge=1)
    """The workload a pass looks at."""
    min_calls: int = Field(default=20, ge=1)
    """A fingerprint is frequent with at least this many executed calls in the lookback."""
    slow_ms: float = Field(default=5.0, ge=0)
    """... and slow with a median above this."""
    max_fingerprints: int = Field(default=10, ge=1)
    """The slowest (by total time) frequent fingerprints a pass tries to speed up."""
    min_estimated_gain: float = Field(default=0.5, gt=0, lt=1)
    """A candidate serves a fingerprint only if the planner's cost falls by this fraction."""
    max_new_per_pass: int = Field(default=2, ge=1)
    max_indexes_per_collection: int = Field(default=4, ge=1)
    """Budget: advisor-made indexes on one collection."""
    max_index_bytes: int = Field(default=1024**3, ge=0)
    """Budget: estimated bytes of all advisor-made indexes."""
    write_cost_ms: float = Field(default=0.002, ge=0)
    """Estimated cost of maintaining one index entry on a write (the write-overhead term)."""
    validation_hours: int = Field(default=1, ge=1)
    """Whole hours of real workload after creation before an index is judged."""
    max_validation_hours: int = Field(default=48, ge=1)
    """Judge (and revert unless proven) after this long even with few calls."""
    min_validation_calls: int = Field(default=10, ge=1)
    keep_gain: float = Field(default=0.2, gt=0, lt=1)
    """Keep an index only if its fingerprints' median fell by at least this fraction..."""
    max_regression: float = Field(default=0.1, ge=0)
    """... and no other fingerprint of the collection got slower by more than this."""
    unused_days: int = Field(default=14, ge=1)
    """Drop an advisor-made index that no recent fingerprint's plan used for this long."""
    sample_runs: int = Field(default=3, ge=1, le=20)
    """Timed runs of each sample query in a what-if on engines without hypothetical indexes."""

    anomaly_threshold: float = Field(default=5.0, gt=0)
    """Robust z-score (residual / 1.4826·MAD) beyond which a point is a spike or a drop."""
    anomaly_min_change: float = Field(default=0.25, ge=0)
    """... and its relative change from the seasonal baseline is at least this."""


def insights_settings(raw: dict[str, Any]) -> InsightsSettings:
    """Validated settings, or a ConfigError that names the bad key."""
    try:
        return InsightsSettings.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"insights.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(
            f"invalid settings: {problems}", hint="see docs/insights.md for the [insights] keys"
        ) from None
