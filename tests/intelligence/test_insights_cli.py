"""`thermodb insights` as a person runs it: a real process, JSON for programs, a plot."""

from __future__ import annotations

import json
from pathlib import Path

from cli_process import run_cli


def test_insights_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    records = "\n".join(
        json.dumps({"n": i, "kind": f"k{i % 3}", "at": f"2026-02-0{1 + i % 5}T0{i % 9}:00:00Z"})
        for i in range(200)
    )
    assert run_cli("ingest", "-", "--collection", "ev", data=data, stdin=records).returncode == 0
    spec = json.dumps({"collection": "ev", "where": {"field": "kind", "op": "=", "value": "k1"}})
    assert run_cli("query", "--spec", spec, data=data).returncode == 0
    assert run_cli("sql", "SELECT count(*) FROM ev WHERE n > 3", data=data).returncode == 0
    got = run_cli("insights", "queries", "--by", "frequent", "--format", "json", data=data)
    assert got.returncode == 0, got.stderr
    report = json.loads(got.stdout)
    assert {e["interface"] for e in report["frequent"]} == {"spec", "sql"}
    table = run_cli("insights", data=data)
    assert table.returncode == 0 and "slowest" in table.stdout and "advisor indexes" in table.stdout
    dry = run_cli("insights", "advise", "--dry-run", "--format", "json", data=data)
    assert dry.returncode == 0 and json.loads(dry.stdout)["dry_run"] is True
    bad = run_cli("insights", "try", "ev", "missing", data=data)
    assert bad.returncode != 0 and "no top-level field" in bad.stderr
    assert "Traceback" not in bad.stderr
    plot = tmp_path / "plot.svg"
    shown = run_cli("insights", "anomalies", "ev", "--days", "7", "--plot", str(plot), data=data)
    assert shown.returncode == 0, shown.stderr
    assert plot.read_text().startswith("<svg")
    listed = run_cli("insights", "indexes", "--format", "json", data=data)
    assert json.loads(listed.stdout)["advisor"] == "on"
