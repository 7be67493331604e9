"""Token-bucket rate limits per caller and route class, in-process or shared via Redis.

Each (caller, class) pair has a bucket of ``burst`` tokens refilled at ``per_second``; a
request takes one. In-process buckets suit one worker; with ``redis_url`` the bucket lives
in Redis (one Lua script, so the read-refill-take is atomic) and every worker agrees.

When Redis is unreachable the limiter follows ``rate_limit_fail``: ``open`` lets the request
through (rate limits protect capacity; authentication and grants are still enforced, so
failing open never widens access), ``closed`` raises StorageError (503).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from thermodb.errors import ConfigError, RateLimitedError, StorageError
from thermodb.security.config import RateLimit, SecurityConfig

__all__ = ["LocalBuckets", "RateLimiter", "RateState", "RedisBuckets"]


@dataclass(frozen=True)
class RateState:
    """What the ``RateLimit-*`` headers say after a request took (or failed to take) a token."""

    limit: int
    remaining: int
    reset_s: int
    """Seconds until the bucket is full again."""
    allowed: bool = True
    retry_after_s: int = 0

    def headers(self) -> dict[str, str]:
        out = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_s),
        }
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after_s)
        return out


class Buckets(Protocol):
    def take(self, key: str, rule: RateLimit) -> tuple[bool, float]:
        """Take a token: (allowed, tokens left after the attempt)."""
        ...


class LocalBuckets:
    """Buckets in this process's memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, float]] = {}

    def take(self, key: str, rule: RateLimit) -> tuple[bool, float]:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._state.get(key, (float(rule.burst), now))
            tokens = min(float(rule.burst), tokens + (now - last) * rule.per_second)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            if len(self._state) > 100_000:
                self._state.clear()
            self._state[key] = (tokens, now)
        return allowed, tokens


_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return {allowed, tostring(tokens)}
"""


class RedisBuckets:
    """Buckets in Redis, shared by every worker and server that uses the same URL."""

    def __init__(self, url: str, prefix: str = "thermodb:rl:") -> None:
        try:
            import redis
        except ImportError as exc:
            raise ConfigError(
                "shared rate limits need the redis client", hint="pip install 'thermodb[redis]'"
            ) from exc
        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script: Any = self._redis.register_script(_LUA)
        self.prefix = prefix

    def take(self, key: str, rule: RateLimit) -> tuple[bool, float]:
        import redis

        try:
            allowed, tokens = self._script(
                keys=[self.prefix + key], args=[rule.per_second, rule.burst]
            )
        except redis.RedisError as exc:
            raise StorageError(f"the rate-limit store is unreachable: {exc}") from exc
        return bool(int(allowed)), float(tokens)


class RateLimiter:
    """Applies the configured limit of a route class to a caller."""

    def __init__(self, config: SecurityConfig) -> None:
        self.config = config
        self.buckets: Buckets = (
            RedisBuckets(config.redis_url) if config.redis_url else LocalBuckets()
        )
        self.backend_errors = 0

    @property
    def is_local(self) -> bool:
        """True when buckets live in this process (taking a token does no I/O)."""
        return isinstance(self.buckets, LocalBuckets)

    def hit(self, caller: str, route_class: str) -> RateState:
        """Take a token, raising RateLimitedError (with the state) when there is none."""
        rule = self.config.rate_limits.get(route_class)
        if rule is None:
            return RateState(limit=0, remaining=0, reset_s=0)
        return self.take(f"{route_class}:{caller}", rule, f"{route_class} requests")

    def take(self, bucket: str, rule: RateLimit, what: str) -> RateState:
        """Take a token from ``bucket`` under ``rule``; RateLimitedError about ``what``."""
        try:
            allowed, tokens = self.buckets.take(bucket, rule)
        except StorageError:
            self.backend_errors += 1
            if self.config.rate_limit_fail == "closed":
                raise
            return RateState(limit=rule.burst, remaining=rule.burst, reset_s=0)
        reset = math.ceil((rule.burst - tokens) / rule.per_second)
        if allowed:
            return RateState(limit=rule.burst, remaining=int(tokens), reset_s=reset)
        retry = max(1, math.ceil((1.0 - tokens) / rule.per_second))
        state = RateState(
            limit=rule.burst, remaining=0, reset_s=reset, allowed=False, retry_after_s=retry
        )
        error = RateLimitedError(
            f"too many {what}",
            hint=f"retry after {retry} s, or ask for a higher limit",
            code="rate_limited",
            retry_after=retry,
        )
        error.rate = state  # type: ignore[attr-defined]
        raise error
