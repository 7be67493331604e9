"""A data directory written by release 0.1.0 (catalog format 1) opens, upgrades and answers.

The fixture was made by ``tests/fixtures/make_datadir_v1.py`` with the code of that release,
before the catalog had migrations; ``datadir_v1.json`` holds the answers it gave then.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

import thermodb
from thermodb.catalog.migrations import CATALOG_FORMAT, MIGRATIONS
from thermodb.catalog.store import settings_table
from thermodb.errors import ConfigError

FIXTURE = Path(__file__).parent / "fixtures" / "datadir_v1"
EXPECTED = json.loads((FIXTURE.parent / "datadir_v1.json").read_text())


@pytest.fixture
def old_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(FIXTURE, target)
    return target


def _format(db: thermodb.Database) -> int:
    with db.store.read() as conn:
        value = conn.execute(
            sa.select(settings_table.c.value).where(settings_table.c.key == "catalog_format")
        ).scalar_one()
    return int(value)


def test_a_release_0_1_data_directory_upgrades_and_answers(old_data: Path) -> None:
    with thermodb.open(old_data) as db:
        assert _format(db) == CATALOG_FORMAT == MIGRATIONS[-1].version
        assert db.thermal.segments.segments("logs"), "the fixture has cold segments"
        assert db.count("logs") == EXPECTED["logs_rows"]
        assert db.count("users") == EXPECTED["users_rows"]
        deep = db.query(
            {
                "collection": "logs",
                "where": {"field": "meta.a.b.c.d", "op": "=", "value": 1},
                "aggregates": [{"fn": "count", "alias": "n"}],
            }
        )
        assert deep.rows == [[EXPECTED["logs_deep_d1"]]]
        assert db.ask("how many logs", conversation="fixture").result.rows == [[60]]
        with db.store.read() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("thermo_moves")}
        assert "sources" in columns
        db.migrate()  # moves (and compactions) run on the upgraded tables
        assert db.count("logs") == EXPECTED["logs_rows"]
    with thermodb.open(old_data) as db:  # opening again is a no-op
        assert _format(db) == CATALOG_FORMAT


def test_a_newer_catalog_format_is_refused(old_data: Path) -> None:
    with thermodb.open(old_data) as db, db.store.begin() as conn:
        conn.execute(
            settings_table.update()
            .where(settings_table.c.key == "catalog_format")
            .values(value=str(CATALOG_FORMAT + 1))
        )
    with pytest.raises(ConfigError, match="newer thermodb"):
        thermodb.open(old_data)
