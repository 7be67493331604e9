"""Forwarding the change stream to a broker: at-least-once, de-duplicated downstream.

A forwarder reads a batch after its cursor, hands it to a :class:`Sink` that returns only
when the broker has acknowledged every event, and then moves its cursor past the batch. A
crash between the two re-sends the batch on restart; each event carries its id as the
broker's de-duplication id (NATS JetStream's ``Nats-Msg-Id``, the Redis Streams entry id),
so the broker keeps one copy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from thermodb.errors import ConfigError
from thermodb.events.model import Event
from thermodb.events.outbox import Outbox

__all__ = ["ForwardReport", "Forwarder", "Sink", "open_sink"]


class Sink(Protocol):
    """A broker connection. ``send`` returns how many events the broker already had."""

    name: str

    def send(self, events: Sequence[Event]) -> int: ...

    def close(self) -> None: ...


@dataclass
class ForwardReport:
    consumer: str
    target: str
    forwarded: int = 0
    duplicates: int = 0
    """Events the broker already had (re-sent after a restart) and kept once."""
    batches: int = 0
    position: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "consumer": self.consumer,
            "target": self.target,
            "forwarded": self.forwarded,
            "duplicates": self.duplicates,
            "batches": self.batches,
            "position": self.position,
            "seconds": round(self.seconds, 3),
            "events_per_second": round(self.forwarded / self.seconds) if self.seconds else 0,
        }


class Forwarder:
    """Moves events from an outbox to a sink, one acknowledged batch at a time."""

    def __init__(self, outbox: Outbox, sink: Sink, *, consumer: str, batch: int = 5000) -> None:
        if batch < 1:
            raise ConfigError(f"batch size must be at least 1, not {batch}")
        self.outbox = outbox
        self.sink = sink
        self.consumer = consumer
        self.batch = batch
        self.stop_event = threading.Event()

    def run(
        self,
        *,
        once: bool = False,
        poll: float = 0.25,
        on_batch: Callable[[ForwardReport], None] | None = None,
    ) -> ForwardReport:
        """Forward until stopped (``once``: until the outbox is drained)."""
        report = ForwardReport(self.consumer, self.sink.name)
        started = time.monotonic()
        position = self.outbox.position(self.consumer)
        report.position = position
        while not self.stop_event.is_set():
            events = self.outbox.read(position, limit=self.batch)
            if not events:
                if once:
                    break
                self.stop_event.wait(poll)
                continue
            report.duplicates += self.sink.send(events)
            position = events[-1].id
            self.outbox.commit(self.consumer, position)
            report.forwarded += len(events)
            report.batches += 1
            report.position = position
            report.seconds = time.monotonic() - started
            if on_batch is not None:
                on_batch(report)
        report.seconds = time.monotonic() - started
        return report

    def stop(self) -> None:
        self.stop_event.set()


def open_sink(target: str, *, stream: str | None = None, prefix: str | None = None) -> Sink:
    """The sink for a URL: nats://HOST:PORT (JetStream) or redis://HOST:PORT/DB (Streams).

    ``stream``: the JetStream stream or the Redis stream key; ``prefix``: the NATS subject
    prefix (events go to ``PREFIX.COLLECTION``).
    """
    if target.startswith(("nats://", "tls://")):
        from thermodb.events.sink_nats import NatsSink

        return NatsSink(target, stream=stream, prefix=prefix)
    if target.startswith(("redis://", "rediss://", "unix://")):
        from thermodb.events.sink_redis import RedisSink

        return RedisSink(target, stream=stream, prefix=prefix)
    raise ConfigError(
        f"cannot forward events to {target!r}",
        hint="use nats://HOST:4222 (JetStream) or redis://HOST:6379/0 (Redis Streams)",
    )
