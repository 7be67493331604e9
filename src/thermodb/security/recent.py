"""Answers read moments ago, valid while the data versions they were read under stand.

The gateway answers a repeated ``get`` or query from here on the event loop (local reads
of the catalog generation and data versions, no thread hop); anything else goes to a
worker thread. Entries hold records and results as stored, before row filters and masks,
which are applied per caller on every answer (a query's key is the compiled spec, row
filter included). Bounded (least recently used entries go first).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

__all__ = ["RecentReads"]

State = Hashable


class RecentReads:
    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[Hashable, tuple[State, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, state: State) -> tuple[Any] | None:
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

    def put(self, key: Hashable, state: State, record: Any) -> None:
        with self._lock:
            self._entries[key] = (state, record)
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
