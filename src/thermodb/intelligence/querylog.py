"""The query log: every query's fingerprint, latency, rows, tiers and cache use, per hour.

The read path only appends one tuple to an in-memory deque (`record`); a background
thread (or `flush`) fingerprints the calls, folds them into hourly `Aggregate` s and writes
them in one short transaction of its own, never inside a reader's. Each process writes only
its own rows of ``thermo_query_stats`` (keyed by a writer id), so two processes never fight
over a row. If the store cannot be written (locked, unreachable), the aggregates stay in
memory and go out with the next flush; beyond twice ``buffer_limit`` unflushed calls, new
calls are counted as dropped instead of growing memory without bound.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thermodb.errors import QueryError, ThermoError
from thermodb.intelligence.aggregate import Aggregate
from thermodb.intelligence.fingerprint import (
    Fingerprint,
    SpecFields,
    fingerprint_spec,
    fingerprint_sql,
    ingest_fingerprint,
    spec_fields,
)
from thermodb.intelligence.settings import InsightsSettings
from thermodb.intelligence.tables import create_tables, query_fingerprints, query_stats
from thermodb.query.planner import parse_spec
from thermodb.query.result import Result
from thermodb.query.spec import QuerySpec
from thermodb.storage.operational import OperationalStore

__all__ = ["Clock", "QueryLog"]

log = logging.getLogger(__name__)

Clock = Callable[[], float]
"""UNIX seconds now (``time.time``; tests and benchmarks pass a simulated clock)."""

_MEMO = 4096


@dataclass
class _Seen:
    """What the log knows of a fingerprint since its last flush."""

    fingerprint: Fingerprint
    interface: str
    fields: str
    sample_of: Callable[[], str]
    """The latest call's query as text, made only when it is written (once per flush)."""
    first_seen: float
    last_seen: float

    @property
    def sample(self) -> str:
        return self.sample_of()


class QueryLog:
    """Buffers calls on the read path; aggregates and writes them off it."""

    def __init__(
        self, store: OperationalStore, settings: InsightsSettings, clock: Clock = time.time
    ) -> None:
        self.store = store
        self.settings = settings
        self.enabled = settings.query_log
        self.clock = clock
        self.writer = uuid.uuid4().hex
        self.dropped = 0
        self.unparsed = 0
        self._calls: deque[tuple[str, Any, float, float, Any]] = deque()
        self._limit = settings.buffer_limit
        self._pending: dict[tuple[str, int], Aggregate] = {}
        self._seen: dict[str, _Seen] = {}
        self._by_object: OrderedDict[int, tuple[Any, Fingerprint, SpecFields | None]] = (
            OrderedDict()
        )
        self._by_text: OrderedDict[str, tuple[Fingerprint, SpecFields | None]] = OrderedDict()
        self._flush_lock = threading.Lock()
        self._sqlglot = store.backend.capabilities.sqlglot_dialect
        self._woken = False
        self._tables_ready = False
        self._last_retention = 0.0
        self.on_full: Callable[[], None] | None = None
        """Called (by the read path) when the buffer reaches its limit: wake the flusher."""
        self.on_first: Callable[[], None] | None = None
        """Called once, by the first call recorded: start the flusher."""

    # -- the read path --------------------------------------------------------------------
    def record(self, interface: str, query: Any, seconds: float, outcome: Any) -> None:
        """Note one finished call: ``outcome`` is its Result or the exception it raised."""
        calls = self._calls
        if len(calls) >= self._limit:
            if len(calls) >= 2 * self._limit:
                self.dropped += 1
                return
            if self.on_full is not None and not self._woken:
                self._woken = True  # once per fill: the flusher clears it when it drains
                self.on_full()
        calls.append((interface, query, self.clock(), seconds, outcome))
        if self.on_first is not None:
            first, self.on_first = self.on_first, None
            first()

    @property
    def buffered(self) -> int:
        return len(self._calls)

    # -- off the read path ----------------------------------------------------------------
    def ensure_tables(self) -> None:
        if not self._tables_ready:
            with self.store.begin() as conn:
                create_tables(conn)
            self._tables_ready = True

    def flush(self) -> int:
        """Aggregate what was buffered and write it; the number of calls written."""
        with self._flush_lock:
            taken = self._aggregate()
            if not self._pending and not self._seen:
                return 0
            pending, seen = self._pending, self._seen
            self._pending, self._seen = {}, {}
            try:
                self.ensure_tables()
                with self.store.begin() as conn:
                    self._write_fingerprints(conn, seen)
                    self._write_stats(conn, pending)
                    self._expire(conn)
            except ThermoError as exc:
                log.warning("query log not written (kept for the next flush): %s", exc)
                for key, agg in pending.items():
                    self._pending.setdefault(key, Aggregate()).merge(agg)
                for fid, info in seen.items():
                    self._seen.setdefault(fid, info)
                return 0
            return taken

    def _aggregate(self) -> int:
        calls = self._calls
        self._woken = False
        taken = 0
        while True:
            try:
                interface, query, at, seconds, outcome = calls.popleft()
            except IndexError:
                break
            taken += 1
            found = self._identify(interface, query)
            if found is None:
                self.unparsed += 1
                continue
            fingerprint, fields, sample = found
            hour = int(at // 3600)
            agg = self._pending.get((fingerprint.id, hour))
            if agg is None:
                agg = self._pending[(fingerprint.id, hour)] = Aggregate()
            _count(agg, seconds, outcome)
            info = self._seen.get(fingerprint.id)
            if info is None:
                fields_json = orjson.dumps(fields.to_json() if fields else {}).decode()
                self._seen[fingerprint.id] = _Seen(
                    fingerprint, interface, fields_json, sample, at, at
                )
            elif at >= info.last_seen:
                info.last_seen = at
                info.sample_of = sample
        return taken

    def _identify(
        self, interface: str, query: Any
    ) -> tuple[Fingerprint, SpecFields | None, Callable[[], str]] | None:
        """The call's fingerprint, fields and (lazily) its sample, memoised."""
        if interface == "ingest":
            memo = self._by_text.get("\0ingest\0" + str(query))
            if memo is None:
                memo = (ingest_fingerprint(str(query)), None)
                _put(self._by_text, "\0ingest\0" + str(query), memo)
            return memo[0], None, lambda: ""
        if isinstance(query, str) and interface == "sql":
            memo = self._by_text.get(query)
            if memo is None:
                memo = (fingerprint_sql(query, self._sqlglot), None)
                _put(self._by_text, query, memo)
            return memo[0], memo[1], lambda: query
        held = self._by_object.get(id(query))
        if held is not None and held[0] is query:
            spec = query
            return held[1], held[2], spec.model_dump_json
        try:
            spec = parse_spec(query)
        except QueryError:
            return None
        text = spec.model_dump_json()
        memo = self._by_text.get(text)
        if memo is None:
            memo = (fingerprint_spec(spec), spec_fields(spec))
            _put(self._by_text, text, memo)
        if isinstance(query, QuerySpec):
            _put(self._by_object, id(query), (query, memo[0], memo[1]))
        return memo[0], memo[1], lambda: text

    def _write_fingerprints(self, conn: Connection, seen: Mapping[str, _Seen]) -> None:
        t = query_fingerprints
        known = set(
            conn.execute(sa.select(t.c.fingerprint).where(t.c.fingerprint.in_(list(seen))))
            .scalars()
            .all()
        )
        new = [s for fid, s in seen.items() if fid not in known]
        if new:
            conn.execute(
                t.insert(),
                [
                    {
                        "fingerprint": s.fingerprint.id,
                        "kind": s.fingerprint.kind,
                        "interface": s.interface,
                        "collection": s.fingerprint.collection,
                        "text": s.fingerprint.text,
                        "fields": s.fields,
                        "sample": s.sample,
                        "first_seen": s.first_seen,
                        "last_seen": s.last_seen,
                    }
                    for s in new
                ],
            )
        old = [s for fid, s in seen.items() if fid in known]
        if old:
            conn.execute(
                t.update()
                .where(t.c.fingerprint == sa.bindparam("fid"))
                .values(last_seen=sa.bindparam("seen"), sample=sa.bindparam("smp")),
                [{"fid": s.fingerprint.id, "seen": s.last_seen, "smp": s.sample} for s in old],
            )

    def _write_stats(self, conn: Connection, pending: Mapping[tuple[str, int], Aggregate]) -> None:
        t = query_stats
        hours = {hour for _, hour in pending}
        fids = {fid for fid, _ in pending}
        existing = {
            (row.fingerprint, row.hour): Aggregate.from_row(row)
            for row in conn.execute(
                sa.select(t).where(
                    t.c.writer == self.writer, t.c.hour.in_(hours), t.c.fingerprint.in_(fids)
                )
            )
        }
        inserts, updates = [], []
        for (fid, hour), agg in pending.items():
            if (fid, hour) in existing:
                merged = existing[(fid, hour)]
                merged.merge(agg)
                updates.append({"b_fid": fid, "b_hour": hour, **merged.row()})
            else:
                inserts.append(
                    {"fingerprint": fid, "hour": hour, "writer": self.writer, **agg.row()}
                )
        if inserts:
            conn.execute(t.insert(), inserts)
        if updates:
            columns: dict[str, Any] = {name: sa.bindparam(name) for name in Aggregate().row()}
            conn.execute(
                t.update()
                .where(
                    t.c.writer == self.writer,
                    t.c.fingerprint == sa.bindparam("b_fid"),
                    t.c.hour == sa.bindparam("b_hour"),
                )
                .values(**columns),
                updates,
            )

    def _expire(self, conn: Connection) -> None:
        now = self.clock()
        if now - self._last_retention < 3600:
            return
        self._last_retention = now
        oldest = int(now // 3600) - self.settings.retention_days * 24
        conn.execute(query_stats.delete().where(query_stats.c.hour < oldest))
        conn.execute(
            query_fingerprints.delete().where(
                query_fingerprints.c.last_seen < oldest * 3600.0,
                ~sa.exists().where(query_stats.c.fingerprint == query_fingerprints.c.fingerprint),
            )
        )


def _count(agg: Aggregate, seconds: float, outcome: Any) -> None:
    agg.calls += 1
    ms = seconds * 1000.0
    if isinstance(outcome, int) and not isinstance(outcome, bool):  # an ingest: rows written
        agg.rows_returned += outcome
        agg.executed.add(ms)
        return
    if not isinstance(outcome, Result):
        agg.errors += 1  # failed calls count, but stay out of the latency histogram
        return
    explain = outcome.explain
    agg.rows_returned += len(outcome.rows)
    if explain.get("result_cache") == "hit":
        agg.cache_hits += 1
        agg.hit_ms += ms
        agg.tiers["cache"] += 1
        return
    agg.executed.add(ms)
    for tier in explain.get("tiers") or ("warm",):
        agg.tiers[str(tier)] += 1
    warm_rows = explain.get("warm_rows")
    if isinstance(warm_rows, dict):
        agg.rows_scanned += sum(int(v) for v in warm_rows.values())


def _put(memo: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    memo[key] = value
    if len(memo) > _MEMO:
        memo.popitem(last=False)
