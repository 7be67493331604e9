"""The hot tier: byte-bounded W-TinyLFU, Redis, and caches that are never stale."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from tierdata import LATER, events, redis_problem

from services import service_missing
from thermodb.database import Database
from thermodb.storage.cache import MemoryCache, RedisCache


def test_memory_cache_never_holds_more_bytes_than_its_capacity() -> None:
    cache = MemoryCache(10_000)
    for i in range(2_000):
        cache.put(f"k{i}", b"x" * (i % 300 + 1))
        assert cache.stats().bytes <= 10_000
    assert cache.stats().entries > 10
    cache.put("huge", b"x" * 20_000)
    assert cache.get("huge") is None and cache.stats().rejected > 0


def test_a_scan_does_not_evict_the_working_set() -> None:
    cache = MemoryCache(100 * 100)
    hot = [f"hot{i}" for i in range(50)]
    for _ in range(5):
        for key in hot:
            if cache.get(key) is None:
                cache.put(key, b"v" * 100)
    for i in range(5_000):  # one-off keys, many times the cache size
        cache.put(f"scan{i}", b"s" * 100)
    kept = sum(key in cache for key in hot)
    assert kept >= 45, f"only {kept} of 50 hot keys survived the scan"


def test_hit_rate_is_counted() -> None:
    cache = MemoryCache(10_000)
    cache.put("a", b"1")
    assert cache.get("a") == b"1" and cache.get("b") is None
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.hit_rate) == (1, 1, 0.5)


def test_record_cache_sees_writes_and_moves(tdb: Database) -> None:
    tdb.ingest(events(24), collection="logs")
    assert tdb.get("logs", 3)["level"] == "info"
    hits = tdb.thermal.cache.stats().hits
    assert tdb.get("logs", 3)["level"] == "info"
    assert tdb.thermal.cache.stats().hits == hits + 1
    tdb.ingest([{**events(1, start=3)[0], "level": "new"}], collection="logs")
    assert tdb.get("logs", 3)["level"] == "new"
    tdb.migrate(LATER)
    assert tdb.get("logs", 3)["level"] == "new"
    assert tdb.delete("logs", 3) is True
    assert tdb.get("logs", 3) is None


def test_result_cache_is_invalidated_by_a_write_and_by_a_move(tdb: Database) -> None:
    tdb.ingest(events(24), collection="logs")
    calls: list[int] = []

    def count() -> int:
        calls.append(1)
        return tdb.count("logs")

    spec = '{"collection":"logs","aggregates":[{"fn":"count"}]}'
    assert tdb.thermal.cached_result(spec, ["logs"], count) == (24, False)
    assert tdb.thermal.cached_result(spec, ["logs"], count) == (24, True)
    tdb.ingest(events(1, start=100), collection="logs")
    assert tdb.thermal.cached_result(spec, ["logs"], count) == (25, False)
    key_before_move = tdb.thermal.result_key(spec, ["logs"])
    tdb.migrate(LATER)
    assert tdb.thermal.result_key(spec, ["logs"]) != key_before_move
    assert tdb.thermal.cached_result(spec, ["logs"], count) == (25, False)
    assert len(calls) == 3


@pytest.fixture
def redis_url() -> Iterator[str]:
    problem = redis_problem()
    if problem:
        service_missing("Redis", problem)
    yield "redis://127.0.0.1:6379/0"


def test_redis_cache_round_trip_and_hit_rate(redis_url: str) -> None:
    cache = RedisCache(redis_url, prefix=f"thermotest:{uuid.uuid4().hex}:")
    try:
        assert cache.get("a") is None
        cache.put("a", b"value")
        assert cache.get("a") == b"value"
        assert cache.stats().hit_rate == 0.5
    finally:
        cache.clear()


def test_database_with_redis_cache(
    redis_url: str, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import thermodb

    monkeypatch.setenv("THERMODB_CACHE", redis_url)
    with thermodb.open(f"{tmp_path}/data") as db:
        assert db.thermal.cache.kind == "redis"
        db.ingest(events(5), collection="logs")
        first = db.get("logs", 2)
        assert db.get("logs", 2) == first
        assert db.thermal.cache.stats().hits >= 1
        db.ingest([{**events(1, start=2)[0], "level": "changed"}], collection="logs")
        assert db.get("logs", 2)["level"] == "changed"
