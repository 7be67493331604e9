"""The skip-or-fail rule for tests that need a server (importable from any test folder).

Without the server a test skips with the reason; with THERMODB_REQUIRE_SERVICES=1 (as
.ci/run sets) it fails instead, so CI can never pass by skipping it.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE_SERVICES = os.environ.get("THERMODB_REQUIRE_SERVICES") == "1"


def service_missing(name: str, reason: str) -> NoReturn:
    """Skip (on a user's machine) or fail (in CI) a test whose server is absent."""
    message = f"{name} is not reachable: {reason}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (THERMODB_REQUIRE_SERVICES=1: CI must run these tests)")
    pytest.skip(message)


NATS_URL = os.environ.get("THERMODB_TEST_NATS_URL", "nats://127.0.0.1:4222")
REDIS_URL = os.environ.get("THERMODB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def nats_url_or_skip() -> str:
    """The test NATS server's URL, once it is known to run JetStream (else skip or fail)."""
    import socket
    from urllib.parse import urlsplit

    try:
        import nats  # noqa: F401
    except ImportError:
        service_missing("NATS", "nats-py is not installed (pip install 'thermodb[events]')")
    parts = urlsplit(NATS_URL)
    try:
        with socket.create_connection((parts.hostname, parts.port or 4222), timeout=2) as s:
            info = s.recv(4096)
    except OSError as exc:
        service_missing("NATS", f"{NATS_URL}: {exc}")
    if b'"jetstream":true' not in info:
        service_missing("NATS", f"{NATS_URL} runs without JetStream (start it with -js)")
    return NATS_URL


def redis_url_or_skip() -> str:
    """The test Redis server's URL, once it answers (else skip or fail)."""
    try:
        import redis
    except ImportError:
        service_missing("Redis", "the redis client is not installed")
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
        client.close()
    except redis.RedisError as exc:
        service_missing("Redis", str(exc))
    return REDIS_URL
