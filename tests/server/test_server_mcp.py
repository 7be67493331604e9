"""MCP with real client sessions: in memory, over streamable HTTP (uvicorn) and stdio."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import anyio
import httpx
import httpx2
from gateway_env import LiveServer, make_env, seed
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from thermodb.database import Database
from thermodb.server.stdio import stdio_server_for


def _payload(text: str) -> object:
    body = text.split("\n", 1)[1].rsplit("\n</untrusted-data>", 1)[0]
    return json.loads(body)


def test_in_memory_gateway_tools_and_resources(sqlite_db: Database) -> None:
    seed(sqlite_db)

    async def scenario() -> None:
        server = stdio_server_for(sqlite_db, domain=None, read_only=False, key=None)
        async with Client(server) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert {"list_collections", "describe_collection", "get_record", "query", "sql",
                    "ask", "tier_status", "ingest"} <= set(tools)  # fmt: skip
            assert tools["query"].annotations is not None
            assert tools["query"].annotations.read_only_hint is True
            listed = await client.call_tool("list_collections", {})
            names = {c["name"] for c in _payload(listed.content[0].text)}  # type: ignore[union-attr]
            assert names == {"users", "messages"}
            wrote = await client.call_tool(
                "ingest",
                {"collection": "messages", "records": [{"id": 12, "user_id": 2, "text": "new"}]},
            )
            assert not wrote.is_error, wrote.content
            q = await client.call_tool(
                "query", {"spec": {"collection": "messages", "aggregates": [{"fn": "count"}]}}
            )
            assert _payload(q.content[0].text)["rows"] == [[3]]  # type: ignore[index]
            schema = await client.read_resource("thermodb://schema/users")
            assert _payload(schema.contents[0].text)["key_field"] == "id"  # type: ignore[union-attr,index]

    anyio.run(scenario)


def test_domain_read_only_server_exposes_only_its_domain(sqlite_db: Database) -> None:
    seed(sqlite_db)

    async def scenario() -> None:
        server = stdio_server_for(sqlite_db, domain="users", read_only=True, key=None)
        async with Client(server) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert "ingest" not in names
            listed = await client.call_tool("list_collections", {})
            assert [c["name"] for c in _payload(listed.content[0].text)] == ["users"]  # type: ignore[union-attr]
            resources = (await client.list_resources()).resources
            assert [str(r.uri) for r in resources] == ["thermodb://schema/users"]
            other = await client.call_tool("get_record", {"collection": "messages", "key": "10"})
            assert other.is_error and "PermissionDeniedError" in other.content[0].text  # type: ignore[union-attr]
            sql = await client.call_tool("sql", {"sql": "SELECT count(*) FROM messages"})
            assert sql.is_error

    anyio.run(scenario)


def test_reader_key_gets_no_write_tool_over_stdio(sqlite_db: Database) -> None:
    env = make_env(sqlite_db)
    gw = env.app.state.gateway

    async def scenario() -> None:
        server = stdio_server_for(sqlite_db, domain=None, read_only=False, key=env.keys["reader"])
        async with Client(server) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert "ingest" not in names  # a reader key never gets a write tool

    anyio.run(scenario)
    assert gw.audit.verify().ok


def test_streamable_http_with_bearer_token(sqlite_db: Database) -> None:
    env = make_env(sqlite_db)
    with env.client, LiveServer(env.app) as live:
        r = httpx.post(f"{live.url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert r.status_code == 401
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert httpx.get(f"{live.url}/healthz").status_code == 200

        async def session(path: str, who: str) -> tuple[set[str], object, object]:
            headers = {"Authorization": f"Bearer {env.keys[who]}"}
            async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
                transport = streamable_http_client(f"{live.url}{path}", http_client=http)
                async with Client(transport) as client:
                    tools = {t.name for t in (await client.list_tools()).tools}
                    got = await client.call_tool("get_record", {"collection": "users", "key": "1"})
                    listed = await client.call_tool("list_collections", {})
                    return tools, got, listed

        tools, got, listed = anyio.run(session, "/mcp", "reader")
        assert "ingest" not in tools
        record = _payload(got.content[0].text)  # type: ignore[attr-defined]
        assert record["email"] == "a***@example.com"  # type: ignore[index]
        tools, got, listed = anyio.run(session, "/mcp", "admin")
        assert "ingest" in tools
        assert _payload(got.content[0].text)["email"] == "ann@example.com"  # type: ignore[attr-defined,index]
        tools, got, listed = anyio.run(session, "/mcp/messages", "admin")
        assert got.is_error  # type: ignore[attr-defined]
        assert [c["name"] for c in _payload(listed.content[0].text)] == ["messages"]  # type: ignore[attr-defined]
        r = httpx.post(
            f"{live.url}/mcp/nosuch",
            json={},
            headers={"Authorization": f"Bearer {env.keys['admin']}"},
        )
        assert r.status_code == 404
    actions = {e.action for e in env.app.state.gateway.audit.tail(30)}
    assert {"record.get", "auth"} <= actions


def test_stdio_subprocess(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = Database(data)
    seed(db)
    db.close()
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "thermodb", "--data", str(data), "mcp", "--domain", "users", "--read-only"],
        env={**os.environ},
    )

    async def scenario() -> tuple[set[str], object]:
        async with Client(params) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            got = await client.call_tool("get_record", {"collection": "users", "key": "2"})
            return tools, got

    tools, got = anyio.run(scenario)
    assert "ingest" not in tools and "query" in tools
    assert _payload(got.content[0].text)["name"] == "bob"  # type: ignore[attr-defined,index]


def test_mcp_calls_share_rate_limits_and_audit(sqlite_db: Database) -> None:
    from gateway_env import security_config

    from thermodb.security.config import RateLimit
    from thermodb.security.gateway import Gateway
    from thermodb.security.principal import Principal
    from thermodb.server.mcp_tools import build_mcp_server

    seed(sqlite_db)
    tight = {k: RateLimit(per_second=0.01, burst=2) for k in ("read", "query", "write", "admin")}
    gateway = Gateway(sqlite_db, security_config(rate_limits=tight))
    agent = Principal(subject="agent", role="reader", claims={"tenant": "acme"}, key_id="a1")
    server = build_mcp_server(gateway, lambda _ctx: (agent, None), read_only=True)

    async def scenario() -> list[bool]:
        async with Client(server) as client:
            return [
                (await client.call_tool("get_record", {"collection": "users", "key": "1"})).is_error
                for _ in range(3)
            ]

    assert anyio.run(scenario) == [False, False, True]
    entries = [(e.actor, e.action, e.outcome) for e in gateway.audit.tail(5)]
    assert entries.count(("agent", "record.get", "ok")) == 2
