"""Shared fixtures: a database on every backend, and the servers CI must not skip.

``db`` runs each test on SQLite (a temporary data directory) and on PostgreSQL (a fresh
schema in the server at THERMODB_TEST_PG_URL, default 127.0.0.1:5432 as user postgres).
Without a server the PostgreSQL cases skip with the reason; with THERMODB_REQUIRE_SERVICES=1
(as .ci/run sets) they fail instead, so CI can never pass by skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import thermodb
from services import service_missing
from thermodb.database import Database

PG_URL = os.environ.get("THERMODB_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_available() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install 'thermodb[postgres]')"
    try:
        with psycopg.connect(PG_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


_PG_PROBLEM: list[str | None] = []


def pg_problem() -> str | None:
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_pg_available())
    return _PG_PROBLEM[0]


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL of a fresh PostgreSQL schema, dropped afterwards."""
    problem = pg_problem()
    if problem:
        service_missing("PostgreSQL", problem)
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield f"{PG_URL}?schema={schema}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The target of a fresh database on each backend."""
    if request.param == "sqlite":
        yield str(tmp_path / "data")
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def db(backend_url: str) -> Iterator[Database]:
    database = thermodb.open(backend_url)
    yield database
    database.close()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = thermodb.open(tmp_path / "data")
    yield database
    database.close()


DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "nlq" / "dev"


@pytest.fixture
def dev_set() -> Path:
    """The shared NLQ development set (beside the repository, as in CI)."""
    if not (DEV_SET / "manifest.json").is_file():
        pytest.skip(f"the shared dev set is not at {DEV_SET}")
    return DEV_SET
