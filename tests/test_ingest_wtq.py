"""Every table of the shared WikiTableQuestions sample ingests: real headers, real text."""

from __future__ import annotations

import json
import re
from pathlib import Path

from thermodb.database import Database
from thermodb.ingest.written import identifier_name


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


_PLAIN_NUMBER = re.compile(r"-?(?:[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*|0)(?:\.\d+)?")


def test_wtq_numbers_written_as_text_are_numeric(wtq_train: Path, sqlite_db: Database) -> None:
    """Fields whose every value is a plain number written as text ("1864", "12,500", "3.5",
    with blanks and dashes for missing values) are numeric once ingested (before: none)."""
    written, numeric = 0, 0
    for i, table in enumerate(sorted((wtq_train / "tables").glob("*.ndjson"))):
        rows = [json.loads(line) for line in table.read_text().splitlines() if line.strip()]
        sqlite_db.ingest(rows, collection=f"t{i}")
        coll = sqlite_db.collection(f"t{i}")
        for name in dict.fromkeys(k for r in rows for k in r):
            values = [r.get(name) for r in rows]
            texts = [v.strip() for v in values if isinstance(v, str)]
            present = [v for v in texts if v not in ("", "-", "—", "–")]
            if not present or len(texts) != len(values) or identifier_name(name):
                continue
            if all(_PLAIN_NUMBER.fullmatch(v) for v in present):
                written += 1
                f = coll.resolve(name or "_empty")
                numeric += f is not None and f.type.is_numeric
    assert written > 1000
    assert numeric == written
