"""Fixtures for the lakehouse tests: a database on each backend, cold segments in a folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import thermodb
from thermodb.database import Database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def lake_db(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Database]:
    monkeypatch.setenv("THERMODB_COLD", f"file://{tmp_path / 'cold'}")
    target = (
        str(tmp_path / "data") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    )
    database = thermodb.open(target)
    yield database
    database.close()


@pytest.fixture
def sqlite_lake_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("THERMODB_COLD", f"file://{tmp_path / 'cold'}")
    database = thermodb.open(tmp_path / "data")
    yield database
    database.close()
