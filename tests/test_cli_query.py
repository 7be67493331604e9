"""`thermodb query` and `thermodb sql` as a person runs them: real processes, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_process import run_cli


def test_query_and_sql_commands(tmp_path: Path) -> None:
    data = tmp_path / "d"
    src = tmp_path / "users.ndjson"
    src.write_text(
        '{"id": 1, "name": "Ada", "plan": "pro", "settings": {"theme": "dark"}}\n'
        '{"id": 2, "name": "Bo", "plan": "free"}\n'
    )
    assert run_cli("ingest", str(src), "-c", "users", data=data).returncode == 0
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"collection": "users", "select": ["id", "settings.theme"]}))
    r = run_cli("query", "--spec", f"@{spec}", "--format", "json", "--explain", data=data)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["columns"] == ["id", "settings.theme"]
    assert out["rows"] == [[1, "dark"], [2, None]]
    assert "SELECT" in out["explain"]["stores"][0]["sql"]

    r = run_cli(
        "sql",
        "SELECT plan, count(*) AS n FROM users GROUP BY plan ORDER BY plan",
        "-f",
        "csv",
        data=data,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["plan,n", "free,1", "pro,1"]

    r = run_cli("sql", "DROP TABLE users", data=data)
    assert r.returncode == 5 and "only SELECT" in r.stderr and "Traceback" not in r.stderr

    r = run_cli(
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
