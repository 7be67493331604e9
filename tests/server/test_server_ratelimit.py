"""Token-bucket rate limits: 429 with Retry-After, shared through Redis, fail open/closed."""

from __future__ import annotations

import uuid

import pytest
from conftest_redis import redis_url_or_skip
from fastapi.testclient import TestClient
from gateway_env import make_env, security_config

from thermodb.database import Database
from thermodb.errors import StorageError
from thermodb.security.config import RateLimit, SecurityConfig
from thermodb.security.ratelimit import RateLimiter
from thermodb.server import create_app

TIGHT = {k: RateLimit(per_second=0.01, burst=3) for k in ("read", "query", "write", "admin")}


def test_local_bucket_429_with_headers(sqlite_db: Database) -> None:
    env = make_env(sqlite_db, security_config(rate_limits=TIGHT))
    with env.client:
        codes = [env.client.get("/v1/collections", headers=env.h("admin")) for _ in range(4)]
    assert [r.status_code for r in codes] == [200, 200, 200, 429]
    assert [r.headers["RateLimit-Remaining"] for r in codes[:3]] == ["2", "1", "0"]
    last = codes[-1]
    assert int(last.headers["Retry-After"]) >= 1
    assert last.headers["content-type"] == "application/problem+json"
    # another key has its own bucket
    with env.client:
        assert env.client.get("/v1/collections", headers=env.h("reader")).status_code == 200


def test_redis_shared_between_two_app_instances(sqlite_db: Database) -> None:
    url = redis_url_or_skip()
    prefix_limits = {
        k: RateLimit(per_second=0.01, burst=4) for k in ("read", "query", "write", "admin")
    }
    config = security_config(rate_limits=prefix_limits, redis_url=url)
    env = make_env(sqlite_db, config)
    second = create_app(sqlite_db, config)
    key = env.keys["admin"]
    # a unique key id per run keeps buckets of earlier runs out of the way
    with env.client, TestClient(second, base_url="http://127.0.0.1:8765") as other:
        h = {"Authorization": f"Bearer {key}"}
        statuses = []
        for i in range(6):
            client = env.client if i % 2 == 0 else other
            statuses.append(client.get("/v1/collections", headers=h).status_code)
    assert statuses == [200, 200, 200, 200, 429, 429]


def test_fail_open_and_fail_closed_when_redis_is_down() -> None:
    down = "redis://127.0.0.1:1/0"
    opened = RateLimiter(SecurityConfig(redis_url=down, rate_limit_fail="open"))
    state = opened.hit(f"k{uuid.uuid4().hex}", "read")
    assert state.allowed and opened.backend_errors == 1
    closed = RateLimiter(SecurityConfig(redis_url=down, rate_limit_fail="closed"))
    with pytest.raises(StorageError):
        closed.hit("k", "read")
