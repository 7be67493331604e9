"""A second routing test set from another product: an online shop, in its own vocabulary.

Five domains (customers, orders, page views, payments, inventory events) with camelCase
names, none of the chat product's field names, overlapping fields between domains
(``customerId``, ``orderNumber``, ``currency``...), optional fields dropped and fields
renamed to near synonyms in about a third of the records, the way records from another
source arrive. Used by ``tests/test_routing.py`` and ``benchmarks/routing_accuracy.py``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["DOMAINS", "shop_records"]

DOMAINS = ("customers", "orders", "page_views", "payments", "inventory_events")
_START = datetime(2026, 1, 1, tzinfo=UTC)
_FIRST = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana", "Ivan", "Jun"]
_LAST = ["Silva", "Okafor", "Novak", "Kim", "Haddad", "Larsen", "Mehta", "Rossi"]
_CITIES = ["Lisbon", "Lagos", "Prague", "Seoul", "Beirut", "Oslo", "Pune", "Milan"]
_PAGES = ["/", "/cart", "/checkout", "/p/{n}", "/c/shoes", "/c/bags", "/search?q=boots"]


def _time(rng: random.Random) -> str:
    moment = _START + timedelta(seconds=rng.randrange(0, 80 * 86400))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _customer(rng: random.Random, n: int) -> dict[str, Any]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    return {
        "customerId": 10_000 + n,
        "firstName": first,
        "lastName": last,
        "emailAddress": f"{first.lower()}.{last.lower()}{n}@mail.example",
        "phoneNumber": f"+351 9{rng.randrange(10_000_000, 99_999_999)}",
        "city": rng.choice(_CITIES),
        "loyaltyTier": rng.choice(["bronze", "silver", "gold"]),
        "marketingOptIn": rng.random() < 0.4,
        "registeredOn": _time(rng),
    }


def _order(rng: random.Random, n: int) -> dict[str, Any]:
    lines = [
        {"sku": f"SKU-{rng.randrange(1000, 9999)}", "qty": rng.randrange(1, 4)}
        for _ in range(rng.randrange(1, 4))
    ]
    return {
        "orderNumber": f"ORD-{200_000 + n}",
        "customerId": 10_000 + rng.randrange(0, 500),
        "placedAt": _time(rng),
        "lineItems": lines,
        "grandTotal": round(rng.uniform(8, 400), 2),
        "currency": rng.choice(["EUR", "USD"]),
        "orderStatus": rng.choice(["placed", "shipped", "delivered", "cancelled"]),
        "shippingCountry": rng.choice(["PT", "NG", "CZ", "KR"]),
    }


def _page_view(rng: random.Random, n: int) -> dict[str, Any]:
    page = rng.choice(_PAGES).format(n=rng.randrange(100, 999))
    return {
        "visitorId": f"v{rng.randrange(16**8):08x}",
        "pageUrl": f"https://shop.example{page}",
        "viewedAt": _time(rng),
        "referrerUrl": rng.choice(["https://www.google.com/", "https://news.example/", ""]),
        "userAgent": rng.choice(["Mozilla/5.0 (iPhone)", "Mozilla/5.0 (Windows NT 10.0)"]),
        "timeOnPageMs": rng.randrange(300, 120_000),
    }


def _payment(rng: random.Random, n: int) -> dict[str, Any]:
    return {
        "paymentRef": f"pay_{rng.randrange(16**10):010x}",
        "orderNumber": f"ORD-{200_000 + rng.randrange(0, 900)}",
        "amountCents": rng.randrange(800, 40_000),
        "currency": rng.choice(["EUR", "USD"]),
        "cardBrand": rng.choice(["visa", "mastercard", "amex"]),
        "paymentStatus": rng.choice(["authorized", "captured", "refunded", "failed"]),
        "processedAt": _time(rng),
    }


def _inventory(rng: random.Random, n: int) -> dict[str, Any]:
    return {
        "sku": f"SKU-{rng.randrange(1000, 9999)}",
        "warehouseCode": f"WH-{rng.randrange(1, 6)}",
        "quantityDelta": rng.choice([-3, -2, -1, 5, 10, 24]),
        "reason": rng.choice(["sale", "restock", "return", "damage"]),
        "onHandAfter": rng.randrange(0, 500),
        "recordedAt": _time(rng),
    }


_BUILDERS: dict[str, Callable[[random.Random, int], dict[str, Any]]] = {
    "customers": _customer,
    "orders": _order,
    "page_views": _page_view,
    "payments": _payment,
    "inventory_events": _inventory,
}
_RENAMES: dict[str, dict[str, str]] = {
    "customers": {"emailAddress": "mail", "registeredOn": "createdAt", "phoneNumber": "mobile"},
    "orders": {"grandTotal": "totalAmount", "placedAt": "orderDate", "lineItems": "items"},
    "page_views": {"pageUrl": "url", "viewedAt": "timestamp", "referrerUrl": "referer"},
    "payments": {"cardBrand": "paymentMethod", "processedAt": "paidAt", "amountCents": "amount"},
    "inventory_events": {"quantityDelta": "qtyChange", "recordedAt": "ts", "reason": "cause"},
}
_OPTIONAL: dict[str, tuple[str, ...]] = {
    "customers": ("phoneNumber", "city", "marketingOptIn", "loyaltyTier"),
    "orders": ("shippingCountry", "orderStatus", "currency"),
    "page_views": ("referrerUrl", "userAgent", "timeOnPageMs"),
    "payments": ("paymentStatus", "currency"),
    "inventory_events": ("onHandAfter", "reason"),
}


def shop_records(seed: int = 7, per_domain: int = 60) -> list[tuple[str, dict[str, Any]]]:
    """Shuffled ``(domain, record)`` pairs: ``per_domain`` of each domain."""
    rng = random.Random(seed)
    out: list[tuple[str, dict[str, Any]]] = []
    for domain, build in _BUILDERS.items():
        for n in range(per_domain):
            record = build(rng, n)
            if rng.random() < 0.3:
                for key in rng.sample(_OPTIONAL[domain], k=rng.randrange(1, 3)):
                    record.pop(key, None)
            if rng.random() < 0.35:
                for old in rng.sample(sorted(_RENAMES[domain]), k=rng.randrange(1, 3)):
                    if old in record:
                        record = {
                            (_RENAMES[domain][old] if k == old else k): v for k, v in record.items()
                        }
            out.append((domain, record))
    rng.shuffle(out)
    return out
