"""`keys`, `audit`, `domains` and `serve`'s refusal to expose an unauthenticated server."""

from __future__ import annotations

from pathlib import Path

import pytest
from gateway_env import seed

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
