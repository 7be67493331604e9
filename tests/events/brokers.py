"""What the brokers hold: every thermodb event in a JetStream stream or a Redis stream."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson


def nats_messages(url: str, stream: str, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    """(Nats-Msg-Id, event) of every message in ``stream``, in stream order."""

    async def read() -> list[tuple[str, dict[str, Any]]]:
        import nats

        nc = await nats.connect(url)
        js = nc.jetstream()
        total = (await js.stream_info(stream)).state.messages
        out: list[tuple[str, dict[str, Any]]] = []
        if total:
            sub = await js.pull_subscribe(f"{prefix}.>", stream=stream)
            while len(out) < total:
                for msg in await sub.fetch(min(1000, total - len(out)), timeout=10):
                    out.append((msg.headers["Nats-Msg-Id"], orjson.loads(msg.data)))
                    await msg.ack()
            await sub.unsubscribe()
        await nc.close()
        return out

    return asyncio.run(read())


def nats_count(url: str, stream: str) -> int:
    async def count() -> int:
        import nats
        from nats.js.errors import NotFoundError

        nc = await nats.connect(url)
        try:
            return int((await nc.jetstream().stream_info(stream)).state.messages)
        except NotFoundError:  # the forwarder has not created it yet
            return 0
        finally:
            await nc.close()

    return asyncio.run(count())


def drop_nats_stream(url: str, stream: str) -> None:
    async def drop() -> None:
        import nats
        from nats.js.errors import NotFoundError

        nc = await nats.connect(url)
        with contextlib.suppress(NotFoundError):
            await nc.jetstream().delete_stream(stream)
        await nc.close()

    asyncio.run(drop())
