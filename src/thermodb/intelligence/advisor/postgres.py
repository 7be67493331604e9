"""The advisor on PostgreSQL: HypoPG what-ifs, concurrent builds and drops.

A what-if asks the planner for each sample statement's cost with a hypothetical index
(``hypopg_create_index``, visible to this session only; nothing is built), after an
``ANALYZE`` so the costs rest on current statistics. Without the HypoPG extension the
what-if is a trial build in a transaction that is rolled back, timed like SQLite's.
Real builds and drops run ``CONCURRENTLY`` (outside a transaction), so writers are never
blocked; a build that fails leaves an invalid index, which is dropped at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from thermodb.errors import StorageError
from thermodb.intelligence.advisor.backend import Estimate, explaining, timed_runs
from thermodb.storage.operational import OperationalStore

__all__ = ["PostgresIndexes"]


class _Rollback(Exception):
    """Raised to leave a trial transaction without committing it."""


class PostgresIndexes:
    name: ClassVar[str] = "postgresql"

    @staticmethod
    def serves() -> type:
        from thermodb.storage.backends.postgres.backend import PostgresBackend

        return PostgresBackend

    def __init__(self, store: OperationalStore, runs: int) -> None:
        self.store = store
        self.runs = runs
        self.hypopg = self._hypopg()
        """The schema HypoPG's functions live in (None: not installed)."""
        self.hypothetical = self.hypopg is not None

    def reset(self) -> None:
        """Nothing is remembered between estimates (the planner's costs are cheap)."""

    def _hypopg(self) -> str | None:
        find = (
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
            "ON n.oid = e.extnamespace WHERE e.extname = 'hypopg'"
        )
        try:
            with self.store.begin() as conn:
                available = conn.exec_driver_sql(
                    "SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'"
                ).first()
                if available is None:
                    return None
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS hypopg")
                schema = conn.exec_driver_sql(find).scalar_one_or_none()
        except StorageError:
            return None
        return None if schema is None else self.store.quote(str(schema))

    def _plan(self, conn: Connection, statement: sa.Executable) -> dict[str, Any]:
        with explaining(conn, "EXPLAIN (FORMAT JSON) "):
            result = conn.execute(statement)
            row = result.cursor.fetchone()  # raw: the statement's own row types do not apply
            raw = row[0] if row else "[]"
            result.close()
        document = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
        plan: dict[str, Any] = document[0]["Plan"]
        return plan

    def estimate(
        self, table: str, columns: Sequence[str], statements: Sequence[sa.Executable]
    ) -> list[Estimate]:
        cols = ", ".join(self.store.quote(c) for c in columns)
        ddl = f"CREATE INDEX ON {self._qualified(table)} ({cols})"
        if self.hypopg is None:
            return self._trial(table, cols, statements)
        hypo = self.hypopg
        with self.store.begin() as conn:
            conn.exec_driver_sql(f"ANALYZE {self._qualified(table)}")
        with self.store.begin() as conn:
            conn.exec_driver_sql(f"SELECT {hypo}.hypopg_reset()")
            before = [self._plan(conn, s) for s in statements]
            row = conn.execute(
                sa.text(f"SELECT indexname FROM {hypo}.hypopg_create_index(:ddl)"), {"ddl": ddl}
            ).one()
            hypothetical = str(row[0])
            try:
                after = [self._plan(conn, s) for s in statements]
            finally:
                conn.exec_driver_sql(f"SELECT {hypo}.hypopg_reset()")
        return [
            Estimate(
                float(b["Total Cost"]),
                float(a["Total Cost"]),
                "cost",
                hypothetical in _index_names(a),
                _summary(b),
                _summary(a).replace(hypothetical, "<candidate>"),
            )
            for b, a in zip(before, after, strict=True)
        ]

    def _trial(self, table: str, cols: str, statements: Sequence[sa.Executable]) -> list[Estimate]:
        trial = "thx_trial"
        found: list[Estimate] = []
        try:
            with self.store.begin() as conn:
                before = [(self._plan(conn, s), timed_runs(conn, s, self.runs)) for s in statements]
                conn.exec_driver_sql(f"CREATE INDEX {trial} ON {self._qualified(table)} ({cols})")
                for statement, (plan_before, ms_before) in zip(statements, before, strict=True):
                    plan_after = self._plan(conn, statement)
                    found.append(
                        Estimate(
                            ms_before,
                            timed_runs(conn, statement, self.runs),
                            "ms",
                            trial in _index_names(plan_after),
                            _summary(plan_before),
                            _summary(plan_after).replace(trial, "<candidate>"),
                        )
                    )
                raise _Rollback
        except _Rollback:
            pass
        return found

    def _autocommit(self, sql: str) -> None:
        try:
            with self.store.engine.connect() as raw:
                conn = raw.execution_options(isolation_level="AUTOCOMMIT")
                conn.exec_driver_sql(sql)
        except SQLAlchemyError as exc:
            raise StorageError(f"the operational store failed: {exc.args[0]}") from exc

    def create(self, name: str, table: str, columns: Sequence[str]) -> None:
        cols = ", ".join(self.store.quote(c) for c in columns)
        try:
            self._autocommit(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {self.store.quote(name)} "
                f"ON {self._qualified(table)} ({cols})"
            )
        except StorageError:
            self.drop(name)  # a failed concurrent build leaves an INVALID index behind
            raise

    def drop(self, name: str) -> None:
        self._autocommit(f"DROP INDEX CONCURRENTLY IF EXISTS {self._qualified(name)}")

    def uses(self, statement: sa.Executable, name: str) -> bool:
        with self.store.read() as conn:
            return name in _index_names(self._plan(conn, statement))

    def existing(self, table: str) -> list[tuple[str, list[str]]]:
        with self.store.read() as conn:
            indexes: list[Any] = sa.inspect(conn).get_indexes(table, schema=self.store.schema)
        return [(str(i["name"]), [str(c) for c in i["column_names"] if c]) for i in indexes]

    def _qualified(self, name: str) -> str:
        quoted = self.store.quote(name)
        return f"{self.store.quote(self.store.schema)}.{quoted}" if self.store.schema else quoted


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _index_names(plan: dict[str, Any]) -> set[str]:
    return {str(n["Index Name"]) for n in _nodes(plan) if "Index Name" in n}


def _summary(plan: dict[str, Any]) -> str:
    """The plan's nodes, outermost first: ``Aggregate > Seq Scan on events``."""
    parts = []
    for node in _nodes(plan):
        text = str(node.get("Node Type", "?"))
        if "Index Name" in node:
            text += f" using {node['Index Name']}"
        if "Relation Name" in node:
            text += f" on {node['Relation Name']}"
        parts.append(text)
    return " > ".join(parts) + f" (cost {plan.get('Total Cost')})"
