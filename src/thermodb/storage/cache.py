"""The hot tier: a byte-bounded cache of records and query results, in-process or Redis.

Values are bytes (orjson), so the in-process cache can count exactly what it holds and
Redis stores the same thing. Keys carry the data versions of what they were computed from
(see :class:`thermodb.tiers.manager.Tiers`), so an entry is never stale: a write or a move
changes the version and the old entry is simply never asked for again and ages out.

In-process admission and eviction follow W-TinyLFU (Einziger, Friedman, Manes, "TinyLFU: A
Highly Efficient Cache Admission Policy", ACM ToS 2017), the policy of Caffeine and theine:

* a small *window* LRU (1% of the bytes) takes every new entry, so bursts get a chance;
* the *main* space is a segmented LRU (20% probation, 80% protected);
* an entry leaving the window enters main only if a count-min sketch of recent key
  frequencies says it is wanted more than the entry main would evict for it. One-off keys
  of a scan therefore never push out the working set (scan resistance);
* the sketch halves all its counters every ``10 × capacity`` inserts, so popularity ages.

We do not use theine (the library we looked at first) because it bounds the number of
entries, not their bytes, and query results vary from bytes to megabytes.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from thermodb.errors import ConfigError, StorageError

__all__ = ["CacheStats", "HotCache", "MemoryCache", "RedisCache", "open_cache"]


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    entries: int = 0
    bytes: int = 0
    capacity: int = 0
    rejected: int = 0
    """Entries the admission filter kept out (scan resistance at work)."""
    evicted: int = 0

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "hits": self.hits,
            "misses": self.misses,
            "hit_rate": round(self.hit_rate, 4),
            "entries": self.entries,
            "bytes": self.bytes,
            "capacity": self.capacity,
            "rejected": self.rejected,
            "evicted": self.evicted,
        }


class HotCache(Protocol):
    """What the tiers need of a cache backend."""

    kind: str

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, value: bytes) -> None: ...

    def clear(self) -> None: ...

    def stats(self) -> CacheStats: ...


class FrequencySketch:
    """A count-min sketch of 4-bit counters (4 rows), halved periodically to forget."""

    DEPTH = 4
    SEEDS = (0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F)

    def __init__(self, expected_entries: int) -> None:
        width = 1
        while width < max(64, expected_entries):
            width <<= 1
        self.mask = width - 1
        self.rows = [bytearray(width) for _ in range(self.DEPTH)]
        self.sample_size = 10 * max(64, expected_entries)
        self.additions = 0

    def _indexes(self, key: Hashable) -> list[int]:
        h = hash(key) & 0xFFFFFFFFFFFFFFFF
        return [((h * s) >> 17 ^ h) & self.mask for s in self.SEEDS]

    def increment(self, key: Hashable) -> None:
        for row, i in zip(self.rows, self._indexes(key), strict=True):
            if row[i] < 15:
                row[i] += 1
        self.additions += 1
        if self.additions >= self.sample_size:
            self._age()

    def frequency(self, key: Hashable) -> int:
        return min(row[i] for row, i in zip(self.rows, self._indexes(key), strict=True))

    def _age(self) -> None:
        for row in self.rows:
            row[:] = bytes(v >> 1 for v in row)
        self.additions //= 2


class MemoryCache:
    """W-TinyLFU over byte sizes; thread-safe."""

    kind = "memory"
    WINDOW_SHARE = 0.01
    PROTECTED_SHARE = 0.80

    def __init__(self, capacity_bytes: int = 64 * 1024 * 1024, *, average_entry: int = 512):
        if capacity_bytes <= 0:
            raise ConfigError("the cache capacity must be positive", hint="e.g. 64MB")
        self.capacity = capacity_bytes
        self.window_cap = max(1, int(capacity_bytes * self.WINDOW_SHARE))
        self.main_cap = capacity_bytes - self.window_cap
        self.protected_cap = int(self.main_cap * self.PROTECTED_SHARE)
        self.sketch = FrequencySketch(max(64, capacity_bytes // max(1, average_entry)))
        self.window: OrderedDict[str, bytes] = OrderedDict()
        self.probation: OrderedDict[str, bytes] = OrderedDict()
        self.protected: OrderedDict[str, bytes] = OrderedDict()
        self.sizes = {"window": 0, "probation": 0, "protected": 0}
        self._stats = CacheStats(capacity=capacity_bytes)
        self._lock = threading.Lock()

    # -- public -------------------------------------------------------------------------
    def get(self, key: str) -> bytes | None:
        with self._lock:
            self.sketch.increment(key)
            if key in self.window:
                self.window.move_to_end(key)
                value = self.window[key]
            elif key in self.protected:
                self.protected.move_to_end(key)
                value = self.protected[key]
            elif key in self.probation:
                value = self.probation.pop(key)
                self.sizes["probation"] -= len(value)
                self._add("protected", key, value)
                self._shrink_protected()
            else:
                self._stats.misses += 1
                return None
            self._stats.hits += 1
            return value

    def put(self, key: str, value: bytes) -> None:
        size = len(value)
        with self._lock:
            self._remove(key)
            if size > self.main_cap:
                self._stats.rejected += 1
                return
            self._add("window", key, value)
            while self.sizes["window"] > self.window_cap and len(self.window) > 1:
                candidate, data = self.window.popitem(last=False)
                self.sizes["window"] -= len(data)
                self._admit(candidate, data)
            if self.sizes["window"] > self.window_cap:  # a single entry bigger than the window
                candidate, data = self.window.popitem(last=False)
                self.sizes["window"] -= len(data)
                self._admit(candidate, data)

    def clear(self) -> None:
        with self._lock:
            for part in (self.window, self.probation, self.protected):
                part.clear()
            self.sizes = dict.fromkeys(self.sizes, 0)

    def stats(self) -> CacheStats:
        with self._lock:
            s = self._stats
            s.entries = len(self.window) + len(self.probation) + len(self.protected)
            s.bytes = sum(self.sizes.values())
            return CacheStats(**{k: getattr(s, k) for k in s.__dataclass_fields__})

    def __contains__(self, key: str) -> bool:
        return key in self.window or key in self.probation or key in self.protected

    # -- internals ----------------------------------------------------------------------
    def _part(self, name: str) -> OrderedDict[str, bytes]:
        part: OrderedDict[str, bytes] = getattr(self, name)
        return part

    def _add(self, name: str, key: str, value: bytes) -> None:
        self._part(name)[key] = value
        self.sizes[name] += len(value)

    def _remove(self, key: str) -> None:
        for name in ("window", "probation", "protected"):
            value = self._part(name).pop(key, None)
            if value is not None:
                self.sizes[name] -= len(value)
                return

    def _main_size(self) -> int:
        return self.sizes["probation"] + self.sizes["protected"]

    def _admit(self, key: str, value: bytes) -> None:
        """Let a window evictee into main if it is more popular than what it would push out."""
        need = self._main_size() + len(value) - self.main_cap
        if need > 0:
            victims: list[str] = []
            freed = 0
            for victim in self._eviction_order():
                victims.append(victim)
                freed += len(self._lookup(victim))
                if freed >= need:
                    break
            wanted = self.sketch.frequency(key)
            if freed < need or any(self.sketch.frequency(v) >= wanted for v in victims):
                self._stats.rejected += 1
                return
            for victim in victims:
                self._remove(victim)
                self._stats.evicted += 1
        self._add("probation", key, value)

    def _eviction_order(self) -> Iterator[str]:
        """Probation's least recent first, then protected's (as Caffeine does)."""
        return itertools.chain(iter(self.probation), iter(self.protected))

    def _lookup(self, key: str) -> bytes:
        return self.probation.get(key) or self.protected.get(key) or b""

    def _shrink_protected(self) -> None:
        while self.sizes["protected"] > self.protected_cap and self.protected:
            key, value = self.protected.popitem(last=False)
            self.sizes["protected"] -= len(value)
            self._add("probation", key, value)


class RedisCache:
    """Entries in Redis under a prefix with a TTL; Redis's own eviction bounds memory."""

    kind = "redis"

    def __init__(
        self, url: str, *, prefix: str = "thermodb:cache:", ttl_seconds: int = 3600
    ) -> None:
        try:
            import redis
        except ImportError as exc:
            raise ConfigError(
                "Redis support is not installed", hint="pip install 'thermodb[redis]'"
            ) from exc
        self.url = url
        self.prefix = prefix
        self.ttl = ttl_seconds
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._errors = redis.RedisError
        self._stats = CacheStats()
        self._lock = threading.Lock()
        try:
            self.client.ping()
        except redis.RedisError as exc:
            raise StorageError(
                f"cannot reach Redis at {url}: {exc}", hint="start Redis or unset THERMODB_CACHE"
            ) from exc

    def get(self, key: str) -> bytes | None:
        try:
            value = self.client.get(self.prefix + key)
        except self._errors:
            value = None  # a cache that is down is a miss, never an error for the reader
        with self._lock:
            if value is None:
                self._stats.misses += 1
            else:
                self._stats.hits += 1
        return value if isinstance(value, bytes) else None

    def put(self, key: str, value: bytes) -> None:
        try:
            self.client.set(self.prefix + key, value, ex=self.ttl)
        except self._errors:
            return

    def clear(self) -> None:
        for key in self.client.scan_iter(match=self.prefix + "*", count=1000):
            self.client.delete(key)

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(hits=self._stats.hits, misses=self._stats.misses)


def open_cache(url: str | None, *, capacity_bytes: int = 64 * 1024 * 1024) -> HotCache:
    """``memory`` (default) or ``redis://HOST:PORT/DB``."""
    if not url or url == "memory":
        return MemoryCache(capacity_bytes)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisCache(url)
    raise ConfigError(f"unsupported cache URL {url!r}", hint="use memory or redis://HOST:PORT/DB")
