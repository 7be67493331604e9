"""Backups to S3-compatible storage: a moto server on loopback, started here."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from thermodb.config import Settings, load_settings
from thermodb.database import Database
from thermodb.lifecycle import restore_backup, take_backup, verify_backup
from thermodb.lifecycle.destination import Destination

BUCKET = "thermo-backups"
BASE = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def endpoint() -> Iterator[str]:
    pytest.importorskip("moto.server")
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    import boto3

    boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


def s3_settings(target: Path, endpoint: str) -> Settings:
    return load_settings(
        target,
        environ={
            "THERMODB_COLD": f"file://{target.parent / (target.name + '-cold')}",
            "THERMODB_S3__ENDPOINT": endpoint,
            "THERMODB_S3__REGION": "us-east-1",
            "THERMODB_S3__ACCESS_KEY_ID": "testing",
            "THERMODB_S3__SECRET_ACCESS_KEY": "testing",
        },
    )


def test_backup_to_s3_verifies_and_restores(tmp_path: Path, endpoint: str) -> None:
    source = tmp_path / "data"
    settings = s3_settings(source, endpoint)
    dest = f"s3://{BUCKET}/nightly"
    with Database(source, settings) as db:
        logs = [{"id": i, "ts": (BASE + timedelta(hours=i)).isoformat(), "v": i} for i in range(48)]
        db.ingest(logs, collection="logs")
        db.migrate(datetime.now(UTC) + timedelta(days=2))
        db.ingest([{"id": 1, "name": "ann"}], collection="users", key="id")
        first = take_backup(db, dest)
        second = take_backup(db, dest)
        cold = len(db.thermal.segments.segments("logs"))
    assert cold >= 1 and first.segments_copied == cold and second.segments_reused == cold
    folder = Destination(dest, settings)
    assert folder.folders() == sorted([first.id, second.id, "segments"])
    assert not folder.store.local

    check = verify_backup(dest, settings=settings)
    assert check.ok, check.problems
    assert check.collections["logs"]["rows"] == 48

    target = tmp_path / "restored"
    restored = restore_backup(dest, target, settings=s3_settings(target, endpoint))
    assert restored.collections["users"]["rows"] == 1
    with Database(target, s3_settings(target, endpoint)) as copy:
        assert copy.count("logs") == 48 and copy.get("users", 1) == {"id": 1, "name": "ann"}

    snapshot = f"{second.id}/operational.db"
    data = bytearray(folder.read(snapshot))
    data[-1] ^= 0x10
    folder.write(snapshot, bytes(data))
    damaged = verify_backup(dest, settings=settings)
    assert not damaged.ok and snapshot in damaged.problems[0]
