"""`Insights`: the intelligence layer of one Database (query log, index advisor, anomalies).

`Database` creates one and calls nothing else of it on the read path but
``insights.log.record`` (through `logged`). A background thread, started by the first
logged call, flushes the log every ``flush_every_s`` and runs an advisor pass every
``advise_every_s``; `close` stops it and writes what is left.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from thermodb.catalog.store import Catalog
from thermodb.intelligence.querylog import Clock, QueryLog
from thermodb.intelligence.settings import insights_settings
from thermodb.intelligence.workload import queries_report
from thermodb.query.planner import Planner
from thermodb.query.result import Result
from thermodb.query.spec import QuerySpec
from thermodb.storage.operational import OperationalStore

if TYPE_CHECKING:
    from thermodb.intelligence.advisor.loop import Advisor

__all__ = ["Insights"]

log = logging.getLogger(__name__)


class Insights:
    """What the database learnt from its workload, and what it did about it."""

    def __init__(
        self,
        store: OperationalStore,
        catalog: Catalog,
        settings: Mapping[str, Any],
        *,
        planner: Callable[[], Planner],
        run: Callable[[QuerySpec], Result],
        clock: Clock = time.time,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.settings = insights_settings(dict(settings))
        self.planner = planner
        self.run = run
        self.log = QueryLog(store, self.settings, clock)
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._thread_lock = threading.Lock()
        self.log.on_full = self._wake.set
        self.log.on_first = self._start
        self.last_error: str | None = None

    @property
    def clock(self) -> Clock:
        return self.log.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self.log.clock = clock

    # -- reports ----------------------------------------------------------------------------
    def queries(self, *, hours: int = 24, limit: int = 10) -> dict[str, Any]:
        """Slowest, most frequent and regressed fingerprints of the last ``hours``."""
        self.log.flush()
        self.log.ensure_tables()
        with self.store.read() as conn:
            return queries_report(conn, self.clock(), hours=hours, limit=limit)

    @cached_property
    def advisor(self) -> Advisor:
        from thermodb.intelligence.advisor.loop import Advisor

        return Advisor(self)

    def indexes(self, *, limit: int = 50) -> dict[str, Any]:
        """The advisor's indexes and its latest decisions, each with its evidence."""
        return self.advisor.report(limit=limit)

    def advise(self, *, dry_run: bool = False, force: bool = False) -> dict[str, Any]:
        """Run one advisor pass now (``force``: even if another ran moments ago)."""
        return self.advisor.run_pass(dry_run=dry_run, force=force)

    def try_index(
        self, collection: str, fields: list[str], *, dry_run: bool = False
    ) -> dict[str, Any]:
        """Build an index by hand, on probation: reverted unless the workload proves it."""
        return self.advisor.trial(collection, fields, dry_run=dry_run)

    def anomalies(
        self, collection: str | None = None, *, fields: list[str] | None = None, days: int = 14
    ) -> dict[str, Any]:
        """Spikes and drops in hourly counts and numeric fields of event collections."""
        from thermodb.intelligence.anomalies.series import anomaly_report

        self.catalog.refresh()
        colls = [self.catalog.get(collection)] if collection else self.catalog.all()
        return anomaly_report(colls, fields or [], days, self.settings, self.run)

    # -- background -------------------------------------------------------------------------
    def _start(self) -> None:
        with self._thread_lock:
            if self._thread is not None or self._stopping:
                return
            self._thread = threading.Thread(
                target=self._loop, name="thermodb-insights", daemon=True
            )
            self._thread.start()

    def _loop(self) -> None:
        every = self.settings.advise_every_s
        next_pass = time.monotonic() + every if every else float("inf")
        while True:
            self._wake.wait(self.settings.flush_every_s)
            self._wake.clear()
            if self._stopping:
                return
            try:
                self.log.flush()
                if self.settings.advisor == "on" and time.monotonic() >= next_pass:
                    next_pass = time.monotonic() + every
                    self.advisor.run_pass()
                self.last_error = None
            except Exception as exc:  # a background thread must never die of one bad pass
                self.last_error = str(exc)
                log.warning("insights background work failed: %s", exc)

    def close(self) -> None:
        """Stop the background thread and write what the log still holds."""
        with self._thread_lock:
            self._stopping = True
            thread, self._thread = self._thread, None
        if thread is not None:
            self._wake.set()
            thread.join(timeout=30)
        try:
            self.log.flush()
        except Exception as exc:  # closing must not fail because the log could not be written
            log.warning("query log not written at close: %s", exc)
