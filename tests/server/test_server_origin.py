"""DNS rebinding and cross-site writes (finding 5): refused on every route, not only /mcp."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from thermodb.database import Database
from thermodb.security.config import SecurityConfig
from thermodb.server import create_app
from thermodb.server.app import LOOPBACK_HOSTS
from thermodb.server.origin import host_allowed

LOCAL = "http://127.0.0.1:8765"


@pytest.fixture
def client(sqlite_db: Database) -> Iterator[TestClient]:
    sqlite_db.ingest([{"id": 1, "name": "ann"}], collection="users", key="id")
    app = create_app(
        sqlite_db, SecurityConfig(required=False, audit_reads=False), allowed_hosts=LOOPBACK_HOSTS
    )
    with TestClient(app, base_url=LOCAL, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/collections"),
        ("GET", "/v1/collections/users/records/1"),
        ("DELETE", "/v1/collections/users"),
        ("POST", "/v1/tiers/migrate"),
        ("GET", "/"),
        ("POST", "/mcp"),
    ],
)
def test_foreign_host_is_refused_everywhere(client: TestClient, method: str, path: str) -> None:
    evil = {"Host": "rebind.evil.example", "Origin": "http://rebind.evil.example"}
    r = client.request(method, path, headers=evil)
    assert r.status_code == 421, (path, r.status_code, r.text)
    assert client.get("/v1/collections").status_code == 200  # nothing was dropped


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"Content-Type": "text/plain"},
        {"Content-Type": "multipart/form-data; boundary=x"},
    ],
)
def test_simple_cross_site_writes_are_refused(client: TestClient, headers: dict[str, str]) -> None:
    for method, path in (("POST", "/v1/tiers/migrate"), ("DELETE", "/v1/collections/users")):
        r = client.request(method, path, headers=headers, content=b"a=1")
        assert r.status_code in (403, 415), (method, path, headers, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/collections").json()[0]["name"] == "users"


def test_same_origin_and_programs_still_write(client: TestClient) -> None:
    r = client.post("/v1/tiers/migrate?dry_run=true", headers={"Origin": LOCAL})
    assert r.status_code == 200, r.text
    r = client.put("/v1/collections/users/records/2", json={"name": "bob"})
    assert r.status_code == 200, r.text
    r = client.put(
        "/v1/collections/users/records/3",
        json={"name": "cyd"},
        headers={"Sec-Fetch-Site": "same-origin", "Origin": LOCAL},
    )
    assert r.status_code == 200, r.text


def test_host_patterns() -> None:
    assert host_allowed("127.0.0.1:8765", LOOPBACK_HOSTS)
    assert host_allowed("localhost", LOOPBACK_HOSTS)
    assert host_allowed("[::1]:80", LOOPBACK_HOSTS)
    assert not host_allowed("127.0.0.1.evil.example:80", LOOPBACK_HOSTS)
    assert not host_allowed("127.0.0.1:80x", LOOPBACK_HOSTS)
    assert not host_allowed("", LOOPBACK_HOSTS)
