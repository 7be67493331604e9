"""Fixtures of the gateway tests (helpers live in gateway_env.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gateway_env import Env, make_env

from thermodb.database import Database


@pytest.fixture
def env(db: Database) -> Iterator[Env]:
    """The app over a seeded database, on SQLite and on PostgreSQL."""
    e = make_env(db)
    with e.client:
        yield e
