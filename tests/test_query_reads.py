"""Reads never take the write lock: questions are answered while another writer holds it."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import sqlalchemy as sa

import thermodb
from thermodb.catalog.tables import conversations_table, examples_table


def _rows(n: int) -> list[dict[str, object]]:
    plans = ["free", "pro", "team"]
    return [{"id": i, "name": f"user {i}", "plan": plans[i % 3]} for i in range(n)]


def test_ask_does_not_wait_for_another_writer(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with thermodb.open(data) as db:
        db.ingest(_rows(30), collection="users", key="id")
        db.ask("how many users")  # warm up the NL engine
        other = sqlite3.connect(data / "thermo.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process's write transaction
        try:
            started = time.perf_counter()
            db.query({"collection": "users", "aggregates": [{"fn": "count"}]})
            query_s = time.perf_counter() - started
            started = time.perf_counter()
            answer = db.ask("how many users are on the pro plan", conversation="c1")
            ask_s = time.perf_counter() - started
            follow = db.ask("and on the team plan", conversation="c1")  # sees the turn
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert answer.result.rows == [[10]] and follow.result.rows == [[10]]
        assert ask_s < 1.0, f"ask waited for the writer: {ask_s:.2f} s (query {query_s:.3f} s)"
        db.writes.flush()  # the turns and examples are written once the store is free
        with db.store.read() as conn:
            turns = conn.execute(
                sa.select(sa.func.count()).select_from(conversations_table)
            ).scalar_one()
            examples = conn.execute(
                sa.select(sa.func.count()).select_from(examples_table)
            ).scalar_one()
        assert turns == 2 and examples >= 3
    with thermodb.open(data) as db:  # and a new process continues the conversation
        assert db.ask("and on the free plan", conversation="c1").result.rows == [[10]]
