"""Fixtures of the gateway tests (helpers live in gateway_env.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gateway_env import Env, make_env

from thermodb.database import Database


@pytest.fixture
def env(sqlite_db: Database) -> Iterator[Env]:
    e = make_env(sqlite_db)
    with e.client:
        yield e
