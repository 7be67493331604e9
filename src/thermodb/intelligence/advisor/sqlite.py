"""The advisor on SQLite: what-ifs are trial builds in a transaction that is rolled back.

SQLite has no hypothetical indexes, but its DDL is transactional: the candidate is built
inside a write transaction, ``EXPLAIN QUERY PLAN`` says whether the planner picks it, each
sample statement is timed with and without it, and the transaction is rolled back, so
nothing persists. Readers are never blocked (WAL); writers wait for the trial, which is why
the advisor is throttled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thermodb.intelligence.advisor.backend import Estimate, explaining, timed_runs
from thermodb.query.percentile import register_sqlite_percentile
from thermodb.storage.operational import OperationalStore

__all__ = ["SQLiteIndexes"]


class _Rollback(Exception):
    """Raised to leave a trial transaction without committing it."""


class SQLiteIndexes:
    name: ClassVar[str] = "sqlite"
    hypothetical = False

    @staticmethod
    def serves() -> type:
        from thermodb.storage.backends.sqlite.backend import SQLiteBackend

        return SQLiteBackend

    def __init__(self, store: OperationalStore, runs: int) -> None:
        self.store = store
        self.runs = runs
        self._before: dict[int, tuple[sa.Executable, str, float]] = {}
        """Plans and timings without the candidate, per statement, within one pass."""

    def reset(self) -> None:
        self._before.clear()

    def _baseline(self, conn: Connection, statement: sa.Executable) -> tuple[str, float]:
        known = self._before.get(id(statement))
        if known is None or known[0] is not statement:
            known = (statement, self._plan(conn, statement), timed_runs(conn, statement, self.runs))
            self._before[id(statement)] = known
        return known[1], known[2]

    def _plan(self, conn: Connection, statement: sa.Executable) -> str:
        register_sqlite_percentile(conn.connection.driver_connection)
        with explaining(conn, "EXPLAIN QUERY PLAN "):
            result = conn.execute(statement)
            rows = result.cursor.fetchall()  # raw: the statement's own row types do not apply
            result.close()
        return "; ".join(str(row[-1]) for row in rows)

    def estimate(
        self, table: str, columns: Sequence[str], statements: Sequence[sa.Executable]
    ) -> list[Estimate]:
        q = self.store.quote
        trial = "thx_trial"
        found: list[Estimate] = []
        try:
            with self.store.begin() as conn:
                register_sqlite_percentile(conn.connection.driver_connection)
                before = [self._baseline(conn, s) for s in statements]
                conn.exec_driver_sql(
                    f"CREATE INDEX {q(trial)} ON {q(table)} ({', '.join(q(c) for c in columns)})"
                )
                for statement, (plan_before, ms_before) in zip(statements, before, strict=True):
                    plan_after = self._plan(conn, statement)
                    ms_after = timed_runs(conn, statement, self.runs)
                    found.append(
                        Estimate(
                            ms_before,
                            ms_after,
                            "ms",
                            _reads(plan_after, trial),
                            plan_before,
                            plan_after.replace(trial, "<candidate>"),
                        )
                    )
                raise _Rollback
        except _Rollback:
            pass
        return found

    def create(self, name: str, table: str, columns: Sequence[str]) -> None:
        q = self.store.quote
        with self.store.begin() as conn:
            conn.exec_driver_sql(
                f"CREATE INDEX IF NOT EXISTS {q(name)} ON {q(table)} "
                f"({', '.join(q(c) for c in columns)})"
            )

    def drop(self, name: str) -> None:
        with self.store.begin() as conn:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {self.store.quote(name)}")

    def uses(self, statement: sa.Executable, name: str) -> bool:
        with self.store.read() as conn:
            return _reads(self._plan(conn, statement), name)

    def existing(self, table: str) -> list[tuple[str, list[str]]]:
        with self.store.read() as conn:
            indexes: list[Any] = sa.inspect(conn).get_indexes(table)
        return [(str(i["name"]), [str(c) for c in i["column_names"] if c]) for i in indexes]


def _reads(plan: str, name: str) -> bool:
    return f"INDEX {name} " in plan + " " or f"INDEX {name}(" in plan or plan.endswith(name)
