"""Publishing the cold tier as Iceberg tables, read back by engines that are not thermodb."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from readers import (
    daft_answers,
    data_files,
    duckdb_answers,
    iceberg_answers,
    load_table,
    thermodb_answers,
)

from thermodb.cli.app import main
from thermodb.database import Database
from thermodb.errors import NotFoundError, StorageError
from thermodb.lakehouse import publish, publish_all

BASE = datetime(2025, 1, 1, tzinfo=UTC)
FAR = datetime.now(UTC) + timedelta(days=3650)
"""A pass at this time finds every window old and quiet: everything goes cold."""


def events(n: int, *, start: int = 0, value: Any = None) -> list[dict[str, Any]]:
    """Keyed hourly events over several daily windows."""
    return [
        {
            "id": i,
            "ts": (BASE + timedelta(hours=i)).isoformat(),
            "level": "error" if i % 5 == 0 else "info",
            "ms": i % 7 if value is None else value,
            "ok": i % 3 == 0,
            "ctx": {"host": f"h{i % 3}"},
        }
        for i in range(start, start + n)
    ]


def ingest(db: Database, records: list[dict[str, Any]]) -> None:
    """Ingest into logs with one segment per daily window (24 events: not merged)."""
    db.ingest(records, collection="logs")
    db.thermal.set_policy("logs", segment_rows=24)


def same_answers(db: Database, collection: str) -> list[Any]:
    """thermodb's answers, asserted equal to pyiceberg's, DuckDB's and Daft's."""
    expected = thermodb_answers(db, collection)
    assert iceberg_answers(db, collection) == expected
    assert duckdb_answers(db, collection) == expected
    assert daft_answers(db, collection) == expected
    return expected


def all_cold(db: Database, *collections: str) -> None:
    """Migrate as if years later: every window of these collections (default: all) goes cold."""
    report = db.migrate(FAR)
    assert report.failed == []
    rows = [r for r in db.tiers() if not collections or r["collection"] in collections]
    assert rows and all(row["warm_rows"] == 0 for row in rows), rows


def test_publish_references_segments_in_place_and_engines_agree(lake_db: Database) -> None:
    db = lake_db
    ingest(db, events(120))
    all_cold(db)
    report = publish(db, "logs")
    segments = db.thermal.segments.segments("logs")
    assert report.changed and report.generation
    assert (report.segments, report.rows, report.referenced) == (len(segments), 120, 5)
    assert report.copied == []
    # the table names the segment files themselves: nothing was copied
    assert data_files(db, "logs") == sorted(
        f"file://{db.thermal.cold.full(s.location)}" for s in segments
    )
    answers = same_answers(db, "logs")
    assert answers[0] == 120
    again = publish(db, "logs")
    assert not again.changed and again.snapshot_id == report.snapshot_id
    assert again.metadata_location == report.metadata_location


def test_publish_follows_promotions_writes_and_deletes(lake_db: Database) -> None:
    db = lake_db
    ingest(db, events(96))
    all_cold(db)
    first = publish(db, "logs")
    # a write to a cold key and a delete hide rows of segments: those get conformed copies
    ingest(db, [{**events(1, start=7)[0], "ms": 1000}])
    assert db.delete("logs", 30) is True
    all_cold(db)
    second = publish(db, "logs")
    assert second.changed and not second.generation
    assert len(second.copied) == 2 and all(
        "hidden" in " ".join(c["reasons"]) for c in second.copied
    )
    assert second.snapshot_id != first.snapshot_id
    answers = same_answers(db, "logs")
    assert answers[0] == 95
    # a promoted segment leaves the table (its rows are warm again)
    segment = db.thermal.segments.segments("logs")[-1]
    db.thermal.migrator.promote(db.collection("logs"), segment.id, FAR)
    third = publish(db, "logs")
    assert third.files_removed == 1 and third.segments == second.segments - 1
    assert load_table(db, "logs").scan().to_arrow().num_rows == db.thermal.cold_rows("logs")


def test_a_widened_column_gets_a_new_generation_with_converted_copies(
    lake_db: Database,
) -> None:
    db = lake_db
    ingest(db, events(48))
    all_cold(db)
    before = publish(db, "logs")
    table = load_table(db, "logs")
    assert str(table.schema().find_field("ms").field_type) == "long"
    ingest(db, events(24, start=48, value=2.5))  # int → float
    all_cold(db)
    floats = publish(db, "logs")
    assert floats.generation and floats.metadata_location != before.metadata_location
    assert str(load_table(db, "logs").schema().find_field("ms").field_type) == "double"
    assert same_answers(db, "logs")[0] == 72
    ingest(db, events(24, start=72, value="slow"))  # → text
    all_cold(db)
    after = publish(db, "logs")
    assert after.generation
    table = load_table(db, "logs")
    assert str(table.schema().find_field("ms").field_type) == "string"
    reasons = " ".join(r for c in after.copied for r in c["reasons"])
    assert "ms is int in the segment, text now" in reasons
    assert "ms is float in the segment, text now" in reasons
    values = set(table.scan().to_arrow().column("ms").to_pylist())
    thermo = {db.get("logs", k)["ms"] for k in range(96)}
    assert values == thermo and "2.5" in values and "slow" in values
    assert table.scan().to_arrow().num_rows == 96


def test_a_failed_publish_leaves_the_previous_snapshot(sqlite_lake_db: Database) -> None:
    db = sqlite_lake_db
    ingest(db, events(48))
    all_cold(db)
    published = publish(db, "logs")
    files = data_files(db, "logs")
    db.delete("logs", 3)
    ingest(db, events(24, start=48, value=0.5))
    all_cold(db)

    def crash_at(step: str) -> Any:
        def checkpoint(at: str) -> None:
            if at == step:
                raise RuntimeError(f"crash at {step}")

        return checkpoint

    for step in ("copies-written", "before-commit", "before-swap"):
        with pytest.raises(RuntimeError, match=step):
            publish(db, "logs", checkpoint=crash_at(step))
        table = load_table(db, "logs")
        assert table.metadata_location == published.metadata_location, step
        assert data_files(db, "logs") == files
        assert table.scan().to_arrow().num_rows == 48
    done = publish(db, "logs")
    assert done.changed and done.generation
    assert load_table(db, "logs").scan().to_arrow().num_rows == 71
    assert same_answers(db, "logs")[0] == 71
    # a crashed attempt's staging table is left alone while it could still be running...
    assert len(_tables(db)) == 2
    # ...and forgotten once it is old; copies the table does not name are gone
    assert not publish(db, "logs", now=datetime.now(UTC) + timedelta(hours=1)).changed
    assert [n for _, n in _tables(db)] == ["logs"]
    copies = [f for f in db_lake_files(db) if "/data/" in f]
    named = {f.removeprefix("file://") for f in data_files(db, "logs")}
    assert set(copies) <= named


def test_publish_all_and_unknown_collections(sqlite_lake_db: Database) -> None:
    db = sqlite_lake_db
    ingest(db, events(24))
    db.ingest([{"sku": "a", "price": 3}], collection="products")
    assert publish_all(db) == []  # nothing is cold yet
    all_cold(db, "logs")  # products has no time field: it stays warm
    assert [r.collection for r in publish_all(db)] == ["logs"]
    with pytest.raises(NotFoundError):
        publish(db, "nope")
    db.drop("logs")  # a dropped collection's table leaves the catalog too
    assert [(r.collection, r.dropped) for r in publish_all(db)] == [("logs", True)]
    assert _tables(db) == [] and publish_all(db) == []


def test_cli_publishes(
    sqlite_lake_db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = sqlite_lake_db
    ingest(db, events(48))
    all_cold(db)
    data = tmp_path / "data"
    db.close()
    assert main(["--data", str(data), "tiers", "publish", "--format", "json"]) == 0
    reports = json.loads(capsys.readouterr().out)
    assert [(r["table"], r["changed"], r["rows"]) for r in reports] == [("thermodb.logs", True, 48)]
    assert main(["--data", str(data), "tiers", "publish", "logs"]) == 0
    out = capsys.readouterr().out
    assert "thermodb.logs" in out and "no" in out
    assert main(["--data", str(data), "tiers", "publish", "nope"]) == 4
    assert "nope" in capsys.readouterr().err


def test_dev_set_fully_cold_reads_the_same_everywhere(
    dev_set: Path, sqlite_lake_db: Database
) -> None:
    db = sqlite_lake_db
    manifest = json.loads((dev_set / "manifest.json").read_text())
    for name, file in manifest["collections"].items():
        db.ingest(str(dev_set / file), collection=name)
    all_cold(db)
    reports = {r.collection: r for r in publish_all(db)}
    cold = {s.collection for s in db.thermal.segments.segments()}
    assert set(reports) == cold and cold
    for name in sorted(cold):
        answers = same_answers(db, name)
        assert answers[0] == db.count(name) == reports[name].rows


def _tables(db: Database) -> list[tuple[str, str]]:
    from thermodb.lakehouse import NAMESPACE, open_catalog

    catalog = open_catalog(db)
    try:
        return list(catalog.list_tables(NAMESPACE))
    finally:
        catalog.engine.dispose()


def db_lake_files(db: Database) -> list[str]:
    from thermodb.lakehouse.layout import Lake

    lake = Lake.beside(db.thermal.cold)
    return [lake.store.full(location) for location in lake.store.files()]


def test_publish_on_s3_reads_back_through_the_s3_file_io(tmp_path: Path) -> None:
    """The cold store on S3 (a moto server on loopback): segments referenced as s3:// URIs."""
    moto_server = pytest.importorskip("moto.server")
    import socket

    import boto3

    from thermodb.config import load_settings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        ).create_bucket(Bucket="lake")
        settings = load_settings(
            tmp_path / "data",
            environ={
                "THERMODB_COLD": "s3://lake/cold",
                "THERMODB_S3__ENDPOINT": endpoint,
                "THERMODB_S3__REGION": "us-east-1",
                "THERMODB_S3__ACCESS_KEY_ID": "testing",
                "THERMODB_S3__SECRET_ACCESS_KEY": "testing",
            },
        )
        with Database(tmp_path / "data", settings) as db:
            ingest(db, events(48))
            all_cold(db)
            db.delete("logs", 5)
            report = publish(db, "logs")
            assert report.changed and report.referenced == 1 and len(report.copied) == 1
            files = data_files(db, "logs")
            assert all(f.startswith("s3://lake/cold/") for f in files), files
            assert any("/_lakehouse/" in f for f in files)
            table = load_table(db, "logs").scan().to_arrow()
            assert table.num_rows == 47 == db.count("logs")
            assert sorted(table.column("id").to_pylist()) == [i for i in range(48) if i != 5]
            assert not publish(db, "logs").changed
            # the S3 endpoint unreachable: a clear error, the published snapshot unchanged
            db.delete("logs", 30)
            server.stop()
            with pytest.raises(StorageError, match="cannot publish 'logs'"):
                publish(db, "logs")
            server = moto_server.ThreadedMotoServer(
                ip_address="127.0.0.1", port=port, verbose=False
            )
            server.start()
            assert load_table(db, "logs").metadata_location == report.metadata_location
            assert publish(db, "logs").changed
            assert load_table(db, "logs").scan().to_arrow().num_rows == 46
    finally:
        server.stop()
