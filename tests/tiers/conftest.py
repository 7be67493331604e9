"""Fixtures for the tier tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import thermodb
from thermodb.database import Database


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def tdb(data_dir: Path) -> Iterator[Database]:
    database = thermodb.open(data_dir)
    yield database
    database.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def tiered_db(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Database]:
    """A database on each backend, its cold segments in a temporary folder."""
    monkeypatch.setenv("THERMODB_COLD", f"file://{tmp_path / 'cold'}")
    target = (
        str(tmp_path / "data") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    )
    database = thermodb.open(target)
    yield database
    database.close()


@pytest.fixture(autouse=True)
def one_window_per_segment(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Most tier tests reason about one segment per daily window of hourly events: a
    target of 24 rows keeps consecutive windows apart. Tests marked ``right_sized`` see
    the real default (windows merged, small segments compacted)."""
    if request.node.get_closest_marker("right_sized") is None:
        monkeypatch.setenv("THERMODB_SEGMENT_ROWS", "24")
