"""The event-loop fast paths of get and query (finding 14) are never stale and never
cross callers: a write in between, another tenant or another role sees its own answer."""

from __future__ import annotations

from gateway_env import Env

COUNT = {"collection": "users", "aggregates": [{"fn": "count"}]}


def test_repeated_get_sees_every_write(env: Env) -> None:
    h = env.h("admin")
    for i in range(3):
        r = env.client.put("/v1/collections/messages/records/10", json={"text": f"v{i}"}, headers=h)
        assert r.status_code == 200
        for _ in range(2):  # the second read is the fast path's
            got = env.client.get("/v1/collections/messages/records/10", headers=h)
            assert got.json()["text"] == f"v{i}"
    env.client.delete("/v1/collections/messages/records/10", headers=h)
    assert env.client.get("/v1/collections/messages/records/10", headers=h).status_code == 404


def test_repeated_get_masks_and_filters_per_caller(env: Env) -> None:
    assert (
        env.client.get("/v1/collections/users/records/1", headers=env.h("admin")).json()["email"]
        == "ann@example.com"
    )
    r = env.client.get("/v1/collections/users/records/1", headers=env.h("reader"))
    assert r.json()["email"] == "a***@example.com"
    r = env.client.get("/v1/collections/users/records/3", headers=env.h("admin"))
    assert r.status_code == 200
    r = env.client.get("/v1/collections/users/records/3", headers=env.h("reader"))
    assert r.status_code == 404  # globex's record, after admin's read put it in the cache
    r = env.client.get("/v1/collections/users/records/1", headers=env.h("msgreader"))
    assert r.status_code == 403


def test_repeated_query_sees_writes_and_filters(env: Env) -> None:
    admin, reader = env.h("admin"), env.h("reader")
    for _ in range(2):
        assert env.client.post("/v1/query", json=COUNT, headers=admin).json()["rows"] == [[3]]
        assert env.client.post("/v1/query", json=COUNT, headers=reader).json()["rows"] == [[2]]
    env.client.put(
        "/v1/collections/users/records/4",
        json={"name": "dan", "email": "dan@example.com", "tenant": "acme", "plan": "pro"},
        headers=admin,
    )
    assert env.client.post("/v1/query", json=COUNT, headers=admin).json()["rows"] == [[4]]
    assert env.client.post("/v1/query", json=COUNT, headers=reader).json()["rows"] == [[3]]
    listing = {"collection": "users", "select": ["id", "email"], "order": [{"field": "id"}]}
    env.client.post("/v1/query", json=listing, headers=admin)
    rows = env.client.post("/v1/query", json=listing, headers=reader).json()["rows"]
    assert all("***" in email for _id, email in rows)
    assert env.client.post("/v1/query", json=COUNT, headers=env.h("msgreader")).status_code == 403
