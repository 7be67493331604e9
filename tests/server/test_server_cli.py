"""`keys`, `audit`, `domains` and `serve`'s refusal to expose an unauthenticated server."""

from __future__ import annotations

from pathlib import Path

import pytest
from gateway_env import seed

from cli_process import run_cli
from thermodb.cli import main
from thermodb.database import Database


@pytest.fixture
def data(tmp_path: Path) -> str:
    path = tmp_path / "data"
    db = Database(path)
    seed(db)
    db.close()
    return str(path)


def test_keys_create_list_revoke(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["--data", data, "keys", "create", "--role", "reader", "--collections", "users"]) == 0
    )
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key.startswith("tdb_")
    key_id = key.split("_")[1]
    assert main(["--data", data, "keys", "list", "--format", "json"]) == 0
    listed = capsys.readouterr().out
    assert key_id in listed and key.split("_", 2)[2] not in listed
    assert main(["--data", data, "keys", "revoke", key_id]) == 0
    capsys.readouterr()
    assert main(["--data", data, "keys", "revoke", key_id]) == 4


def test_audit_verify_and_tail(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--data", data, "keys", "create", "--role", "admin"])
    assert main(["--data", data, "audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out
    assert main(["--data", data, "audit", "tail", "--format", "json"]) == 0
    assert "key.create" in capsys.readouterr().out
    db = Database(data)
    with db.store.begin() as conn:
        conn.exec_driver_sql("UPDATE thermo_audit SET actor = 'x' WHERE seq = 1")
    db.close()
    assert main(["--data", data, "audit", "verify"]) == 1
    assert "broken at entry 1" in capsys.readouterr().out


def test_domains(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data", data, "domains", "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert "/mcp/users" in out and "/mcp/messages" in out


def test_serve_refuses_public_bind_without_auth(
    data: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data", data, "serve", "--host", "0.0.0.0", "--no-auth"]) == 2
    assert main(["--data", data, "serve", "--host", "0.0.0.0"]) == 2
    assert "no authentication is configured" in capsys.readouterr().err


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["serve"], ["mcp"], ["domains"], ["keys", "create"], ["keys", "list"],
                 ["keys", "revoke"], ["audit", "verify"], ["audit", "tail"]):  # fmt: skip
        assert main([*args, "--help"]) == 0
        assert len(capsys.readouterr().out) > 100


def test_reads_in_a_folder_without_data_do_not_create_it(tmp_path: Path) -> None:
    data = tmp_path / "thermodb-data"
    for args in (["collections"], ["sql", "SELECT 1"], ["keys", "list"], ["audit", "verify"]):
        r = run_cli(*args, data=data)
        assert r.returncode == 4, (args, r.stdout, r.stderr)
        assert "no thermodb data" in r.stderr
        assert not data.exists()


def test_version_and_flag_help(tmp_path: Path) -> None:
    from thermodb import __version__

    r = run_cli("--version", data=tmp_path / "d")
    assert r.returncode == 0 and r.stdout.strip() == f"thermodb {__version__}"
    r = run_cli("serve", "--help", data=tmp_path / "d")
    assert "<bool>" not in r.stdout and "--no-auth" in r.stdout


def test_keys_create_json(tmp_path: Path) -> None:
    import json

    data = tmp_path / "d"
    r = run_cli("keys", "create", "--role", "reader", "--format", "json", data=data)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["key"].startswith("tdb_") and out["role"] == "reader" and out["id"]
