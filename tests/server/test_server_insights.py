"""The insights routes: admin only, over the real query log and advisor; /metrics shows
the advisor's decisions."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from gateway_env import Env


def test_insights_routes_report_the_workload_and_the_advisor(env: Env) -> None:
    h = env.h("admin")
    for _ in range(3):
        q = {"collection": "users", "where": {"field": "name", "op": "=", "value": "ann"}}
        assert env.client.post("/v1/query", json=q, headers=h).status_code == 200
    r = env.client.get("/v1/insights/queries", params={"hours": 2}, headers=h)
    assert r.status_code == 200, r.text
    entry = next(e for e in r.json()["frequent"] if e["collection"] == "users")
    assert entry["calls"] >= 3 and entry["interface"] == "spec" and "?" in entry["query"]
    dry = env.client.post("/v1/insights/advise", params={"dry_run": True}, headers=h).json()
    assert dry["dry_run"] is True and "decisions" in dry
    trial = {"collection": "users", "fields": ["name"]}
    made = env.client.post("/v1/insights/indexes", json=trial, headers=h)
    assert made.status_code == 200, made.text
    assert made.json()["action"] == "create"
    listed = env.client.get("/v1/insights/indexes", headers=h).json()
    assert [i["state"] for i in listed["indexes"]] == ["validating"]
    bad = env.client.post("/v1/insights/indexes", json={"collection": "users",
                          "fields": ["nope"]}, headers=h)  # fmt: skip
    assert bad.status_code == 404 and "hint" in bad.json()
    overview = env.client.get("/v1/insights", headers=h).json()
    assert set(overview) == {"queries", "indexes"}
    metrics = env.client.get("/metrics").text
    assert 'thermodb_index_advisor_decisions_total{action="create"} 1.0' in metrics
    assert 'thermodb_index_advisor_indexes{state="validating"} 1.0' in metrics


def test_insights_need_an_admin(env: Env) -> None:
    for path in ("/v1/insights", "/v1/insights/queries", "/v1/insights/indexes"):
        assert env.client.get(path, headers=env.h("reader")).status_code == 403
    assert env.client.post("/v1/insights/advise", headers=env.h("reader")).status_code == 403


def test_anomalies_route_and_plot(env: Env) -> None:
    h = env.h("admin")
    r = env.client.get("/v1/insights/anomalies", params={"days": 3}, headers=h)
    assert r.status_code == 200 and r.json()["bucket"] == "hour"
    svg = env.client.get("/v1/insights/anomalies.svg", params={"days": 3}, headers=h)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert ET.fromstring(svg.text).tag.endswith("svg")
