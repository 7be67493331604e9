"""Records read moments ago, valid while the data version they were read under stands.

The gateway answers a repeated ``get`` from here on the event loop (one local read of the
catalog generation and data version, no thread hop); anything else goes to a worker
thread. Entries hold the record as stored, before row filters and masks, which are
applied per caller on every answer. Bounded (least recently used entries go first).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

__all__ = ["RecentReads"]

State = tuple[int, int]


class RecentReads:
    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[tuple[str, str], tuple[State, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str], state: State) -> tuple[Any] | None:
        """(the record,) if it was read under ``state``; None if unknown or stale."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] != state:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return (entry[1],)

    def put(self, key: tuple[str, str], state: State, record: Any) -> None:
        with self._lock:
            self._entries[key] = (state, record)
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
