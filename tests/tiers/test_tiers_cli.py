"""`thermodb tiers`, `tiers explain`, `tiers policy` and `migrate` (in-process, real CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tierdata import LATER, events

import thermodb
from thermodb.cli.app import main


def _cli(capsys: pytest.CaptureFixture[str], data: Path, *args: str) -> tuple[int, str]:
    code = main(["--data", str(data), *args])
    return code, capsys.readouterr().out


def test_tiers_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    with thermodb.open(data) as db:
        db.ingest(events(48), collection="logs")
    now = LATER.isoformat()
    code, out = _cli(capsys, data, "migrate", "--dry-run", "--now", now, "--format", "json")
    assert code == 0 and [p["kind"] for p in json.loads(out)["planned"]] == ["demote"] * 2
    code, out = _cli(capsys, data, "migrate", "--now", now)
    assert code == 0 and "2 moves done" in out and "48 rows moved" in out
    code, out = _cli(capsys, data, "tiers", "--format", "json")
    row = json.loads(out)[0]
    assert (row["warm_rows"], row["cold_rows"], row["cold_segments"]) == (0, 48, 2)
    code, out = _cli(capsys, data, "tiers", "explain", "logs", "--format", "json")
    info = json.loads(out)
    assert len(info["segments"]) == 2 and "promoted after" in info["segments"][0]["next"]
    code, out = _cli(capsys, data, "tiers", "explain", "logs")
    assert code == 0 and "cold segments" in out
    code, out = _cli(capsys, data, "tiers", "policy", "logs", "--warm-for", "2d")
    assert code == 0 and json.loads(out)["warm_for"] == "2d"
    code = main(["--data", str(data), "get", "logs", "30"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert json.loads(captured.out)["id"] == 30


def test_bad_input_is_a_message_and_an_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    with thermodb.open(data) as db:
        db.ingest(events(2), collection="logs")
    assert main(["--data", str(data), "migrate", "--now", "yesterday"]) == 2
    assert "ISO 8601" in capsys.readouterr().err
    assert main(["--data", str(data), "tiers", "explain", "nope"]) == 4
    assert main(["--data", str(data), "tiers", "policy", "logs", "--window", "0s"]) == 2
