"""Masks on JSON fields and nested paths (finding 3): no leaf comes back unmasked, by
listing, by key, by lookup link or through describe's examples; no filter reveals one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from thermodb.database import Database
from thermodb.errors import PermissionDeniedError
from thermodb.query.spec import QuerySpec
from thermodb.security.config import MaskRule, SecurityConfig
from thermodb.security.gateway import Gateway
from thermodb.security.principal import Principal

PEOPLE = [
    {"id": 1, "name": "ann", "profile": {"ssn": "111-22-3333", "city": "Oslo"},
     "card": {"number": "4111111111111111", "brand": "visa"}},
    {"id": 2, "name": "bob", "profile": {"ssn": "444-55-6666", "city": "Rome"},
     "card": {"number": "5500000000000004", "brand": "mc"}},
]  # fmt: skip
ORDERS = [{"oid": 7, "person_id": 1, "total": 5}, {"oid": 8, "person_id": 2, "total": 9}]
SECRETS = ("111-22-3333", "444-55-6666", "4111111111111111", "5500000000000004")
READER = Principal(subject="reader", role="reader")


@pytest.fixture
def gateway(db: Database) -> Iterator[Gateway]:
    db.ingest(PEOPLE, collection="people", key="id")
    db.ingest(ORDERS, collection="orders", key="oid")
    masks = {"people": {"profile": MaskRule(), "card.number": MaskRule(style="last4")}}
    yield Gateway(db, SecurityConfig(masks=masks, audit_reads=False))


def _text(answer: Any) -> str:
    return str(answer.to_dict()["rows"] if hasattr(answer, "to_dict") else answer)


@pytest.mark.parametrize(
    "spec",
    [
        {"collection": "people"},
        {"collection": "people", "select": ["id", "profile.ssn"]},
        {"collection": "people", "select": ["id", "profile"]},
        {"collection": "people", "select": ["id", "card"]},
        {"collection": "people", "select": ["id", "card.number"]},
        {
            "collection": "orders",
            "links": [{"collection": "people", "kind": "lookup", "alias": "p"}],
            "select": ["oid", "p.profile.ssn", "p.card.number", "p.card", "p.profile"],
        },
    ],
)
def test_listings_mask_every_leaf(gateway: Gateway, spec: dict[str, Any]) -> None:
    answer = gateway.query(READER, QuerySpec.model_validate(spec))
    assert answer.rows, spec
    leaked = [s for s in SECRETS if s in _text(answer)]
    assert not leaked, (spec, answer.rows)


def test_nested_mask_keeps_the_rest_of_the_object(gateway: Gateway) -> None:
    answer = gateway.query(
        READER, QuerySpec.model_validate({"collection": "people", "select": ["id", "card"]})
    )
    cards = {row[0]: row[1] for row in answer.rows}
    assert cards[1] == {"number": "****1111", "brand": "visa"}


def test_get_and_describe_mask_leaves(gateway: Gateway) -> None:
    record = gateway.get(READER, "people", 1)
    assert record["profile"] == "***" and record["card"]["number"] == "****1111"
    info = gateway.describe(READER, "people")
    assert not [s for s in SECRETS if s in str(info)]
    flags = {f["field"]: f["masked"] for f in info["fields"]}
    assert flags.get("profile.ssn") is True and flags.get("card.number") is True


@pytest.mark.parametrize(
    "spec",
    [
        {"collection": "people", "where": {"field": "profile.ssn", "op": "=", "value": "x"}},
        {"collection": "people", "where": {"field": "card", "op": "not_null"}},
        {"collection": "people", "group_by": [{"field": "card.number"}],
         "aggregates": [{"fn": "count"}]},
        {"collection": "people", "order": [{"field": "profile.city"}]},
        {
            "collection": "orders",
            "links": [{"collection": "people", "kind": "semi",
                       "where": {"field": "card", "op": "not_null"}}],
        },
    ],
)  # fmt: skip
def test_masked_leaves_and_their_parents_cannot_be_filtered(
    gateway: Gateway, spec: dict[str, Any]
) -> None:
    with pytest.raises(PermissionDeniedError):
        gateway.query(READER, QuerySpec.model_validate(spec))


def test_admin_sees_the_values(gateway: Gateway) -> None:
    admin = Principal(subject="admin", role="admin")
    answer = gateway.query(
        admin, QuerySpec.model_validate({"collection": "people", "select": ["profile.ssn"]})
    )
    assert "111-22-3333" in _text(answer)
