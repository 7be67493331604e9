"""The HTTP API in process (ASGI): collections, records, ingest, query, ops endpoints."""

from __future__ import annotations

from gateway_env import Env


def test_collections_list_and_describe(env: Env) -> None:
    r = env.client.get("/v1/collections", headers=env.h("admin"))
    assert r.status_code == 200
    by_name = {c["name"]: c for c in r.json()}
    assert by_name["users"]["rows"] == 3
    assert by_name["users"]["key_field"] == "id"
    info = env.client.get("/v1/collections/users", headers=env.h("admin")).json()
    assert {f["field"] for f in info["fields"]} >= {"id", "email", "tenant"}


def test_create_and_drop_collection(env: Env) -> None:
    body = {"name": "orders", "records": [{"oid": 1, "total": 9.5}], "key_field": "oid"}
    r = env.client.post("/v1/collections", json=body, headers=env.h("admin"))
    assert r.status_code == 201, r.text
    assert r.json()["key_field"] == "oid"
    assert env.client.post("/v1/collections", json=body, headers=env.h("admin")).status_code == 400
    assert env.client.delete("/v1/collections/orders", headers=env.h("admin")).status_code == 204
    r = env.client.get("/v1/collections/orders", headers=env.h("admin"))
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert "hint" in r.json()


def test_records_get_put_delete(env: Env) -> None:
    h = env.h("admin")
    assert env.client.get("/v1/collections/users/records/1", headers=h).json()["name"] == "ann"
    r = env.client.put(
        "/v1/collections/users/records/7", json={"name": "eve", "tenant": "acme"}, headers=h
    )
    assert r.json() == {"written": 1, "created": True}
    assert env.client.get("/v1/collections/users/records/7", headers=h).json()["name"] == "eve"
    r = env.client.put("/v1/collections/users/records/7", json={"id": 8, "name": "x"}, headers=h)
    assert r.status_code == 422
    assert env.client.delete("/v1/collections/users/records/7", headers=h).status_code == 204
    assert env.client.get("/v1/collections/users/records/7", headers=h).status_code == 404
    assert env.client.delete("/v1/collections/users/records/7", headers=h).status_code == 404
    assert env.client.get("/v1/collections/users/records/abc", headers=h).status_code == 422


def test_ingest_json_ndjson_csv(env: Env) -> None:
    h = env.h("admin")
    r = env.client.post("/v1/ingest?collection=events", json=[{"id": 1, "kind": "a"}], headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["written"] == 1
    nd = b'{"id": 2, "kind": "b"}\n{"id": 3, "kind": "c"}\n'
    r = env.client.post(
        "/v1/ingest?collection=events",
        content=nd,
        headers={**h, "content-type": "application/x-ndjson"},
    )
    assert r.json()["written"] == 2
    csv = b"id,kind\n4,d\n5,e\n"
    r = env.client.post(
        "/v1/ingest?collection=events", content=csv, headers={**h, "content-type": "text/csv"}
    )
    assert r.json()["written"] == 2
    rows = env.client.post(
        "/v1/query", json={"collection": "events", "aggregates": [{"fn": "count"}]}, headers=h
    )
    assert rows.json()["rows"] == [[5]]
    r = env.client.post("/v1/ingest", content=b"x", headers={**h, "content-type": "text/plain"})
    assert r.status_code == 415  # what an HTML form can send is never read
    bad = b'{"id": 6}\n{not json\n'
    r = env.client.post(
        "/v1/ingest?collection=events",
        content=bad,
        headers={**h, "content-type": "application/x-ndjson"},
    )
    assert r.status_code == 422
    assert rows.json()["rows"] == [[5]]  # nothing half-written


def test_body_size_limit(sqlite_db) -> None:  # type: ignore[no-untyped-def]
    from gateway_env import make_env, security_config

    e = make_env(sqlite_db, security_config(max_body_bytes=1000))
    with e.client:
        big = b'{"id": 1, "pad": "' + b"x" * 5000 + b'"}'
        r = e.client.post(
            "/v1/ingest?collection=big", content=big,
            headers={**e.h("admin"), "content-type": "application/json"},
        )  # fmt: skip
        assert r.status_code == 413
        assert r.headers["content-type"] == "application/problem+json"


def test_query_row_cap_sets_truncated(sqlite_db) -> None:  # type: ignore[no-untyped-def]
    from gateway_env import make_env, security_config

    e = make_env(sqlite_db, security_config(max_rows=2))
    with e.client:
        r = e.client.post("/v1/query", json={"collection": "users"}, headers=e.h("admin"))
        body = r.json()
        assert (len(body["rows"]), body["truncated"]) == (2, True)
        r = e.client.post(
            "/v1/query", json={"collection": "users", "limit": 1}, headers=e.h("admin")
        )
        assert (len(r.json()["rows"]), r.json()["truncated"]) == (1, False)


def test_invalid_spec_is_problem_422(env: Env) -> None:
    r = env.client.post(
        "/v1/query", json={"collection": "users", "bogus": 1}, headers=env.h("admin")
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"


def test_ops_endpoints(env: Env) -> None:
    assert env.client.get("/healthz").json()["status"] == "ok"
    assert env.client.get("/readyz").json()["status"] == "ok"
    env.client.get("/v1/collections", headers=env.h("admin"))
    metrics = env.client.get("/metrics").text
    assert 'route="/v1/collections"' in metrics
    assert "thermodb_http_request_duration_seconds_bucket" in metrics
    page = env.client.get("/")
    assert page.status_code == 200 and "thermodb" in page.text


def test_rate_limit_headers_present(env: Env) -> None:
    r = env.client.get("/v1/collections", headers=env.h("admin"))
    assert int(r.headers["RateLimit-Limit"]) == 1000
    assert int(r.headers["RateLimit-Remaining"]) <= 999


def test_domains_registry(env: Env) -> None:
    env.client.get("/v1/collections/users/records/1", headers=env.h("admin"))
    r = env.client.get("/v1/domains", headers=env.h("admin"))
    by = {d["name"]: d for d in r.json()}
    assert by["users"]["mcp"].endswith("/mcp/users")
    assert by["users"]["requests_per_min"] >= 1
    assert by["users"]["health"] == "ok"
    only = env.client.get("/v1/domains", headers=env.h("msgreader")).json()
    assert [d["name"] for d in only] == ["messages"]


def test_openapi_lists_every_route(env: Env) -> None:
    paths = env.client.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/collections", "/v1/collections/{name}", "/v1/collections/{name}/records/{key}",
        "/v1/ingest", "/v1/query", "/v1/sql", "/v1/ask", "/v1/domains", "/healthz", "/readyz",
    ):  # fmt: skip
        assert path in paths, path
    for path, ops in paths.items():
        for op in ops.values():
            assert op.get("description") or op.get("summary"), path


def test_audit_records_writes_and_reads(env: Env) -> None:
    env.client.put(
        "/v1/collections/users/records/9",
        json={"name": "z", "tenant": "acme"},
        headers=env.h("admin"),
    )
    env.client.get("/v1/collections/users/records/9", headers=env.h("reader"))
    actions = [(e.action, e.outcome) for e in env.app.state.gateway.audit.tail(5)]
    assert ("record.upsert", "ok") in actions
    assert ("record.get", "ok") in actions
    assert env.app.state.gateway.audit.verify().ok


def test_tiers_endpoints(env: Env) -> None:
    r = env.client.get("/v1/tiers", headers=env.h("msgreader"))
    assert r.status_code == 200, r.text
    assert [t["collection"] for t in r.json()] == ["messages"]
    assert r.json()[0]["warm_rows"] == 2
    assert env.client.get("/v1/tiers/users", headers=env.h("reader")).status_code == 403
    assert env.client.get("/v1/tiers/users", headers=env.h("admin")).status_code == 200
    assert (
        env.client.post("/v1/tiers/migrate?dry_run=true", headers=env.h("writer")).status_code
        == 403
    )
    r = env.client.post("/v1/tiers/migrate?dry_run=true", headers=env.h("admin"))
    assert r.status_code == 200, r.text
