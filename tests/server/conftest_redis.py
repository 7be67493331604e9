"""Redis for the shared rate-limit tests (skips, or fails in CI, when it is absent)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import NoReturn

_spec = importlib.util.spec_from_file_location(
    "thermodb_tests_root_conftest", Path(__file__).parents[1] / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_root = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_root)


def service_missing(name: str, reason: str) -> NoReturn:
    """The repository-wide skip-or-fail rule (tests/conftest.py)."""
    _root.service_missing(name, reason)
    raise AssertionError("unreachable")


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
