"""Tier policies in the style of Elasticsearch ILM phases, with defaults per domain.

A collection's rows are *hot* (cached, recently written) for ``hot_for``, then *warm* in the
operational store for ``warm_for``, then *cold* in Parquet. A cold segment read often
(its decayed read count reaching ``promote_after``; reads lose half their weight every
``promote_window``) is promoted back to warm. ``delete_after`` (optional) retires cold
segments for good. No move happens before ``min_age`` has passed since the last write into
a window, so backfilled history is not pushed straight to cold; age is counted from when a
window was *sealed*: the later of its end and its last write.

Cold segments are right-sized: consecutive windows due for demotion go into one segment of
up to ``segment_rows`` rows, and a pass compacts small segments (and ones with many
tombstones) into segments of up to ``segment_rows`` rows and ``segment_bytes`` bytes.

Policies are stored per collection in ``thermo_settings`` (key ``tier_policy:NAME``); a
collection without one gets the default of its domain, guessed from its name.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from thermodb.errors import ConfigError

__all__ = ["DOMAIN_DEFAULTS", "Policy", "default_policy", "parse_duration"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def parse_duration(value: Any) -> timedelta:
    """``30d``, ``12h``, ``15m``, ``90s``, ``2w``, ISO 8601, seconds, or a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if not match:
        try:  # ISO 8601 (P7D, PT15M), as policies are stored
            return TypeAdapter(timedelta).validate_python(value)
        except ValidationError:
            pass
        raise ConfigError(
            f"cannot read {value!r} as a duration", hint="write it like 30d, 12h, 15m or 90s"
        )
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


class Policy(BaseModel):
    """When a collection's data changes tier."""

    model_config = ConfigDict(frozen=True)

    hot_for: timedelta = timedelta(hours=1)
    warm_for: timedelta = timedelta(days=30)
    promote_after: float = 3.0
    promote_window: timedelta = timedelta(days=1)
    delete_after: timedelta | None = None
    min_age: timedelta = timedelta(hours=1)
    window: timedelta = timedelta(days=1)
    """Width of the time windows a collection's writes are tracked in (``min_age``)."""
    segment_rows: int = Field(default=1_000_000, gt=0)
    """Target rows per cold segment: consecutive windows demote together up to it, and
    small segments are compacted into ones of about this size."""
    segment_bytes: int = Field(default=128 * 1024 * 1024, gt=0)
    """Target bytes per cold segment (compaction stops merging at it)."""
    domain: str = "default"

    @field_validator("hot_for", "warm_for", "promote_window", "min_age", "window", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        return parse_duration(value)

    @field_validator("delete_after", mode="before")
    @classmethod
    def _optional_duration(cls, value: Any) -> timedelta | None:
        return None if value in (None, "", "never") else parse_duration(value)

    @field_validator("window")
    @classmethod
    def _positive_window(cls, value: timedelta) -> timedelta:
        if value.total_seconds() <= 0:
            raise ValueError("window must be positive")
        return value

    @property
    def cold_after(self) -> timedelta:
        """Age at which a sealed window is demoted."""
        return self.hot_for + self.warm_for

    def describe(self) -> dict[str, Any]:
        def text(d: timedelta | None) -> str | None:
            return None if d is None else _fmt(d)

        return {
            "domain": self.domain,
            "hot_for": text(self.hot_for),
            "warm_for": text(self.warm_for),
            "promote_after": self.promote_after,
            "promote_window": text(self.promote_window),
            "delete_after": text(self.delete_after),
            "min_age": text(self.min_age),
            "window": text(self.window),
            "segment_rows": self.segment_rows,
            "segment_bytes": self.segment_bytes,
        }


def _fmt(d: timedelta) -> str:
    seconds = int(d.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


DOMAIN_DEFAULTS: dict[str, Policy] = {
    # machine data: cools fast, rarely read again
    "logs": Policy(hot_for="15m", warm_for="7d", promote_after=5, min_age="1h", domain="logs"),
    "metrics": Policy(
        hot_for="15m", warm_for="7d", promote_after=5, min_age="1h", domain="metrics"
    ),
    # people and their sessions: stay warm while used; cut into monthly windows
    "users": Policy(
        hot_for="1d", warm_for="180d", promote_after=2, min_age="1d", window="30d", domain="users"
    ),
    "sessions": Policy(
        hot_for="1h", warm_for="30d", promote_after=2, min_age="1d", domain="sessions"
    ),
    "messages": Policy(hot_for="1h", warm_for="30d", promote_after=3, domain="messages"),
    "default": Policy(),
}

_DOMAIN_WORDS = {
    "logs": ("log", "logs", "event_log", "audit", "trace", "traces"),
    "metrics": ("metric", "metrics", "stats", "stat", "measurement", "measurements"),
    "users": ("user", "users", "account", "accounts", "profile", "profiles", "customer"),
    "sessions": ("session", "sessions", "visit", "visits"),
    "messages": ("message", "messages", "chat", "chats"),
}


def default_policy(collection: str) -> Policy:
    """The default policy of the domain a collection's name suggests."""
    words = set(re.split(r"[^a-z0-9]+", collection.lower()))
    for domain, names in _DOMAIN_WORDS.items():
        if words & set(names):
            return DOMAIN_DEFAULTS[domain]
    return DOMAIN_DEFAULTS["default"]
