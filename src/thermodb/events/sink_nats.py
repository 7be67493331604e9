"""A sink to NATS JetStream (nats-py, the ``events`` extra; imported only when used).

Each event is published to ``PREFIX.COLLECTION`` with ``Nats-Msg-Id`` set to its id, so
JetStream drops a re-sent event within the stream's duplicate window (created here at two
minutes unless the stream exists). Publishes are pipelined and the batch returns only when
every acknowledgement is in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

import orjson

from thermodb.errors import ConfigError, StorageError
from thermodb.events.model import Event

__all__ = ["DEFAULT_PREFIX", "DEFAULT_STREAM", "NatsSink"]

DEFAULT_STREAM = "THERMODB_EVENTS"
DEFAULT_PREFIX = "thermodb.events"
_T = TypeVar("_T")


class NatsSink:
    """Publishes batches of events to one JetStream stream and waits for their acks."""

    def __init__(
        self,
        url: str,
        *,
        stream: str | None = None,
        prefix: str | None = None,
        duplicate_window: float = 120.0,
        timeout: float = 30.0,
    ) -> None:
        try:
            import nats
        except ImportError as exc:
            raise ConfigError(
                "forwarding to NATS needs nats-py", hint="pip install 'thermodb[events]'"
            ) from exc
        self.name = url
        self.stream = stream or DEFAULT_STREAM
        self.prefix = prefix or DEFAULT_PREFIX
        self.timeout = timeout
        self._loop = asyncio.new_event_loop()
        try:
            self._nc: Any = self._run(
                nats.connect(
                    url,
                    connect_timeout=5,
                    max_reconnect_attempts=3,
                    allow_reconnect=True,
                    skip_subject_validation=True,  # collection names are valid subjects
                )
            )
        except Exception as exc:  # nats raises plain OSError / its own errors / timeouts
            self._loop.close()
            raise StorageError(
                f"cannot reach NATS at {url}: {exc or type(exc).__name__}",
                hint="check the URL and that nats-server runs with JetStream (-js)",
            ) from exc
        self._js = self._nc.jetstream(timeout=timeout)
        self._run(self._ensure_stream(duplicate_window))

    def _run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        return self._loop.run_until_complete(coroutine)

    async def _ensure_stream(self, duplicate_window: float) -> None:
        from nats.js.api import StreamConfig
        from nats.js.errors import NotFoundError

        try:
            await self._js.stream_info(self.stream)
        except NotFoundError:
            await self._js.add_stream(
                StreamConfig(
                    name=self.stream,
                    subjects=[f"{self.prefix}.>"],
                    duplicate_window=duplicate_window,
                )
            )

    def send(self, events: Sequence[Event]) -> int:
        try:
            return self._run(asyncio.wait_for(self._send(events), self.timeout))
        except (TimeoutError, OSError) as exc:
            raise StorageError(
                f"NATS did not acknowledge a batch of {len(events)} events: "
                f"{exc or type(exc).__name__}",
                hint="the cursor did not move; the batch is sent again on the next run",
            ) from exc

    async def _send(self, events: Sequence[Event]) -> int:
        """Publish the batch with one reply inbox and count the acks that come back.

        One subscription per batch (rather than a future per message) keeps the client's
        work per event small; an ack that carries an error, or a 'no responders' status,
        fails the whole batch (the cursor does not move).
        """
        nc, prefix, total = self._nc, self.prefix, len(events)
        inbox = nc.new_inbox()
        done = asyncio.Event()
        seen = [0, 0]  # acks, duplicates
        refused: list[bytes] = []

        async def on_ack(msg: Any) -> None:
            data: bytes = msg.data
            seen[0] += 1
            if not data or b'"error"' in data:
                refused.append(data or str(msg.headers).encode())
            elif b'"duplicate"' in data and orjson.loads(data).get("duplicate"):
                seen[1] += 1
            if seen[0] >= total:
                done.set()

        sub = await nc.subscribe(inbox, cb=on_ack, pending_msgs_limit=total + 16)
        try:
            publish = nc.publish
            for e in events:
                await publish(
                    f"{prefix}.{e.collection}",
                    e.to_json(),
                    reply=inbox,
                    headers={"Nats-Msg-Id": str(e.id)},
                )
            await nc.flush()
            await done.wait()
        finally:
            await sub.unsubscribe()
        if refused:
            raise StorageError(
                f"JetStream refused {len(refused)} of {total} events: "
                f"{refused[0].decode(errors='replace')}",
                hint=f"check that stream {self.stream} takes subjects {prefix}.>",
            )
        return seen[1]

    def close(self) -> None:
        try:
            self._run(self._nc.drain())
        except Exception:  # closing a broken connection: nothing more to do
            pass
        finally:
            self._loop.close()
