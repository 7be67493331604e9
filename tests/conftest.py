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


SHARED = Path(__file__).resolve().parents[2] / "shared"
"""The project's shared folder beside the repository: on the developers' machines and in CI
only. Tests that read it carry the ``shared`` marker (added below to every test that uses a
fixture from this block); a user's run deselects them (``-m "not shared"`` in pyproject) and
``.ci/run`` runs them with ``-m shared``, where a missing folder is a failure, not a skip."""
DEV_SET = SHARED / "nlq" / "dev"
WTQ_TRAIN = SHARED / "wtq-train"
SHARED_FIXTURES = frozenset({"dev_set", "wtq_train"})


def _shared_folder(path: Path) -> Path:
    if not path.is_dir():
        pytest.fail(f"the shared folder {path} is missing; tests marked `shared` need it")
    return path


@pytest.fixture
def dev_set() -> Path:
    """The shared NLQ development set (beside the repository, as in CI)."""
    return _shared_folder(DEV_SET)


@pytest.fixture
def wtq_train() -> Path:
    """The shared WikiTableQuestions training sample (tables/ and questions.jsonl)."""
    return _shared_folder(WTQ_TRAIN)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that reads the shared folder, so a user's run can leave it out."""
    for item in items:
        if SHARED_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.shared)
