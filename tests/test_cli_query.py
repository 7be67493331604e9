"""`thermodb query` and `thermodb sql` as a person runs them: real processes, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "thermodb", "--data", str(data), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_query_and_sql_commands(tmp_path: Path) -> None:
    data = tmp_path / "d"
    src = tmp_path / "users.ndjson"
    src.write_text(
        '{"id": 1, "name": "Ada", "plan": "pro", "settings": {"theme": "dark"}}\n'
        '{"id": 2, "name": "Bo", "plan": "free"}\n'
    )
    assert run("ingest", str(src), "-c", "users", data=data).returncode == 0
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"collection": "users", "select": ["id", "settings.theme"]}))
    r = run("query", "--spec", f"@{spec}", "--format", "json", "--explain", data=data)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["columns"] == ["id", "settings.theme"]
    assert out["rows"] == [[1, "dark"], [2, None]]
    assert "SELECT" in out["explain"]["stores"][0]["sql"]

    r = run(
        "sql",
        "SELECT plan, count(*) AS n FROM users GROUP BY plan ORDER BY plan",
        "-f",
        "csv",
        data=data,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["plan,n", "free,1", "pro,1"]

    r = run("sql", "DROP TABLE users", data=data)
    assert r.returncode == 5 and "only SELECT" in r.stderr and "Traceback" not in r.stderr

    r = run(
        "query",
        "--spec",
        '{"collection": "users", "where": {"field": "nope", "op": "is_null"}}',
        data=data,
    )
    assert r.returncode == 4 and "nope" in r.stderr


def test_read_spec_inline_file_and_missing(tmp_path: Path) -> None:
    from thermodb.cli.query import read_spec
    from thermodb.errors import InputError

    spec = tmp_path / "s.json"
    spec.write_text('{"collection": "users"}')
    assert read_spec(f"@{spec}") == '{"collection": "users"}'
    assert read_spec('{"collection": "x"}') == '{"collection": "x"}'
    with pytest.raises(InputError, match="cannot read the spec file"):
        read_spec("@/no/such/file.json")
