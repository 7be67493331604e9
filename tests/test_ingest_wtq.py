"""Every table of the shared WikiTableQuestions sample ingests: real headers, real text."""

from __future__ import annotations

from pathlib import Path

from thermodb.database import Database


def test_every_wtq_table_ingests(wtq_train: Path, sqlite_db: Database) -> None:
    tables = sorted((wtq_train / "tables").glob("*.ndjson"))
    assert len(tables) > 600
    failed = {}
    for i, table in enumerate(tables):
        try:
            report = sqlite_db.ingest(str(table), collection=f"t{i}")
        except Exception as exc:
            failed[table.name] = str(exc)[:200]
            continue
        assert report.rejected == 0 and report.written == report.received
    assert not failed, failed
