"""`IndexBackend`: what the advisor needs from an engine, and the shared plan helpers.

* ``estimate``: the planner's view of a candidate: for each sample statement, its cost
  without and with the index and whether the plan uses it. PostgreSQL asks HypoPG
  (nothing is built); SQLite builds the index inside a transaction it rolls back, reads
  ``EXPLAIN QUERY PLAN`` and times the statement (a sampled timing), so nothing persists;
* ``create`` / ``drop``: for real, concurrently where the engine can;
* ``uses``: whether a statement's current plan reads an index;
* ``existing``: the indexes a table has (so no candidate duplicates one).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection

from thermodb.errors import ConfigError
from thermodb.storage.operational import OperationalStore

__all__ = ["Estimate", "IndexBackend", "backend_for", "explaining", "timed_runs"]


@dataclass
class Estimate:
    """One statement under one candidate, in the engine's own cost units."""

    before: float
    after: float
    unit: str
    """``ms`` (measured, SQLite) or ``cost`` (the planner's estimate, PostgreSQL)."""
    used: bool
    plan_before: str
    plan_after: str

    @property
    def ratio(self) -> float:
        return self.after / self.before if self.before > 0 else 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "before": round(self.before, 4),
            "after": round(self.after, 4),
            "unit": self.unit,
            "used": self.used,
            "plan_before": self.plan_before,
            "plan_after": self.plan_after,
        }


class IndexBackend(Protocol):
    name: ClassVar[str]
    hypothetical: bool
    """The what-if builds nothing (HypoPG), rather than a rolled-back trial build."""

    @staticmethod
    def serves() -> type:
        """The storage backend class this index backend works on."""

    def estimate(
        self, table: str, columns: Sequence[str], statements: Sequence[sa.Executable]
    ) -> list[Estimate]: ...

    def reset(self) -> None:
        """Forget what was measured during the last pass (called as a pass starts)."""

    def create(self, name: str, table: str, columns: Sequence[str]) -> None: ...

    def drop(self, name: str) -> None: ...

    def uses(self, statement: sa.Executable, name: str) -> bool: ...

    def existing(self, table: str) -> list[tuple[str, list[str]]]: ...


@contextmanager
def explaining(conn: Connection, prefix: str) -> Iterator[None]:
    """Statements executed on ``conn`` inside run as ``prefix`` + statement (EXPLAIN ...),
    with their parameters bound exactly as for the real run."""

    def rewrite(
        _conn: Any, _cursor: Any, statement: str, params: Any, _context: Any, _many: bool
    ) -> tuple[str, Any]:
        return prefix + statement, params

    event.listen(conn, "before_cursor_execute", rewrite, retval=True)
    try:
        yield
    finally:
        event.remove(conn, "before_cursor_execute", rewrite)


def timed_runs(conn: Connection, statement: sa.Executable, runs: int) -> float:
    """Median wall time of ``runs`` executions (ms); one run if the first is slow."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        conn.execute(statement).fetchall()
        samples.append((time.perf_counter() - started) * 1000)
        if samples[0] > 2000:
            break
    return statistics.median(samples)


def backend_for(store: OperationalStore, runs: int) -> IndexBackend:
    """The index backend of the store's engine: the one that declares it serves the
    store's backend class."""
    from thermodb.intelligence.advisor.postgres import PostgresIndexes
    from thermodb.intelligence.advisor.sqlite import SQLiteIndexes

    for cls in (SQLiteIndexes, PostgresIndexes):
        if isinstance(store.backend, cls.serves()):
            return cls(store, runs)
    raise ConfigError(
        f"the index advisor does not support {store.backend.capabilities.name}",
        hint="set insights.advisor = 'off' for this store",
    )
