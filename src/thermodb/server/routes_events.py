"""`GET /v1/events`: the change stream as Server-Sent Events, resumable with Last-Event-ID.

Each event is one SSE message: ``id`` is the event id (so a reconnecting EventSource sends
it back as ``Last-Event-ID`` and resumes after it), ``event`` the operation, ``data`` the
event as JSON. Events carry whole records, so the stream needs the admin role on every
collection. The outbox is read in the thread pool; the loop itself only waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from thermodb.errors import InputError
from thermodb.events.model import Event
from thermodb.server.deps import AdminCaller, GatewayDep

router = APIRouter(tags=["events"])

POLL_SECONDS = 0.25
KEEPALIVE_SECONDS = 15.0
BATCH = 500


@router.get(
    "/v1/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def events(
    request: Request,
    caller: AdminCaller,
    gateway: GatewayDep,
    since: Annotated[int | None, Query(ge=0, description="Start after this event id.")] = None,
    collection: Annotated[
        str | None, Query(min_length=1, max_length=63, description="Only this collection.")
    ] = None,
    follow: Annotated[
        bool, Query(description="Keep the stream open for new events (false: drain and close).")
    ] = True,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """The change stream as Server-Sent Events (admin); resumes after ``Last-Event-ID``."""
    caller.require_global("admin")
    start = _start(since, last_event_id)
    outbox = gateway.db.events

    async def stream() -> AsyncIterator[bytes]:
        position = start
        idle = 0.0
        yield b"retry: 2000\n\n"
        while True:
            batch = await run_in_threadpool(
                outbox.read, position, collection=collection, limit=BATCH
            )
            if batch:
                idle = 0.0
                position = batch[-1].id
                yield b"".join(_frame(e) for e in batch)
                continue
            if not follow or await request.is_disconnected():
                return
            await asyncio.sleep(POLL_SECONDS)
            idle += POLL_SECONDS
            if idle >= KEEPALIVE_SECONDS:
                idle = 0.0
                yield b": keep-alive\n\n"

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


def _start(since: int | None, last_event_id: str | None) -> int:
    """Where to start: after Last-Event-ID (a reconnect) if sent, else after ``since``."""
    if last_event_id is not None and last_event_id.strip():
        text = last_event_id.strip()
        if not text.isdigit():
            raise InputError(
                f"Last-Event-ID must be an event id (a whole number), not {text!r}",
                hint="send back the id of the last event you received",
            )
        return int(text)
    return since or 0


def _frame(event: Event) -> bytes:
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event.id, event.op.encode(), event.to_json())
