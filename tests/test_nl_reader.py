"""Each query shape, end to end, on a small shop database the tests make themselves.

The vocabulary (customers, orders, tier, amount, placed_at...) deliberately differs from the
dev set's, so these check that linking comes from the catalog and the lexicon.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import thermodb
from thermodb.database import Database
from thermodb.errors import NotUnderstoodError

NOW = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)
TIERS = ["gold", "silver", "bronze"]
COUNTRIES = ["France", "Japan", "Brazil"]
STATUSES = ["PAID", "REFUNDED", "PENDING"]


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _customers() -> list[dict[str, object]]:
    out = []
    for i in range(1, 31):
        out.append(
            {
                "id": i,
                "email": f"c{i}@{'shop' if i % 5 else 'mega'}.example",
                "tier": TIERS[i % 3],
                "country": COUNTRIES[i % 3 if i % 4 else 0],
                "is_vip": i % 4 == 0,
                "age": 20 + i,
                "phone": None if i % 6 == 0 else f"+33 {i:04d}",
                "created_at": _iso(NOW - timedelta(days=3 * i)),
                "last_login_at": _iso(NOW - timedelta(days=i)),
            }
        )
    return out


def _orders() -> list[dict[str, object]]:
    out = []
    for n in range(1, 121):
        out.append(
            {
                "order_id": f"o{n:04d}",
                "customer_id": 1 + (n * 7) % 25,
                "status": STATUSES[n % 3],
                "amount": float(n % 17) * 10 + 5,
                "items": n % 5,
                "placed_at": _iso(NOW - timedelta(hours=13 * n)),
                "note": "gift wrap please" if n % 10 == 0 else "standard delivery",
                "delivery_ms": 1000 * (n % 9),
            }
        )
    return out


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path: Path = tmp_path_factory.mktemp("shop") / "data"
    db = thermodb.open(path)
    db.ingest(_customers(), collection="customers")
    db.ingest(_orders(), collection="orders")
    yield db
    db.close()


def ask(db: Database, q: str, **kw: object) -> list[list[object]]:
    return db.ask(q, now=NOW, **kw).rows  # type: ignore[arg-type]


def orders_where(pred: object) -> list[dict[str, object]]:
    return [o for o in _orders() if pred(o)]  # type: ignore[operator]


def test_count_and_synonym_collection(shop: Database) -> None:
    assert ask(shop, "How many customers are there?") == [[30]]
    assert ask(shop, "how many clients do we have") == [[30]]
    assert ask(shop, "How many purchases were made?") == [[120]]


def test_value_linking_case_and_plural(shop: Database) -> None:
    paid = len(orders_where(lambda o: o["status"] == "PAID"))
    assert ask(shop, "how many paid orders") == [[paid]]
    refunds = len(orders_where(lambda o: o["status"] == "REFUNDED"))
    assert ask(shop, "count the refunded orders") == [[refunds]]
    gold = sum(1 for c in _customers() if c["tier"] == "gold")
    assert ask(shop, "how many gold customers") == [[gold]]


def test_aggregates(shop: Database) -> None:
    amounts = [float(o["amount"]) for o in _orders()]  # type: ignore[arg-type]
    assert ask(shop, "what is the average amount of orders")[0][0] == pytest.approx(
        sum(amounts) / len(amounts)
    )
    assert ask(shop, "total amount of paid orders")[0][0] == pytest.approx(
        sum(float(o["amount"]) for o in orders_where(lambda o: o["status"] == "PAID"))  # type: ignore[arg-type]
    )
    assert ask(shop, "highest amount of an order") == [[max(amounts)]]


def test_comparisons_and_units(shop: Database) -> None:
    assert ask(shop, "how many orders have an amount of more than 100") == [
        [len(orders_where(lambda o: o["amount"] > 100))]
    ]
    assert ask(shop, "how many orders with at least 3 items") == [
        [len(orders_where(lambda o: o["items"] >= 3))]
    ]
    # "over 5 seconds" on a *_ms field
    assert ask(shop, "how many orders took delivery_ms over 5 seconds") == [
        [len(orders_where(lambda o: o["delivery_ms"] > 5000))]
    ]
    assert ask(shop, "show customers older than 45") == [[i] for i in range(26, 31)] or True
    rows = ask(shop, "show customers older than 45")
    assert sorted(r[0] for r in rows) == list(range(26, 31))


def test_group_by_field_and_bucket(shop: Database) -> None:
    rows = ask(shop, "number of orders by status")
    assert sorted(map(tuple, rows)) == [("PAID", 40), ("PENDING", 40), ("REFUNDED", 40)]
    daily = ask(shop, "orders per day in the past week")
    assert sum(r[1] for r in daily) == len(  # type: ignore[misc]
        orders_where(lambda o: o["placed_at"] >= _iso(NOW - timedelta(days=7)))
    )
    assert all(len(str(r[0])) == 10 for r in daily)  # a day bucket is a date


def test_top_bottom_and_latest(shop: Database) -> None:
    rows = ask(shop, "top 3 orders by amount")
    assert [r[1] for r in rows] == sorted((o["amount"] for o in _orders()), reverse=True)[:3]
    latest = ask(shop, "show the latest 2 orders")
    assert [r[0] for r in latest] == ["o0001", "o0002"]
    counts = ask(shop, "top 2 countries by number of customers")
    assert len(counts) == 2 and counts[0][1] >= counts[1][1]  # type: ignore[operator]


def test_text_contains_on_main_text_field(shop: Database) -> None:
    assert ask(shop, "how many orders mention 'GIFT'") == [[12]]


def test_null_and_boolean(shop: Database) -> None:
    assert ask(shop, "how many customers have no phone") == [[5]]
    assert ask(shop, "how many vip customers") == [[7]]
    assert ask(shop, "how many customers are not vip") == [[23]]


def test_distinct(shop: Database) -> None:
    assert ask(shop, "how many different countries do customers come from") == [[3]]
    assert sorted(r[0] for r in ask(shop, "what are the distinct statuses of orders")) == sorted(
        STATUSES
    )


def test_cross_collection(shop: Database) -> None:
    gold = {c["id"] for c in _customers() if c["tier"] == "gold"}
    assert ask(shop, "how many orders from gold customers") == [
        [len(orders_where(lambda o: o["customer_id"] in gold))]
    ]
    buyers = {o["customer_id"] for o in _orders()}
    never = sorted(c["id"] for c in _customers() if c["id"] not in buyers)
    assert (
        sorted(r[0] for r in ask(shop, "list the customers who have never placed an order"))
        == never
    )


def test_percentile(shop: Database) -> None:
    value = ask(shop, "p50 of amount for orders")[0][0]
    amounts = sorted(float(o["amount"]) for o in _orders())  # type: ignore[arg-type]
    assert value == pytest.approx((amounts[59] + amounts[60]) / 2)


def test_time_field_named_by_verb(shop: Database) -> None:
    signed = sum(1 for c in _customers() if c["created_at"] >= _iso(NOW - timedelta(days=30)))
    assert ask(shop, "how many customers were created in the last 30 days") == [[signed]]


@pytest.mark.parametrize(
    ("question", "needle"),
    [
        ("what is the average salary of customers", "salary"),
        ("how many orders from Atlantis", "atlantis"),
        ("how many orders were placed last fortnightly", "time phrase"),
    ],
)
def test_refusals_name_what_was_not_understood(shop: Database, question: str, needle: str) -> None:
    with pytest.raises(NotUnderstoodError) as info:
        shop.ask(question, now=NOW)
    assert needle in str(info.value)
    assert info.value.exit_code == 6
