"""`GET /v1/events`: Server-Sent Events over the outbox, resumable with Last-Event-ID."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import orjson
from gateway_env import Env, LiveServer, make_env

from thermodb.database import Database


def frames(text: str) -> list[dict[str, Any]]:
    """The SSE messages of a body: id, event and decoded data of each."""
    out = []
    for block in text.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line and line[0] != ":"
        )
        if "data" in fields:
            out.append(
                {"id": int(fields["id"]), "event": fields["event"], **orjson.loads(fields["data"])}
            )
    return out


def test_events_stream_and_resume(env: Env) -> None:
    r = env.client.get("/v1/events", params={"follow": "false"}, headers=env.h("admin"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    got = frames(r.text)
    assert [f["id"] for f in got] == list(range(1, len(got) + 1))
    assert [f["event"] for f in got][:2] == ["schema", "upsert"]
    assert got[1]["payload"]["name"] == "ann"  # the whole record: admins only
    assert all(f["event"] == f["op"] for f in got)

    resumed = env.client.get(
        "/v1/events",
        params={"follow": "false"},
        headers={**env.h("admin"), "Last-Event-ID": "3"},
    )
    assert [f["id"] for f in frames(resumed.text)] == [f["id"] for f in got[3:]]
    only = env.client.get(
        "/v1/events",
        params={"follow": "false", "collection": "messages", "since": 0},
        headers=env.h("admin"),
    )
    assert {f["collection"] for f in frames(only.text)} == {"messages"}


def test_events_need_admin_and_a_valid_resume_point(env: Env) -> None:
    assert env.client.get("/v1/events", params={"follow": "false"}).status_code == 401
    denied = env.client.get("/v1/events", params={"follow": "false"}, headers=env.h("reader"))
    assert denied.status_code == 403
    bad = env.client.get(
        "/v1/events", params={"follow": "false"}, headers={**env.h("admin"), "Last-Event-ID": "x"}
    )
    assert bad.status_code == 422
    assert "Last-Event-ID" in bad.json()["detail"]
    assert env.client.get(
        "/v1/events", params={"since": -1, "follow": "false"}, headers=env.h("admin")
    ).status_code in (400, 422)


def test_a_live_stream_delivers_new_commits(sqlite_db: Database) -> None:
    env = make_env(sqlite_db)
    start = sqlite_db.events.last_id()
    received: list[dict[str, Any]] = []

    def write_later() -> None:
        time.sleep(0.5)
        sqlite_db.ingest([{"id": 50, "text": "late"}], collection="messages")

    with env.client, LiveServer(env.app) as live:
        writer = threading.Thread(target=write_later)
        writer.start()
        with (
            httpx.Client(base_url=live.url, timeout=10) as http,
            http.stream(
                "GET", "/v1/events", params={"since": start}, headers=env.h("admin")
            ) as response,
        ):
            assert response.status_code == 200
            buffer = ""
            for chunk in response.iter_text():
                buffer += chunk
                received = frames(buffer)
                if received:
                    break
        writer.join()
    assert [(f["op"], f["key"], f["payload"]["text"]) for f in received] == [("upsert", 50, "late")]
    assert received[0]["id"] == start + 1
