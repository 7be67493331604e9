"""`export --subject`: one document of everything held about a data subject, every tier."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import thermodb
from cli_process import run_cli
from thermodb.database import Database
from thermodb.errors import InputError
from thermodb.lifecycle.subject import export_subject

BASE = datetime(2025, 1, 1, tzinfo=UTC)


def fill(db: Database) -> None:
    db.ingest(
        [
            {"id": 1, "email": "ann@example.com", "plan": "pro"},
            {"id": 2, "email": "bob@example.com", "plan": "free"},
        ],
        collection="users",
        key="id",
    )
    events = [
        {
            "ts": (BASE + timedelta(hours=i)).isoformat(),
            "user_id": 1 + i % 2,
            "who": {"email": "ann@example.com" if i % 2 == 0 else "bob@example.com"},
        }
        for i in range(48)
    ]
    db.ingest(events, collection="clicks")


def test_export_finds_the_subject_in_every_collection_and_tier(
    backend_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THERMODB_COLD", f"file://{tmp_path / 'cold'}")
    db = thermodb.open(backend_url)
    try:
        fill(db)
        db.migrate(datetime.now(UTC) + timedelta(days=2))  # clicks go cold
        assert db.thermal.cold_rows("clicks") == 48
        by_email = export_subject(db, "email=ann@example.com")
        assert by_email["collections"] == {
            "users": [{"id": 1, "email": "ann@example.com", "plan": "pro"}]
        }
        nested = export_subject(db, "who.email=ann@example.com")
        assert len(nested["collections"]["clicks"]) == 24
        by_id = export_subject(db, "user_id=2")
        assert by_id["records"] == 24 and {
            r["user_id"] for r in by_id["collections"]["clicks"]
        } == {2}
        assert export_subject(db, "email=nobody@example.com")["records"] == 0
        assert export_subject(db, "user_id=not-a-number")["records"] == 0
        with pytest.raises(InputError, match="FIELD=VALUE"):
            export_subject(db, "email")
    finally:
        db.close()


def test_export_command(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = thermodb.open(data)
    fill(db)
    db.close()
    out = run_cli("export", "--subject", "email=bob@example.com", data=data)
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    assert document["subject"] == {"email": "bob@example.com"}
    assert document["collections"]["users"][0]["id"] == 2
    target = tmp_path / "bob.json"
    written = run_cli("export", "--subject", "user_id=2", "-o", str(target), data=data)
    assert written.returncode == 0 and json.loads(target.read_text())["records"] == 24
    bad = run_cli("export", "--subject", "nope", data=data)
    assert bad.returncode == 3 and "FIELD=VALUE" in bad.stderr and "Traceback" not in bad.stderr
