"""Grants, row filters bound to claims, and field masks: compiled into every query shape."""

from __future__ import annotations

from gateway_env import Env


def test_row_filter_applies_to_query_and_get(env: Env) -> None:
    r = env.client.post(
        "/v1/query",
        json={"collection": "users", "select": ["id", "tenant"]},
        headers=env.h("reader"),
    )
    assert r.status_code == 200, r.text
    assert {row[1] for row in r.json()["rows"]} == {"acme"}
    # an OR cannot widen the filter: it is ANDed around the caller's where
    spec = {
        "collection": "users",
        "where": {
            "or": [
                {"field": "tenant", "op": "=", "value": "globex"},
                {"field": "id", "op": ">", "value": 0},
            ]
        },
    }
    rows = env.client.post("/v1/query", json=spec, headers=env.h("reader")).json()["rows"]
    assert len(rows) == 2
    assert (
        env.client.get("/v1/collections/users/records/3", headers=env.h("reader")).status_code
        == 404
    )


def test_row_filter_holds_for_aggregates(env: Env) -> None:
    spec = {"collection": "users", "aggregates": [{"fn": "count"}]}
    assert env.client.post("/v1/query", json=spec, headers=env.h("reader")).json()["rows"] == [[2]]
    assert env.client.post("/v1/query", json=spec, headers=env.h("admin")).json()["rows"] == [[3]]


def test_missing_claim_is_refused_not_unfiltered(env: Env) -> None:
    r = env.client.post("/v1/query", json={"collection": "users"}, headers=env.h("notenant"))
    assert r.status_code == 403
    assert r.json()["code"] == "row_filter"


def test_link_to_filtered_collection_is_filtered(env: Env) -> None:
    spec = {
        "collection": "messages",
        "links": [{"collection": "users", "kind": "semi", "on": ["user_id", "id"]}],
    }
    r = env.client.post("/v1/query", json=spec, headers=env.h("reader"))
    assert r.status_code == 200, r.text
    ids = [row[r.json()["columns"].index("id")] for row in r.json()["rows"]]
    assert ids == [10]  # message 11 belongs to globex's user


def test_masks_in_get_query_and_describe(env: Env) -> None:
    assert (
        env.client.get("/v1/collections/users/records/1", headers=env.h("reader")).json()["email"]
        == "a***@example.com"
    )
    assert (
        env.client.get("/v1/collections/users/records/1", headers=env.h("admin")).json()["email"]
        == "ann@example.com"
    )
    body = env.client.post(
        "/v1/query", json={"collection": "users", "select": ["email"]}, headers=env.h("reader")
    ).json()
    assert all(v[0].startswith(("a***", "b***")) for v in body["rows"])
    info = env.client.get("/v1/collections/users", headers=env.h("reader")).json()
    email = next(f for f in info["fields"] if f["field"] == "email")
    assert email["masked"] is True
    assert not any("ann@" in str(x) for x in email["examples"])


def test_masked_field_cannot_be_filtered_grouped_or_ordered(env: Env) -> None:
    for spec in (
        {"collection": "users", "where": {"field": "email", "op": "starts_with", "value": "a"}},
        {"collection": "users", "group_by": [{"field": "email"}], "aggregates": [{"fn": "count"}]},
        {"collection": "users", "order": [{"field": "email"}]},
        {"collection": "users", "aggregates": [{"fn": "min", "field": "email"}]},
    ):
        r = env.client.post("/v1/query", json=spec, headers=env.h("reader"))
        assert r.status_code == 403, spec
        assert r.json()["code"] == "masked_field"


def test_writer_cannot_write_other_tenant(env: Env) -> None:
    r = env.client.put(
        "/v1/collections/users/records/3",
        json={"name": "hijack", "tenant": "globex"},
        headers=env.h("writer"),
    )
    assert r.status_code == 403
    r = env.client.put(
        "/v1/collections/users/records/3",
        json={"name": "hijack", "tenant": "acme"},
        headers=env.h("writer"),
    )
    assert r.status_code == 403  # the existing record is globex's
    assert (
        env.client.delete("/v1/collections/users/records/3", headers=env.h("writer")).status_code
        == 404
    )
    r = env.client.post(
        "/v1/ingest?collection=users",
        json=[{"id": 50, "tenant": "globex"}],
        headers=env.h("writer"),
    )
    assert r.status_code == 403
    routed = [{"id": 50, "name": "x", "email": "e@x.y", "tenant": "globex"}]
    r = env.client.post("/v1/ingest", json=routed, headers=env.h("writer"))
    assert r.status_code == 403  # nor by letting the router pick the collection
    assert r.json()["code"] == "row_filter"
    assert (
        env.client.get("/v1/collections/users/records/3", headers=env.h("admin")).json()["name"]
        == "cyd"
    )
    r = env.client.put(
        "/v1/collections/users/records/51",
        json={"name": "ok", "tenant": "acme"},
        headers=env.h("writer"),
    )
    assert r.status_code == 200


def test_sql_refused_where_filters_or_masks_apply(env: Env) -> None:
    r = env.client.post("/v1/sql", json={"sql": "SELECT * FROM users"}, headers=env.h("reader"))
    assert r.status_code == 403
    assert r.json()["code"] == "restricted_sql"


def test_grants_hide_other_collections_in_links(env: Env) -> None:
    spec = {
        "collection": "messages",
        "links": [{"collection": "users", "kind": "semi", "on": ["user_id", "id"]}],
    }
    assert env.client.post("/v1/query", json=spec, headers=env.h("msgreader")).status_code == 403


def test_ask_applies_row_filter_through_transform(env: Env) -> None:
    r = env.client.post(
        "/v1/ask", json={"question": "how many users are there?"}, headers=env.h("reader")
    )
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == [[2]]
    assert r.json()["conversation"]
    r = env.client.post(
        "/v1/ask", json={"question": "how many users are there?"}, headers=env.h("admin")
    )
    assert r.json()["rows"] == [[3]]
    assert "users" in r.json()["reading"], r.json()  # the reading in words travels with it
    r = env.client.post(
        "/v1/ask", json={"question": "how many users are there?"}, headers=env.h("msgreader")
    )
    assert r.status_code == 403
