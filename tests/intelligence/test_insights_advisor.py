"""The index advisor's closed loop, on SQLite and PostgreSQL: an index that pays is built,
validated on the real workload and kept; one that does not is reverted; an unused one is
dropped; keys are never touched; dry runs, the throttle and the off switch hold."""

from __future__ import annotations

import random
from typing import Any

import pytest
import sqlalchemy as sa
from insightdata import Clock, by_user, events, open_db, replay

from thermodb.database import Database
from thermodb.errors import ConfigError


def index_names(db: Database, table: str) -> set[str]:
    with db.store.read() as conn:
        found = sa.inspect(conn).get_indexes(table, schema=db.store.schema)
    return {str(i["name"]) for i in found}


def by_flag(rnd: random.Random) -> dict[str, Any]:
    return {
        "collection": "events",
        "where": {"field": "flag", "op": "=", "value": rnd.random() < 0.5},
        "aggregates": [{"fn": "count"}, {"fn": "avg", "field": "value"}],
    }


def by_kind(rnd: random.Random) -> dict[str, Any]:
    return {
        "collection": "events",
        "group_by": [{"field": "kind"}],
        "aggregates": [{"fn": "count"}],
    }


def only(report: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [d for d in report["decisions"] if d["action"] == action]


def test_an_index_that_pays_is_built_validated_kept_then_dropped_when_unused(
    tuned: Database, clock: Clock
) -> None:
    tuned.ingest([{"id": i, "name": f"u{i}"} for i in range(50)], collection="users", key="id")
    tuned.ingest(events(120_000), collection="events")  # the scan must dwarf the call's floor
    replay(tuned, by_user, 40)
    first = tuned.insights.advise()
    (created,) = only(first, "create")
    name = created["index_name"]
    assert created["columns"] == ["user_id"] and name in index_names(tuned, "events")
    (estimate,) = created["evidence"]["choice"]["estimates"].values()
    assert estimate["used"] and estimate["after"] < estimate["before"] / 2
    assert created["evidence"]["baseline"], "the baseline the validation compares with"

    clock.advance(1)
    replay(tuned, by_user, 40)
    second = tuned.insights.advise()
    assert only(second, "keep"), second["decisions"]
    (kept,) = only(second, "keep")
    (served,) = kept["evidence"]["served"].values()
    assert served["p50_after_ms"] < served["p50_before_ms"] * 0.8
    states = {i["name"]: i["state"] for i in tuned.insights.indexes()["indexes"]}
    assert states[name] == "kept"

    clock.advance(24 * 15)  # the workload moves on: nothing filters on user_id any more
    replay(tuned, by_kind, 12)
    third = tuned.insights.advise()
    (dropped,) = only(third, "drop")
    assert dropped["index_name"] == name and name not in index_names(tuned, "events")
    assert tuned.store.key_index_name("users") in index_names(tuned, "users")
    decisions = tuned.insights.indexes()["decisions"]  # newest first, each with evidence
    assert [d["action"] for d in decisions if d["index_name"] == name] == ["drop", "keep", "create"]
    assert all(d["evidence"] and d["reason"] for d in decisions)


def test_a_planted_index_that_does_not_pay_is_reverted(tuned: Database, clock: Clock) -> None:
    tuned.ingest(events(40_000), collection="events")
    replay(tuned, by_flag, 30)
    trial = tuned.insights.try_index("events", ["flag"])
    name = trial["index_name"]
    assert trial["action"] == "create" and name in index_names(tuned, "events")

    clock.advance(1)
    replay(tuned, by_flag, 30)
    report = tuned.insights.advise()
    (reverted,) = only(report, "revert")
    assert reverted["index_name"] == name
    assert name not in index_names(tuned, "events")
    assert not only(report, "create"), "no index serves a half-of-the-table filter"
    (state,) = [i for i in tuned.insights.indexes()["indexes"] if i["name"] == name]
    assert state["state"] == "reverted" and state["origin"] == "trial"


def test_dry_run_throttle_and_off_switch(backend_url: str, clock: Clock) -> None:
    db = open_db(backend_url, min_pass_interval_s=3600)
    db.insights.clock = clock
    db.thermal.results.capacity = 0
    try:
        db.ingest(events(20_000), collection="events")
        replay(db, by_user, 20)
        dry = db.insights.advise(dry_run=True)
        (would,) = only(dry, "create")
        assert would["dry_run"] and would["index_name"] not in index_names(db, "events")
        assert db.insights.indexes()["decisions"] == []
        assert only(db.insights.advise(), "create")
        assert db.insights.advise()["skipped"].startswith("throttled")
        with pytest.raises(ConfigError):
            db.insights.try_index("events", ["user_id"])  # it exists now
    finally:
        db.close()
    off = open_db(backend_url, advisor="off")
    try:
        assert "off" in off.insights.advise()["skipped"]
        with pytest.raises(ConfigError):
            off.insights.try_index("events", ["kind"])
    finally:
        off.close()
