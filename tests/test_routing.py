"""Routing raw records to collections: names, shapes, scores, naming, learning, accuracy."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import thermodb
from cli_process import run_cli
from shop_records import DOMAINS, shop_records
from thermodb.catalog.model import Collection
from thermodb.catalog.naming import is_valid_collection_name
from thermodb.database import Database
from thermodb.ingest.routing import Router, field_name, suggest_name
from thermodb.ingest.routing.evaluation import routing_scores
from thermodb.ingest.routing.profile import MAX_KEYS
from thermodb.ingest.routing.shapes import shape

DEV_COLLECTIONS = ("users", "messages", "sessions", "logs", "metrics")


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def route_all(records: list[dict[str, Any]], router: Router | None = None) -> list[str]:
    """Route and learn like the pipeline does, without storage: each record's collection."""
    router = router or Router()
    collections: dict[str, Collection] = {}
    out = []
    for record in records:
        decision = router.route(record, list(collections.values()))
        if decision.collection not in collections:
            assert decision.created
            collections[decision.collection] = Collection(name=decision.collection)
        router.learn(collections[decision.collection], record)
        out.append(decision.collection)
    return out


# -- field names -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spellings", "canon"),
    [
        (["user_id", "userId", "UserID", "author_id", "senderId"], "user_id"),
        (["ts", "timestamp", "Timestamp", "event_time", "occurredAt"], "time"),
        (["signup_at", "createdAt", "created", "registered_at"], "created_at"),
        (["email", "email_address", "emailAddress", "mail"], "email"),
        (["duration_ms", "duration_s", "latency", "latencyMs"], "duration"),
        (["body", "text", "content", "message", "msg"], "text"),
        (["room", "channel", "channels"], "room"),
        (["host", "hostname", "server"], "host"),
        (["level", "severity", "logLevel"], "level"),
        (["reading", "value", "values"], "value"),
        (["platform", "device", "os"], "device"),
        (["is_active", "active", "isActive"], "active"),
        (["orderNumber", "order_id", "order_ref"], "order_id"),
        (["reactions", "reaction_count"], "reaction"),
    ],
)
def test_field_names_meet_under_one_spelling(spellings: list[str], canon: str) -> None:
    assert {field_name(s).canon for s in spellings} == {canon}


def test_field_name_roles_and_weights() -> None:
    assert field_name("sent_at").concept == "time"
    assert field_name("customer_id").concept == "ref"
    assert field_name("_id").concept == "id"
    assert field_name("email").concept is None
    assert field_name("id").weight < field_name("email").weight


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("email", "ada@example.com", "email"),
        ("ip", "10.1.2.3", "ip"),
        ("ip", "2001:db8::1", "ip"),
        ("url", "https://x.example/a", "url"),
        ("id", "6f1c2a9e-8d2b-4c1e-9a57-3f0b8c1d2e4f", "uuid"),
        ("id", "msg_000123", "pid:msg"),
        ("order_id", "ORD-991", "pid:ord"),
        ("id", "ORD12345", "pid:ord"),
        ("visitor", "v4e12003", "word"),
        ("host", "api-1", "code"),
        ("ts", "2026-01-02T03:04:05Z", "time"),
        ("day", "2026-01-02", "date"),
        ("ts", 1767225600, "time"),
        ("count", 1767225600, "int"),
        ("level", "WARN", "enum"),
        ("phone", "+44 535 269 5754", "phone"),
        ("text", "it's snowing here", "text"),
        ("ok", True, "bool"),
        ("tags", {"a": 1}, "object"),
        ("x", None, "null"),
    ],
)
def test_value_shapes(name: str, value: Any, expected: str) -> None:
    assert shape(value, field_name(name)) == expected


# -- scores and decisions ----------------------------------------------------------------
def test_score_joins_renamed_record_and_explains_why() -> None:
    router = Router()
    messages = Collection(name="messages")
    for i in range(20):
        record = {"id": f"msg_{i}", "user_id": i, "room": "general", "text": "hi there"}
        router.learn(messages, {**record, "sent_at": "2026-01-01T00:00:00Z"})
    renamed = {
        "id": "msg_99",
        "author_id": 3,
        "channel": "random",
        "body": "hello all",
        "timestamp": "2026-02-01T10:00:00Z",
    }
    decision = router.route(renamed, [messages])
    assert decision.collection == "messages" and not decision.created
    assert decision.score >= router.threshold
    assert "author_id~user_id" in decision.reason and "channel~room" in decision.reason
    assert "id prefix msg agrees" in decision.reason


def test_other_id_prefix_keeps_records_apart() -> None:
    router = Router()
    sessions = Collection(name="sessions")
    for i in range(10):
        router.learn(sessions, {"id": f"sess_{i}", "user_id": i, "kind": "web"})
    decision = router.route({"id": "msg_1", "user_id": 1, "kind": "web"}, [sessions])
    assert decision.created
    assert decision.collection == "messages"
    assert "is not the collection's sess" in decision.reason


def test_an_own_id_of_another_name_is_another_kind_of_record() -> None:
    router = Router()
    posts = Collection(name="posts")
    for i in range(10):
        router.learn(
            posts,
            {"post_id": i, "author_id": 1, "title": "t", "body": "a b", "created_at": 1767225600},
        )
    comment = {
        "comment_id": 1,
        "post_id": 3,
        "author_id": 2,
        "body": "a b c",
        "created_at": 1767225700,
    }
    decision = router.route(comment, [posts])
    assert decision.created and decision.collection == "comments"
    assert "own id comment_id is not the collection's post_id" in decision.reason
    # A record that only links things (two references and a time) has no own id.
    like = router.fields({"user_id": 1, "post_id": 2, "liked_at": 1767225600})
    assert not any(f.own for f in like)


def test_unrelated_record_makes_a_new_collection_with_the_best_fit_in_the_reason() -> None:
    router = Router()
    logs = Collection(name="logs")
    router.learn(logs, {"ts": "2026-01-01T00:00:00Z", "level": "INFO", "message": "up"})
    decision = router.route({"email": "a@b.io", "username": "ab", "age": 30}, [logs])
    assert decision.created and decision.collection == "users"
    assert decision.score < router.threshold
    assert "best fit logs" in decision.reason


@pytest.mark.parametrize(
    ("record", "name"),
    [
        ({"id": "sess_123", "user_id": 1}, "sessions"),
        ({"id": "msg_1", "user_id": 1}, "messages"),
        ({"id": "ord-9", "total": 3}, "orders"),
        ({"_id": "txn_77", "amount": 3}, "transactions"),
        ({"invoice_id": 5, "customer_id": 1, "due": "2026-01-01"}, "invoices"),
        ({"email": "a@b.io", "username": "ab"}, "users"),
        ({"ts": "2026-01-01T00:00:00Z", "level": "ERROR", "message": "boom"}, "logs"),
        ({"metric": "cpu", "value": 0.5, "unit": "%", "host": "a"}, "metrics"),
        ({"channel": "general", "body": "hi", "sender": "bo"}, "messages"),
        ({"login_at": "2026-01-01T00:00:00Z", "logout_at": None, "ip": "10.0.0.1"}, "sessions"),
        ({"amount": 12.5, "items": [{"sku": "A"}], "customer_id": 4}, "orders"),
        ({"user_id": 4, "page_url": "https://x.example/", "viewed_at": 1767225600}, "page_views"),
        ({"event_type": "click", "user_id": 3, "ts": 1767225600}, "events"),
        ({"a": 1, "b": "x"}, "records"),
    ],
)
def test_new_collection_names(record: dict[str, Any], name: str) -> None:
    router = Router()
    chosen, _why = suggest_name(router.fields(record), taken=())
    assert chosen == name
    assert is_valid_collection_name(chosen)


def test_new_collection_name_avoids_taken_names() -> None:
    fields = Router().fields({"ts": "2026-01-01T00:00:00Z", "level": "INFO", "message": "x"})
    name, why = suggest_name(fields, taken={"logs"})
    assert name != "logs" and is_valid_collection_name(name)
    name, why = suggest_name(fields, taken={"logs", "records"})
    assert name == "logs_2" and "taken" in why


def test_memo_is_dropped_when_collections_change() -> None:
    router = Router()
    record = {"id": "sess_1", "device": "web", "ip": "10.0.0.1"}
    first = router.route(record, [])
    assert first.created
    sessions = Collection(name=first.collection)
    router.learn(sessions, record)
    again = router.route({**record, "id": "sess_2"}, [sessions])
    assert again.collection == "sessions" and not again.created


# -- learning ----------------------------------------------------------------------------
def test_signature_learns_and_is_persisted(tmp_path: Path) -> None:
    target = tmp_path / "data"
    with thermodb.open(target) as db:
        db.ingest([{"id": f"evt_{i}", "color": "red", "n": i} for i in range(1, 31)])
        (coll,) = db.collections()
        assert coll.name == "events"
        assert coll.signature["#"] == 30
        assert coll.signature["f|color"] == 30
        assert coll.signature["s|id|pid:evt"] == 30
    with thermodb.open(target) as db:
        sig = db.collection("events").signature
        assert sig["#"] == 30
        db.ingest([{"id": "evt_99", "color": "blue", "n": 4, "extra": True}])
        sig = db.collection("events").signature
        assert sig["#"] == 31 and sig["f|extra"] == 1


def test_signature_stays_bounded() -> None:
    router = Router()
    coll = Collection(name="wide")
    for i in range(400):
        router.learn(coll, {"id": i, **{f"field_{i}_{j}": j for j in range(5)}})
    assert len(coll.signature) <= MAX_KEYS + 20
    assert json.loads(json.dumps(coll.signature)) == coll.signature


def test_collections_filled_by_name_are_learned_from_their_schema(sqlite_db: Database) -> None:
    sqlite_db.ingest(
        [{"order_no": i, "total": 10.0 + i, "items": [i]} for i in range(50)], collection="orders"
    )
    sqlite_db.ingest(
        [{"sku": f"S{i}", "price": 2.5, "title": "t"} for i in range(50)], collection="products"
    )
    report = sqlite_db.ingest(
        [{"order_no": 99, "total": 5.0, "items": [1, 2]}, {"sku": "S99", "price": 1.0}],
        explain=True,
    )
    assert [d.collection for d in report.decisions] == ["orders", "products"]
    assert report.created == []


def test_dry_run_routes_but_writes_nothing(db: Database) -> None:
    report = db.ingest(
        [{"id": "msg_1", "room": "a", "text": "hi"}, {"level": "INFO", "message": "x"}],
        explain=True,
        dry_run=True,
    )
    assert [d.collection for d in report.decisions] == ["messages", "logs"]
    assert db.collections() == []


# -- accuracy ----------------------------------------------------------------------------
def test_classify_set_into_an_empty_database(db: Database, dev_set: Path) -> None:
    records = load(dev_set / "classify.ndjson")
    labels = [r["domain"] for r in load(dev_set / "classify_labels.jsonl")]
    report = db.ingest(records, explain=True, on_error="skip")
    decisions = sorted(report.decisions, key=lambda d: d.line)
    assert [d.line for d in decisions] == list(range(1, len(records) + 1))
    scores = routing_scores([d.collection for d in decisions], labels)
    assert scores.accuracy >= 0.98, scores
    assert scores.purity >= 0.98
    assert scores.collections == 5
    assert sorted(c.name for c in db.collections()) == sorted(DEV_COLLECTIONS)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_classify_set_in_any_order(dev_set: Path, seed: int) -> None:
    pairs = list(
        zip(
            load(dev_set / "classify.ndjson"),
            [r["domain"] for r in load(dev_set / "classify_labels.jsonl")],
            strict=True,
        )
    )
    random.Random(seed).shuffle(pairs)
    scores = routing_scores(route_all([r for r, _ in pairs]), [label for _, label in pairs])
    assert scores.accuracy >= 0.98 and scores.collections == 5, scores


def test_classify_set_into_the_dev_collections(sqlite_db: Database, dev_set: Path) -> None:
    for name in DEV_COLLECTIONS:
        sqlite_db.ingest(dev_set / f"{name}.ndjson", collection=name)
    records = load(dev_set / "classify.ndjson")
    labels = [r["domain"] for r in load(dev_set / "classify_labels.jsonl")]
    report = sqlite_db.ingest(records, explain=True, on_error="skip")
    decisions = sorted(report.decisions, key=lambda d: d.line)
    right = sum(d.collection == label for d, label in zip(decisions, labels, strict=True))
    assert right / len(labels) >= 0.98
    assert report.created == []


@pytest.mark.parametrize("seed", [3, 5, 8])
def test_another_vocabulary_into_an_empty_database(seed: int) -> None:
    pairs = shop_records(seed=seed, per_domain=50)
    scores = routing_scores(route_all([r for _, r in pairs]), [d for d, _ in pairs])
    assert scores.accuracy >= 0.98 and scores.collections == len(DOMAINS), scores


def test_another_vocabulary_names_and_existing_collections(sqlite_db: Database) -> None:
    pairs = shop_records(seed=4, per_domain=40)
    report = sqlite_db.ingest([r for _, r in pairs], explain=True, on_error="skip")
    scores = routing_scores([d.collection for d in report.decisions], [d for d, _ in pairs])
    assert scores.accuracy >= 0.98
    # Named from ids and field patterns, not from this vocabulary: most names say the domain.
    assert sum(c == d for c, d in scores.mapping.items()) >= 4, scores.mapping

    by_domain: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for domain, record in shop_records(seed=9, per_domain=100):
        by_domain[domain].append(record)
    with thermodb.open(Path(sqlite_db.target).parent / "named") as named:
        for domain, rows in by_domain.items():
            named.ingest(rows, collection=domain, on_error="skip")
        report = named.ingest([r for _, r in pairs], explain=True, on_error="skip")
        right = sum(
            d.collection == label for d, (label, _) in zip(report.decisions, pairs, strict=True)
        )
        assert right / len(pairs) >= 0.98
        assert report.created == []


def test_routing_scores_maps_collections_one_to_one() -> None:
    scores = routing_scores(["a", "a", "b", "c", "c"], ["x", "x", "x", "y", "y"])
    assert scores.mapping == {"a": "x", "c": "y"}
    assert scores.accuracy == pytest.approx(4 / 5)
    assert scores.purity == 1.0 and scores.collections == 3


# -- the command line --------------------------------------------------------------------


def test_cli_explain_prints_one_json_line_per_record(tmp_path: Path) -> None:
    src = tmp_path / "mixed.ndjson"
    rows = [
        {"id": "sess_1", "device": "web", "ip": "10.0.0.1", "started_at": "2026-01-01T00:00:00Z"},
        {"ts": "2026-01-01T00:00:01Z", "level": "INFO", "message": "ok", "host": "a"},
        {"id": "sess_2", "device": "ios", "ip": "10.0.0.2", "started_at": "2026-01-01T00:01:00Z"},
    ]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    data = tmp_path / "d"
    r = run_cli("ingest", str(src), "--explain", "--dry-run", "--format", "json", data=data)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [d["line"] for d in lines] == [1, 2, 3]
    assert [d["collection"] for d in lines] == ["sessions", "logs", "sessions"]
    assert all({"line", "collection", "score", "reason"} <= d.keys() for d in lines)
    assert lines[2]["score"] >= 0.5 and "fits sessions" in lines[2]["reason"]
    r = run_cli("collections", "--format", "json", data=data)
    assert json.loads(r.stdout)["rows"] == []  # --dry-run wrote nothing

    r = run_cli("ingest", str(src), "--explain", data=data)
    assert r.returncode == 0, r.stderr
    assert "routing" in r.stdout and "named from id prefix 'sess'" in r.stdout


def test_records_without_fields_share_one_collection() -> None:
    router = Router()
    first = router.route({}, [])
    assert (first.collection, first.created) == ("records", True)
    records = Collection(name="records")
    router.learn(records, {})
    again = router.route({}, [records])
    assert (again.collection, again.created) == ("records", False)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=20), _json_values, max_size=8), max_size=12))
def test_any_records_route_to_valid_names_and_learning_stays_json(
    records: list[dict[str, Any]],
) -> None:
    router = Router()
    collections: dict[str, Collection] = {}
    for record in records:
        decision = router.route(record, list(collections.values()))
        assert is_valid_collection_name(decision.collection)
        assert decision.created == (decision.collection not in collections)
        assert 0.0 <= decision.score <= 1.0 and decision.reason
        target = collections.setdefault(decision.collection, Collection(name=decision.collection))
        router.learn(target, record)
    for coll in collections.values():
        assert Collection.model_validate_json(coll.model_dump_json()).signature == coll.signature
