"""Cold segments in S3-compatible storage: a moto server on loopback, started here."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from tierdata import LATER, all_keys, events, stored

from thermodb.config import load_settings
from thermodb.database import Database

BUCKET = "thermo-cold"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Moto:
    """A moto S3 server that can be stopped and started again on the same port."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self.port = _free_port()
        self._cls = ThreadedMotoServer
        self.server = self._cls(ip_address="127.0.0.1", port=self.port, verbose=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()
        self.server = self._cls(ip_address="127.0.0.1", port=self.port, verbose=False)


@pytest.fixture
def moto() -> Iterator[Moto]:
    pytest.importorskip("moto.server")
    server = Moto()
    server.start()
    import boto3

    boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)
    yield server
    server.server.stop()


@pytest.fixture
def s3_db(moto: Moto, tmp_path: Path) -> Iterator[Database]:
    settings = load_settings(
        tmp_path / "data",
        environ={
            "THERMODB_COLD": f"s3://{BUCKET}/segments",
            "THERMODB_S3__ENDPOINT": moto.endpoint,
            "THERMODB_S3__REGION": "us-east-1",
            "THERMODB_S3__ACCESS_KEY_ID": "testing",
            "THERMODB_S3__SECRET_ACCESS_KEY": "testing",
            "THERMODB_SEGMENT_ROWS": "24",  # one segment per daily window, as asserted
        },
    )
    database = Database(tmp_path / "data", settings)
    yield database
    database.close()


def test_demote_get_and_promote_through_s3(s3_db: Database) -> None:
    s3_db.ingest(events(48), collection="logs")
    expected = stored(s3_db, "logs")
    assert s3_db.migrate(LATER).rows_moved == 48
    files = list(s3_db.thermal.cold.files())
    assert len(files) == 2 and all(f.startswith("logs/") for f in files)
    assert not s3_db.thermal.cold.local
    assert s3_db.get("logs", 30) == expected[30]
    assert stored(s3_db, "logs") == expected
    seg = s3_db.thermal.segments.segments("logs")[0]
    s3_db.thermal.migrator.promote(s3_db.collection("logs"), seg.id, LATER)
    assert len(list(s3_db.thermal.cold.files())) == 1
    assert stored(s3_db, "logs") == expected


def test_object_store_unreachable_mid_move(s3_db: Database, moto: Moto) -> None:
    s3_db.ingest(events(24), collection="logs")
    expected = stored(s3_db, "logs")

    def outage(step: str) -> None:
        if step == "demote:written":
            moto.stop()

    s3_db.thermal.migrator.checkpoint = outage
    report = s3_db.migrate(LATER)
    assert report.done == [] and len(report.failed) == 1
    assert all_keys(s3_db, "logs") == list(range(24))  # still warm, nothing lost
    assert s3_db.thermal.segments.segments("logs") == []
    assert s3_db.get("logs", 5) == expected[5]

    moto.start()
    s3_db.thermal.migrator.checkpoint = lambda step: None
    report = s3_db.migrate(LATER)
    assert report.rows_moved == 24
    assert stored(s3_db, "logs") == expected
    live = {s.location for s in s3_db.thermal.segments.segments("logs")}
    assert set(s3_db.thermal.cold.files()) == live  # the temp file of the failed move is gone


@pytest.mark.postgres
def test_postgres_with_s3_and_redis_moves_both_ways(
    moto: Moto, pg_url: str, tmp_path: Path
) -> None:
    """The CI topology: PostgreSQL operational store, S3-compatible cold, Redis hot."""
    from tierdata import redis_problem

    from services import service_missing

    problem = redis_problem()
    if problem:
        service_missing("Redis", problem)
    settings = load_settings(
        pg_url,
        environ={
            "THERMODB_DATA_DIR": str(tmp_path / "data"),
            "THERMODB_COLD": f"s3://{BUCKET}/pg",
            "THERMODB_CACHE": "redis://127.0.0.1:6379/0",
            "THERMODB_S3__ENDPOINT": moto.endpoint,
            "THERMODB_S3__REGION": "us-east-1",
            "THERMODB_S3__ACCESS_KEY_ID": "testing",
            "THERMODB_S3__SECRET_ACCESS_KEY": "testing",
            "THERMODB_SEGMENT_ROWS": "24",  # one segment per daily window, as asserted
        },
    )
    with Database(pg_url, settings) as db:
        assert (db.store.dialect, db.thermal.cache.kind, db.thermal.cold.local) == (
            "postgresql",
            "redis",
            False,
        )
        db.ingest(events(48), collection="logs")
        expected = stored(db, "logs")
        spec = {
            "collection": "logs",
            "group_by": [{"field": "level"}],
            "aggregates": [{"fn": "count"}, {"fn": "percentile", "field": "ms", "q": 0.5}],
            "order": [{"field": "level"}],
        }
        answer = db.query(spec).rows
        assert db.migrate(LATER).rows_moved == 48
        assert stored(db, "logs") == expected and db.query(spec).rows == answer
        db.thermal.clock = lambda: LATER
        for _ in range(6):
            db.thermal.cache.clear()
            assert db.get("logs", 3) == expected[3]
        assert [d["kind"] for d in db.migrate(LATER).done] == ["promote"]
        assert stored(db, "logs") == expected and db.query(spec).rows == answer
        db.thermal.cache.clear()
