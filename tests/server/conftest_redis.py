"""Redis for the shared rate-limit tests (skips, or fails in CI, when it is absent)."""

from __future__ import annotations

import os

from services import service_missing

REDIS_URL = os.environ.get("THERMODB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_url_or_skip() -> str:
    try:
        import redis
    except ImportError:
        service_missing("Redis", "the redis client is not installed")
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
        for key in client.scan_iter("thermodb:rl:*"):
            client.delete(key)
        client.close()
    except redis.RedisError as exc:
        service_missing("Redis", str(exc))
    return REDIS_URL
