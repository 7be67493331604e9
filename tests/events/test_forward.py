"""Forwarders against the machine's real NATS JetStream and Redis, a SIGKILL included."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from brokers import drop_nats_stream, nats_count, nats_messages

import thermodb
from services import nats_url_or_skip, redis_url_or_skip
from thermodb.database import Database
from thermodb.errors import ConfigError, StorageError
from thermodb.events.forward import Forwarder, open_sink


@pytest.fixture
def nats_stream() -> Iterator[tuple[str, str, str]]:
    """(url, stream, subject prefix) of a fresh JetStream stream, deleted afterwards."""
    url = nats_url_or_skip()
    tag = uuid.uuid4().hex[:10]
    stream, prefix = f"TEST_{tag}", f"test_{tag}"
    yield url, stream, prefix
    drop_nats_stream(url, stream)


@pytest.fixture
def redis_stream() -> Iterator[tuple[str, str]]:
    import redis

    url = redis_url_or_skip()
    key = f"thermodb:test:{uuid.uuid4().hex[:10]}"
    yield url, key
    client = redis.Redis.from_url(url)
    client.delete(key)
    client.close()


def fill(db: Database, n: int) -> int:
    db.ingest([{"id": i, "name": f"n{i}", "tags": [i % 3]} for i in range(n)], collection="p")
    return db.events.last_id()


def test_nats_gets_every_event_once_with_its_id_as_message_id(
    db: Database, nats_stream: tuple[str, str, str]
) -> None:
    url, stream, prefix = nats_stream
    total = fill(db, 3000)
    sink = open_sink(url, stream=stream, prefix=prefix)
    try:
        report = Forwarder(db.events, sink, consumer="nats", batch=700).run(once=True)
        assert (report.forwarded, report.duplicates, report.position) == (total, 0, total)
        assert db.events.position("nats") == total
        db.events.commit("nats", 0)  # as if every acknowledgement had been lost
        again = Forwarder(db.events, sink, consumer="nats", batch=700).run(once=True)
        assert (again.forwarded, again.duplicates) == (total, total)
    finally:
        sink.close()
    messages = nats_messages(url, stream, prefix)
    assert [int(msg_id) for msg_id, _ in messages] == list(range(1, total + 1))
    assert all(int(msg_id) == event["id"] for msg_id, event in messages)
    first_row = messages[1][1]
    assert first_row["op"] == "upsert" and first_row["payload"] == {
        "id": 0,
        "name": "n0",
        "tags": [0],
    }


def test_redis_gets_every_event_once(db: Database, redis_stream: tuple[str, str]) -> None:
    import orjson
    import redis

    url, key = redis_stream
    total = fill(db, 2000)
    sink = open_sink(url, stream=key)
    try:
        assert Forwarder(db.events, sink, consumer="r", batch=600).run(once=True).forwarded == total
        db.events.commit("r", 1000)
        again = Forwarder(db.events, sink, consumer="r", batch=600).run(once=True)
        assert again.duplicates == total - 1000
    finally:
        sink.close()
    client = redis.Redis.from_url(url)
    entries = client.xrange(key)
    client.close()
    assert [e[0] for e in entries] == [f"{i}-0".encode() for i in range(1, total + 1)]
    assert orjson.loads(entries[5][1][b"event"])["id"] == 6


def _forwarder(data: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "thermodb", "--data", data, "events", "forward", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill_when(process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 90
    while not ready():
        if process.poll() is not None:
            raise AssertionError(f"the forwarder ended early: {process.stderr.read()!r}")  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the forwarder never started publishing")
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    if process.stderr is not None:
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL


def test_a_nats_forwarder_killed_mid_batch_duplicates_nothing(
    tmp_path: Path, nats_stream: tuple[str, str, str]
) -> None:
    url, stream, prefix = nats_stream
    data = str(tmp_path / "data")
    db = thermodb.open(data)
    total = fill(db, 30_000)
    db.close()
    args = ("--to", url, "--stream", stream, "--prefix", prefix, "--consumer", "k")
    process = _forwarder(data, *args, "--batch", "25000")
    _kill_when(process, lambda: nats_count(url, stream) >= 300)
    at_kill = nats_count(url, stream)
    db = thermodb.open(data)
    try:
        cursor = db.events.position("k")
        assert cursor < at_kill < total  # killed after publishing part of an unacknowledged batch
        restarted = subprocess.run(
            [sys.executable, "-m", "thermodb", "--data", data, "events", "forward", *args,
             "--once", "--format", "json"],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        import orjson

        report = orjson.loads(restarted.stdout)
        assert report["position"] == total and db.events.position("k") == total
        assert report["duplicates"] >= at_kill - cursor  # re-sent, and dropped by JetStream
    finally:
        db.close()
    ids = [int(msg_id) for msg_id, _ in nats_messages(url, stream, prefix)]
    assert ids == list(range(1, total + 1))  # every event once, in order


def test_a_redis_forwarder_killed_mid_batch_duplicates_nothing(
    tmp_path: Path, redis_stream: tuple[str, str]
) -> None:
    import redis

    url, key = redis_stream
    data = str(tmp_path / "data")
    db = thermodb.open(data)
    total = fill(db, 30_000)
    db.close()
    client = redis.Redis.from_url(url)
    args = ("--to", url, "--stream", key, "--consumer", "k")
    process = _forwarder(data, *args, "--batch", "25000")
    _kill_when(process, lambda: client.xlen(key) >= 1)
    at_kill = client.xlen(key)
    db = thermodb.open(data)
    try:
        assert db.events.position("k") < at_kill < total or at_kill == 25_000
        report = Forwarder(db.events, open_sink(url, stream=key), consumer="k").run(once=True)
        assert report.position == total
    finally:
        db.close()
    entries = client.xrange(key)
    client.close()
    assert [e[0] for e in entries] == [f"{i}-0".encode() for i in range(1, total + 1)]


def test_broker_errors_are_clear(db: Database) -> None:
    with pytest.raises(ConfigError, match="cannot forward"):
        open_sink("kafka://127.0.0.1:9092")
    with pytest.raises(StorageError, match="cannot reach NATS"):
        open_sink("nats://127.0.0.1:1")
    with pytest.raises(StorageError, match="cannot reach Redis"):
        open_sink("redis://127.0.0.1:1/0")
