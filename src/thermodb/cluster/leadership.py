"""Staying the leader: a background thread that acquires the lease and keeps renewing it.

What a long-running process (the server's mover) holds: :attr:`Leadership.token` is the
fencing token to pass to :func:`~thermodb.cluster.leader.check_fence` at each switch, or
None when this process does not lead. The token is also withdrawn locally once a renewal
is overdue (two thirds of the lease time without one), before the lease can expire on the
server: the fence is what makes a late switch safe, this only keeps it from being tried.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

from thermodb.cluster.leader import LeaderLease, Lease, LeaseLostError
from thermodb.errors import StorageError

__all__ = ["Leadership"]


class Leadership:
    """Acquire when free, renew every third of the lease time, step down on loss."""

    def __init__(
        self, lease: LeaderLease, *, on_change: Callable[[Lease | None], None] | None = None
    ) -> None:
        self.lease = lease
        self.on_change = on_change or (lambda _lease: None)
        self.last_error: str | None = None
        self._held: Lease | None = None
        self._renewed = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def interval(self) -> float:
        return self.lease.ttl.total_seconds() / 3

    @property
    def token(self) -> int | None:
        """The fencing token while this process leads (and its last renewal is recent)."""
        with self._lock:
            held, renewed = self._held, self._renewed
        if held is None or time.monotonic() - renewed > 2 * self.interval:
            return None
        return held.token

    def step(self) -> Lease | None:
        """One round: acquire or renew; the lease held afterwards (None: not leading)."""
        with self._lock:
            held = self._held
        try:
            now = self.lease.acquire() if held is None else self.lease.renew(held)
            self.last_error = None
        except LeaseLostError as exc:
            now, self.last_error = None, exc.message
        except StorageError as exc:  # the store is down: keep the lease until it lapses
            self.last_error = exc.message
            return held if self.token is not None else self._set(None, held)
        return self._set(now, held)

    def _set(self, now: Lease | None, before: Lease | None) -> Lease | None:
        with self._lock:
            self._held = now
            if now is not None:
                self._renewed = time.monotonic()
        if (now is None) != (before is None) or (now and before and now.token != before.token):
            self.on_change(now)
        return now

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="thermodb-leader", daemon=True)
        self._thread.start()

    def stop(self, *, release: bool = True) -> None:
        """Stop trying; with ``release`` give the lease up now instead of letting it lapse."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        with self._lock:
            held, self._held = self._held, None
        if release and held is not None:
            with contextlib.suppress(StorageError):
                self.lease.release(held)
            self.on_change(None)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.step()
            self._stop.wait(self.interval)
