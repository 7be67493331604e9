"""A cache of warm query answers that is never stale.

An entry's key is the normalised QuerySpec (its canonical JSON), the row cap, and the data
versions of every collection the query reads (``thermo_versions``, bumped inside every
ingest / delete / drop / move transaction, so also by other processes). A write changes a
version, so the old entry is simply never asked for again and ages out of the LRU.

A miss is stored only if the versions read before and after running the query agree: then
no write committed while it ran, and the answer belongs to exactly those versions.

Answers are kept as `Result` objects in process (not serialised) so a hit returns the same
types as a miss and costs a dictionary lookup; the rows are shared between hits, so callers
must not mutate them (nothing in thermodb does).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from thermodb.query.result import Result

__all__ = ["ResultCache"]

CacheKey = tuple[str, int | None, tuple[tuple[str, int], ...]]


class ResultCache:
    """A bounded LRU of query answers keyed by (spec, max_rows, data versions)."""

    def __init__(self, capacity: int = 512) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[CacheKey, Result] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_run(
        self,
        spec_json: str,
        max_rows: int | None,
        versions: Callable[[], Mapping[str, int]],
        run: Callable[[], Result],
    ) -> Result:
        """The cached answer for these data versions, else ``run()`` (stored if consistent)."""
        before = tuple(sorted(versions().items()))
        key: CacheKey = (spec_json, max_rows, before)
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                self.hits += 1
        if hit is not None:
            return replace(hit, explain={**hit.explain, "result_cache": "hit"})
        with self._lock:
            self.misses += 1
        result = run()
        if tuple(sorted(versions().items())) == before:
            with self._lock:
                self._entries[key] = result
                while len(self._entries) > self.capacity:
                    self._entries.popitem(last=False)
        return replace(result, explain={**result.explain, "result_cache": "miss"})

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def stats(self) -> dict[str, Any]:
        total = self.hits + self.misses
        return {
            "hits": self.hits,
            "misses": self.misses,
            "hit_rate": round(self.hits / total, 4) if total else 0.0,
            "entries": len(self._entries),
            "capacity": self.capacity,
        }
