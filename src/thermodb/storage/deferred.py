"""Writes that must not hold up a read: tried at once, else retried in the background.

Answering a question writes two small rows (its conversation turn, its NL example). They
run after the answer, each in its own short transaction that gives up at once if another
writer holds the store (``begin(wait=False)``); then a background thread writes them, in
order, waiting as long as it takes. Losing one to a crash loses a hint, never data.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from thermodb.errors import StorageError, ThermoError

__all__ = ["DeferredWrites"]

Write = Callable[[bool], object]
"""A write; called with ``wait`` (False the first time, True from the background)."""

log = logging.getLogger(__name__)


class DeferredWrites:
    """A short write now, or in the background if the store is busy."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Write | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, write: Write) -> bool:
        """Write now if the store is free (True); else queue it for the background."""
        try:
            write(False)
            return True
        except StorageError:
            self._start()
            self._queue.put(write)
            return False

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="thermodb-deferred-writes", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        while (write := self._queue.get()) is not None:
            try:
                write(True)
            except ThermoError as exc:  # a hint lost, never data: say so and go on
                log.warning("a deferred write failed: %s", exc.message)
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def flush(self) -> None:
        """Wait until every queued write has been written (or has failed)."""
        if self._thread is not None:
            self._queue.join()

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout=60)
