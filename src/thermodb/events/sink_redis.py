"""A sink to Redis Streams (redis-py, the ``redis`` extra; imported only when used).

Each event becomes the entry ``ID-0`` of one stream (XADD with an explicit id), so ids
rise with the outbox and Redis itself refuses a re-sent event: an id at or below the
stream's top is a duplicate, counted and skipped. The batch is one pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from thermodb.errors import ConfigError, StorageError
from thermodb.events.model import Event

__all__ = ["DEFAULT_STREAM", "RedisSink"]

DEFAULT_STREAM = "thermodb:events"
_DUPLICATE = "equal or smaller than the target stream top item"


class RedisSink:
    """Appends batches of events to one Redis stream, one entry per event."""

    def __init__(self, url: str, *, stream: str | None = None, prefix: str | None = None) -> None:
        try:
            import redis
        except ImportError as exc:
            raise ConfigError(
                "forwarding to Redis needs redis-py", hint="pip install 'thermodb[redis]'"
            ) from exc
        del prefix  # one stream holds every collection; the entry says which
        self.name = url
        self.stream = stream or DEFAULT_STREAM
        self._redis: Any = redis.Redis.from_url(url, socket_connect_timeout=5)
        self._errors = (redis.RedisError, OSError)
        try:
            self._redis.ping()
        except self._errors as exc:
            raise StorageError(
                f"cannot reach Redis at {url}: {exc}", hint="check the URL and the server"
            ) from exc

    def send(self, events: Sequence[Event]) -> int:
        import redis

        pipe = self._redis.pipeline(transaction=False)
        for e in events:
            pipe.xadd(
                self.stream,
                {"event": e.to_json(), "collection": e.collection, "op": e.op},
                id=f"{e.id}-0",
            )
        try:
            results = pipe.execute(raise_on_error=False)
        except self._errors as exc:
            raise StorageError(
                f"Redis did not take a batch of {len(events)} events: {exc}",
                hint="the cursor did not move; the batch is sent again on the next run",
            ) from exc
        duplicates = 0
        for result in results:
            if isinstance(result, redis.ResponseError):
                if _DUPLICATE not in str(result):
                    raise StorageError(f"Redis refused an event: {result}")
                duplicates += 1
        return duplicates

    def close(self) -> None:
        self._redis.close()
