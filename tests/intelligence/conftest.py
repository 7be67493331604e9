"""Fixtures for the intelligence tests: a database with a simulated clock and test-sized
advisor thresholds, on every backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from insightdata import Clock, open_db

from thermodb.database import Database


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tuned(backend_url: str, clock: Clock) -> Iterator[Database]:
    """A database on each backend whose insights run on ``clock``."""
    database = open_db(backend_url)
    database.insights.clock = clock
    database.thermal.results.capacity = 0  # time execution, not the result cache
    yield database
    database.close()
