"""Write the data of the shop question set (standard library only, fixed seed).

    python tests/nlq_shop/generate.py

An online shop ("Shoply") with five collections in its own vocabulary, none of them named
like the chat product of the public dev set: ``customers``, ``orders``, ``page_views``,
``tickets`` and ``invoices``. NOW is 2026-05-20T10:00:00Z (a Wednesday) and all data lies
in the 150 days before it. Every run writes byte-identical files.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NOW = datetime(2026, 5, 20, 10, 0, tzinfo=UTC)
START = NOW - timedelta(days=150)

COUNTRIES = [
    ("Portugal", 8),
    ("Spain", 10),
    ("France", 12),
    ("Canada", 9),
    ("Brazil", 7),
    ("Australia", 6),
    ("India", 8),
    ("Mexico", 5),
    ("Netherlands", 6),
    ("Ireland", 4),
]
SEGMENTS = [("consumer", 70), ("small_business", 22), ("enterprise", 8)]
TIERS = [("bronze", 55), ("silver", 30), ("gold", 15)]
FIRST = [
    "Ana",
    "Bruno",
    "Carla",
    "Diego",
    "Elena",
    "Farid",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Kenji",
    "Lucia",
    "Marta",
    "Nadia",
    "Omar",
    "Priya",
    "Rafael",
    "Sofia",
    "Tomas",
    "Yara",
]
LAST = [
    "Almeida",
    "Bauer",
    "Costa",
    "Dubois",
    "Esposito",
    "Fischer",
    "Garcia",
    "Haas",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Moreau",
    "Nunes",
    "Ortiz",
    "Pereira",
]
DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "proton.me", "northwind.io"]
PRODUCTS = [
    ("SKU-BOOT", 89.0),
    ("SKU-BAG", 45.5),
    ("SKU-SCARF", 19.9),
    ("SKU-JACKET", 149.0),
    ("SKU-SOCKS", 7.5),
    ("SKU-HAT", 24.0),
    ("SKU-BELT", 32.0),
    ("SKU-WATCH", 210.0),
]
STATUSES = [("delivered", 55), ("shipped", 18), ("pending", 10), ("cancelled", 9), ("refunded", 8)]
CHANNELS = [("web", 60), ("mobile_app", 30), ("marketplace", 10)]
PATHS = [
    "/",
    "/cart",
    "/checkout",
    "/search",
    "/c/shoes",
    "/c/bags",
    "/c/outerwear",
    "/p/boot",
    "/p/jacket",
    "/p/watch",
    "/account",
    "/help/returns",
]
REFERRERS = [
    (None, 35),
    ("google", 30),
    ("instagram", 12),
    ("newsletter", 10),
    ("bing", 6),
    ("facebook", 7),
]
SUBJECTS = [
    "Where is my order?",
    "Refund not received yet",
    "Wrong size delivered",
    "Package arrived damaged",
    "Cannot log in to my account",
    "Change delivery address",
    "Discount code not working",
    "Invoice shows the wrong VAT number",
    "Item missing from parcel",
    "Question about warranty",
    "Payment failed twice",
    "Please cancel my order",
]
AGENTS = ["maria", "li", "sam", "olga", "dev"]
PRIORITIES = [("low", 35), ("normal", 40), ("high", 18), ("urgent", 7)]


def pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def grow(rng: random.Random, lo: datetime, hi: datetime) -> datetime:
    """A time in [lo, hi), denser towards hi (the shop grows), on daytime hours mostly."""
    span = (hi - lo).total_seconds()
    frac = rng.random() ** 0.7
    t = lo + timedelta(seconds=int(span * frac))
    if rng.random() < 0.7:
        day = t.replace(hour=rng.choice([9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]))
        t = day if day < hi else t
    return max(t, lo)


def customers(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for n in range(1, 301):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        created = grow(rng, START, NOW - timedelta(hours=2))
        rec: dict[str, Any] = {
            "customer_id": n,
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}{n}@{rng.choice(DOMAINS)}",
            "country": pick(rng, COUNTRIES),
            "segment": pick(rng, SEGMENTS),
            "tier": pick(rng, TIERS),
            "is_active": rng.random() < 0.82,
            "marketing_opt_in": rng.random() < 0.4,
            "created_at": iso(created),
            "last_order_at": None,
            "phone": None
            if rng.random() < 0.3
            else f"+{rng.randrange(10, 99)} {rng.randrange(10**8, 10**9)}",
            "address": {
                "city": rng.choice(["North", "South", "Old", "New"]) + "ville",
                "postcode": f"{rng.randrange(1000, 9999)}",
            },
        }
        if rng.random() < 0.12:
            del rec["marketing_opt_in"]
        out.append(rec)
    return out


def orders(rng: random.Random, custs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    weights = [rng.paretovariate(1.3) for _ in custs]
    buyers = [c for c in custs if rng.random() < 0.85]
    bw = [weights[c["customer_id"] - 1] for c in buyers]
    out = []
    for n in range(1, 1501):
        c = rng.choices(buyers, bw)[0]
        placed = grow(rng, datetime.fromisoformat(c["created_at"]), NOW)
        items = []
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
            sku, price = rng.choice(PRODUCTS)
            items.append({"sku": sku, "qty": rng.choice([1, 1, 1, 2, 3]), "price": price})
        total = round(sum(i["qty"] * i["price"] for i in items) * rng.uniform(0.85, 1.0), 2)
        status = pick(rng, STATUSES)
        if placed > NOW - timedelta(days=2) and status in ("delivered", "refunded"):
            status = "pending"
        rec: dict[str, Any] = {
            "order_id": f"ORD-{10000 + n}",
            "customer_id": c["customer_id"],
            "total_amount": total,
            "currency": pick(rng, [("EUR", 60), ("USD", 25), ("GBP", 15)]),
            "status": status,
            "channel": pick(rng, CHANNELS),
            "placed_at": iso(placed),
            "shipped_at": None,
            "items": items,
            "item_count": sum(i["qty"] for i in items),
            "coupon_code": rng.choice(["SPRING10", "WELCOME5", "VIP20"])
            if rng.random() < 0.15
            else None,
            "shipping": {
                "method": pick(rng, [("standard", 70), ("express", 30)]),
                "cost": rng.choice([0.0, 4.9, 9.9]),
            },
        }
        if status in ("shipped", "delivered", "refunded"):
            shipped = min(placed + timedelta(hours=rng.randrange(4, 72)), NOW)
            rec["shipped_at"] = iso(shipped)
        out.append(rec)
    out.sort(key=lambda r: r["placed_at"])
    for i, rec in enumerate(out, 1):
        rec["order_id"] = f"ORD-{10000 + i}"
    last: dict[int, str] = {}
    for rec in out:
        last[rec["customer_id"]] = rec["placed_at"]
    for c in custs:
        c["last_order_at"] = last.get(c["customer_id"])
    return out


def page_views(rng: random.Random, custs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for n in range(1, 2201):
        ts = grow(rng, START, NOW)
        visitor = f"v{rng.randrange(1, 700):04d}"
        known = rng.random() < 0.35
        rec: dict[str, Any] = {
            "view_id": f"pv_{n:05d}",
            "visitor_id": visitor,
            "session_id": f"s{rng.randrange(1, 1400):05d}",
            "customer_id": rng.choice(custs)["customer_id"] if known else None,
            "path": rng.choice(PATHS),
            "referrer": pick(rng, REFERRERS),
            "device": pick(rng, [("desktop", 50), ("mobile", 42), ("tablet", 8)]),
            "duration_ms": int(rng.lognormvariate(9.5, 1.0)),
            "ts": iso(ts),
        }
        if rng.random() < 0.05:
            del rec["duration_ms"]
        out.append(rec)
    out.sort(key=lambda r: r["ts"])
    for i, rec in enumerate(out, 1):
        rec["view_id"] = f"pv_{i:05d}"
    return out


def tickets(rng: random.Random, custs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for n in range(1, 401):
        c = rng.choice(custs)
        opened = grow(rng, datetime.fromisoformat(c["created_at"]), NOW)
        status = pick(rng, [("open", 20), ("pending", 15), ("solved", 40), ("closed", 25)])
        closed = None
        if status in ("solved", "closed"):
            closed = min(opened + timedelta(minutes=int(rng.lognormvariate(7, 1.2))), NOW)
        out.append(
            {
                "ticket_id": f"T-{n:04d}",
                "customer_id": c["customer_id"],
                "subject": rng.choice(SUBJECTS),
                "priority": pick(rng, PRIORITIES),
                "status": status,
                "assignee": None if rng.random() < 0.15 else rng.choice(AGENTS),
                "opened_at": iso(opened),
                "closed_at": iso(closed) if closed else None,
                "satisfaction": rng.randrange(1, 6) if closed and rng.random() < 0.6 else None,
                "tags": rng.sample(
                    ["shipping", "returns", "billing", "account", "product"], rng.randrange(0, 3)
                ),
            }
        )
    out.sort(key=lambda r: r["opened_at"])
    for i, rec in enumerate(out, 1):
        rec["ticket_id"] = f"T-{i:04d}"
    return out


def invoices(rng: random.Random, custs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    business = [c for c in custs if c["segment"] != "consumer"]
    out = []
    for n in range(1, 601):
        c = rng.choice(business)
        issued = grow(rng, datetime.fromisoformat(c["created_at"]), NOW)
        due = issued + timedelta(days=30)
        status = "paid" if rng.random() < 0.7 else ("overdue" if due < NOW else "unpaid")
        if rng.random() < 0.04:
            status = "void"
        paid = None
        if status == "paid":
            paid = min(issued + timedelta(days=rng.randrange(0, 40), hours=rng.randrange(24)), NOW)
        out.append(
            {
                "invoice_id": f"INV-{n:05d}",
                "customer_id": c["customer_id"],
                "amount": round(rng.lognormvariate(6, 0.8), 2),
                "currency": pick(rng, [("EUR", 70), ("USD", 30)]),
                "status": status,
                "issued_at": iso(issued),
                "due_at": iso(due),
                "paid_at": iso(paid) if paid else None,
                "payment_method": pick(rng, [("card", 50), ("bank_transfer", 40), ("paypal", 10)])
                if paid
                else None,
            }
        )
    out.sort(key=lambda r: r["issued_at"])
    for i, rec in enumerate(out, 1):
        rec["invoice_id"] = f"INV-{i:05d}"
    return out


def main(out: Path = HERE) -> None:
    """Write the five collections and manifest.json into ``out``."""
    rng = random.Random(20260520)
    custs = customers(rng)
    data = {
        "orders": orders(rng, custs),
        "page_views": page_views(rng, custs),
        "tickets": tickets(rng, custs),
        "invoices": invoices(rng, custs),
    }
    data = {"customers": custs, **data}
    for name, records in data.items():
        with (out / f"{name}.ndjson").open("w") as f:
            for rec in records:
                f.write(json.dumps(rec, separators=(",", ":")) + "\n")
    manifest = {"now": iso(NOW), "collections": {n: f"{n}.ndjson" for n in data}}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
