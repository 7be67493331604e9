"""The command line as a person uses it: real processes, exit codes, no tracebacks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cli_process import run_cli

ROOT = Path(__file__).resolve().parents[1]


def test_ingest_describe_get_delete_round_trip(tmp_path: Path) -> None:
    data = tmp_path / "d"
    src = tmp_path / "users.ndjson"
    src.write_text('{"id": 1, "name": "Ada", "plan": "pro"}\n{"id": 2, "name": "Bo"}\n')
    r = run_cli("ingest", str(src), "--collection", "users", "--format", "json", data=data)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["written"] == 2
    r = run_cli("describe", "users", "--format", "json", data=data)
    assert {f["field"] for f in json.loads(r.stdout)["fields"]} == {"id", "name", "plan"}
    r = run_cli("get", "users", "1", data=data)
    assert json.loads(r.stdout) == {"id": 1, "name": "Ada", "plan": "pro"}
    assert run_cli("delete", "users", "1", data=data).returncode == 0
    r = run_cli("get", "users", "1", data=data)
    assert r.returncode == 4 and "no record" in r.stderr


def test_stdin_and_glob(tmp_path: Path) -> None:
    data = tmp_path / "d"
    for i in range(3):
        (tmp_path / f"part{i}.ndjson").write_text(json.dumps({"id": i, "v": i * 2}) + "\n")
    r = run_cli(
        "ingest", str(tmp_path / "part*.ndjson"), "-c", "parts", "--format", "json", data=data
    )
    assert json.loads(r.stdout)["written"] == 3, r.stderr
    r = run_cli(
        "ingest", "-", "-c", "parts", "--format", "json", data=data, stdin='{"id": 9, "v": 1}\n'
    )
    assert json.loads(r.stdout)["written"] == 1, r.stderr
    r = run_cli("collections", "--format", "json", data=data)
    assert json.loads(r.stdout)["rows"][0][:2] == ["parts", "entity"]


@pytest.mark.parametrize(
    ("args", "content", "code", "message"),
    [
        (["ingest", "{src}", "-c", "x"], '{"id": 1}\n{"id": \n', 3, "line 2"),
        (["ingest", "{src}", "-c", "Bad Name"], '{"id": 1}\n', 2, "not a valid collection"),
        (["ingest", "{tmp}/missing.ndjson", "-c", "x"], "", 3, "no such file"),
        (["describe", "nope"], '{"id": 1}\n', 4, "no collection named"),
        (["get", "x", "abc"], '{"id": 1}\n', 3, "is a number"),
    ],
)
def test_bad_input_gets_a_clear_error_and_exit_code(
    tmp_path: Path, args: list[str], content: str, code: int, message: str
) -> None:
    data = tmp_path / "d"
    src = tmp_path / "in.ndjson"
    src.write_text(content)
    if args[0] in ("get", "describe"):
        run_cli("ingest", str(src), "-c", "x", data=data)
    argv = [a.format(src=src, tmp=tmp_path) for a in args]
    r = run_cli(*argv, data=data)
    assert r.returncode == code, (r.stdout, r.stderr)
    assert message in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_every_command_is_documented() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import cli_reference
    finally:
        sys.path.pop(0)
    doc = (ROOT / "docs" / "cli.md").read_text()
    for name, cmd in cli_reference.commands():
        assert (cmd.help or "").strip(), f"thermodb {name} has no help text"
        assert f"## `thermodb {name}`" in doc, f"thermodb {name} is missing from docs/cli.md"


def test_errors_under_format_json_are_json_on_stdout(tmp_path: Path) -> None:
    """A program that asked for JSON gets its error as JSON too (and people get stderr)."""
    data = tmp_path / "d"
    src = tmp_path / "users.ndjson"
    src.write_text('{"id": 1, "name": "Ada"}\n')
    assert run_cli("ingest", str(src), "-c", "users", data=data).returncode == 0
    r = run_cli("ask", "what is the average wibble of users", "--format", "json", data=data)
    assert r.returncode == 6, r.stderr
    error = json.loads(r.stdout)
    assert error["exit_code"] == 6 and error["error"] == "NotUnderstoodError"
    assert "wibble" in error["message"] and "error:" in r.stderr
    r = run_cli("sql", "DELETE FROM users", "--format=json", data=data)
    assert r.returncode == 5 and json.loads(r.stdout)["exit_code"] == 5
