"""`thermodb events`, `backup`, `backup verify`, `backup list` and `restore` as real processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import thermodb
from cli_process import run_cli


def seed(data: Path) -> None:
    db = thermodb.open(data)
    db.ingest([{"id": i, "name": f"u{i}"} for i in range(5)], collection="users", key="id")
    db.delete("users", 4)
    db.close()


def test_events_command(tmp_path: Path) -> None:
    data = tmp_path / "data"
    seed(data)
    out = run_cli("events", "--format", "json", data=data)
    assert out.returncode == 0, out.stderr
    events = [json.loads(line) for line in out.stdout.splitlines()]
    assert [e["op"] for e in events] == ["schema", *["upsert"] * 5, "delete"]
    assert events[-1]["key"] == 4 and events[1]["payload"] == {"id": 0, "name": "u0"}
    since = run_cli("events", "--since", "5", "-f", "json", "-c", "users", data=data)
    assert [json.loads(x)["id"] for x in since.stdout.splitlines()] == [6, 7]
    table = run_cli("events", "--limit", "2", data=data)
    assert "schema" in table.stdout and "upsert" in table.stdout and "delete" not in table.stdout

    first = run_cli("events", "--consumer", "app", "--limit", "3", "-f", "json", data=data)
    assert len(first.stdout.splitlines()) == 3
    rest = run_cli("events", "--consumer", "app", "-f", "json", data=data)
    assert [json.loads(x)["id"] for x in rest.stdout.splitlines()] == [4, 5, 6, 7]
    cursors = json.loads(run_cli("events", "cursors", "-f", "json", data=data).stdout)
    assert cursors == {"last_id": 7, "cursors": [{"consumer": "app", "position": 7, "lag": 0}]}
    assert json.loads(run_cli("events", "trim", "-f", "json", data=data).stdout) == {"removed": 7}

    bad = run_cli("events", "--consumer", "app", "--since", "2", data=data)
    assert bad.returncode == 2 and "pass one" in bad.stderr
    nowhere = run_cli("events", "forward", "--once", data=data)
    assert nowhere.returncode == 2 and "no broker" in nowhere.stderr
    refused = run_cli("events", "forward", "--to", "kafka://127.0.0.1:1", data=data)
    assert refused.returncode == 2 and "cannot forward" in refused.stderr
    assert "Traceback" not in bad.stderr + nowhere.stderr + refused.stderr


def test_events_follow_prints_new_commits(tmp_path: Path) -> None:
    data = tmp_path / "data"
    seed(data)
    process = subprocess.Popen(
        [sys.executable, "-m", "thermodb", "--data", str(data), "events", "--follow",
         "--since", "7", "-f", "json"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        time.sleep(1.0)
        db = thermodb.open(data)
        db.ingest([{"id": 9, "name": "late"}], collection="users")
        db.close()
        assert process.stdout is not None
        line = process.stdout.readline()
        assert json.loads(line)["payload"] == {"id": 9, "name": "late"}
    finally:
        process.kill()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def test_backup_verify_list_restore_commands(tmp_path: Path) -> None:
    data, dest, restored = tmp_path / "data", tmp_path / "bk", tmp_path / "restored"
    seed(data)
    made = run_cli("backup", str(dest), "--format", "json", data=data)
    assert made.returncode == 0, made.stderr
    report = json.loads(made.stdout)
    assert report["collections"]["users"]["rows"] == 4
    shown = run_cli("backup", str(dest), data=data)  # a second one, with progress bars
    assert shown.returncode == 0 and "snapshot" in shown.stderr and "users" in shown.stdout

    verified = run_cli("backup", "verify", str(dest), "-f", "json", data=data)
    assert verified.returncode == 0 and json.loads(verified.stdout)["ok"] is True
    listed = json.loads(run_cli("backup", "list", str(dest), "-f", "json", data=data).stdout)
    assert len(listed["rows"]) == 2 and report["id"] in [r[0] for r in listed["rows"]]

    back = run_cli("restore", str(dest), "--id", report["id"], "-f", "json", data=restored)
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["collections"]["users"]["rows"] == 4
    got = run_cli("get", "users", "2", data=restored)
    assert json.loads(got.stdout)["name"] == "u2", got.stdout

    again = run_cli("restore", str(dest), data=restored)
    assert again.returncode == 2 and "not empty" in again.stderr
    snapshot = dest / report["id"] / "operational.db"
    raw = bytearray(snapshot.read_bytes())
    raw[100] ^= 0xFF
    snapshot.write_bytes(bytes(raw))
    damaged = run_cli("backup", "verify", str(dest), "--id", report["id"], data=data)
    assert damaged.returncode == 7 and "SHA-256" in damaged.stderr
    missing = run_cli("backup", "verify", str(tmp_path / "nothing"), data=data)
    assert missing.returncode == 4 and "no backup" in missing.stderr
    assert "Traceback" not in damaged.stderr + missing.stderr + again.stderr
