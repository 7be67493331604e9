"""Routing accuracy and throughput (a script, not a test).

Figures:

1. ``classify.ndjson`` of the shared dev set ingested into an EMPTY database with no
   collection named: purity, accuracy under the best one-to-one mapping of collections to
   labels, and collections made (aim: >= 98% and exactly 5).
   The same in random orders (router alone): the worst accuracy and collections made.
2. The same records routed into a database that already holds the five dev collections
   (each ingested by name first): accuracy of landing in the right existing collection.
3. The same two figures for a second vocabulary (an online shop, ``tests/shop_records.py``).
4. Throughput: routing decisions per second of the router alone, and the cost of routing
   inside ingest, as the ratio of routed ingest time to named ingest time of the same
   records in the same run (median of a few runs).

Usage: ``.venv/bin/python benchmarks/routing_accuracy.py [--dev DIR] [--records N]``
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from itertools import zip_longest
from pathlib import Path
from typing import Any

import thermodb
from thermodb.ingest.routing import Router
from thermodb.ingest.routing.evaluation import RoutingScores, routing_scores

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from shop_records import shop_records  # noqa: E402

DEV = ROOT.parent / "shared" / "nlq" / "dev"
DEV_COLLECTIONS = ("users", "messages", "sessions", "logs", "metrics")


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def route_into(target: str, records: list[dict[str, Any]]) -> list[str]:
    """Ingest with routing and explanations; the collection of each record, in order."""
    with thermodb.open(target) as db:
        report = db.ingest(records, explain=True, on_error="skip")
        return [d.collection for d in sorted(report.decisions, key=lambda d: d.line)]


def empty_case(records: list[dict[str, Any]], labels: list[str]) -> RoutingScores:
    with tempfile.TemporaryDirectory() as tmp:
        return routing_scores(route_into(tmp + "/db", records), labels)


def existing_case(
    seed: dict[str, list[dict[str, Any]]], records: list[dict[str, Any]], labels: list[str]
) -> tuple[float, int]:
    """Accuracy of routing into collections filled by name first; and collections after."""
    with tempfile.TemporaryDirectory() as tmp:
        with thermodb.open(tmp + "/db") as db:
            for name, rows in seed.items():
                db.ingest(rows, collection=name)
        assigned = route_into(tmp + "/db", records)
        with thermodb.open(tmp + "/db") as db:
            made = len(db.collections())
    right = sum(a == b for a, b in zip(assigned, labels, strict=True))
    return right / len(labels), made


def shuffled_worst(
    records: list[dict[str, Any]], labels: list[str], orders: int
) -> tuple[float, list[int]]:
    """Route the records in ``orders`` random orders (router alone, learning as it goes):
    the worst accuracy and the number of collections made each time."""
    from thermodb.catalog.model import Collection

    worst, made = 1.0, []
    for seed in range(orders):
        pairs = list(zip(records, labels, strict=True))
        random.Random(seed).shuffle(pairs)
        router, collections, assigned = Router(), {}, []
        for record, _label in pairs:
            decision = router.route(record, list(collections.values()))
            target = collections.get(decision.collection)
            if target is None:
                target = collections[decision.collection] = Collection(name=decision.collection)
            router.learn(target, record)
            assigned.append(decision.collection)
        s = routing_scores(assigned, [label for _, label in pairs])
        worst = min(worst, s.accuracy)
        made.append(s.collections)
    return worst, made


def router_throughput(records: list[dict[str, Any]], n: int) -> float:
    """Route + learn decisions per second of the router alone, with no storage."""
    from thermodb.catalog.model import Collection

    router = Router()
    collections: dict[str, Collection] = {}
    stream = (records * (n // len(records) + 1))[:n]
    started = time.perf_counter()
    for record in stream:
        decision = router.route(record, list(collections.values()))
        target = collections.setdefault(decision.collection, Collection(name=decision.collection))
        router.learn(target, record)
    return n / (time.perf_counter() - started)


def ingest_ratio(
    by_domain: dict[str, list[dict[str, Any]]], stream: list[dict[str, Any]], runs: int = 5
) -> tuple[float, float, float, float]:
    """The cost of routing inside ingest, two ways, as medians over ``runs``.

    Seconds to ingest the same records routed (one call, no collection named) and named
    (one call per collection); their ratio; and the share of the routed ingest's time spent
    inside the router (route + learn, timed in the same run, so load on the machine cancels).
    """
    routed, named, share = [], [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp, thermodb.open(tmp + "/db") as db:
            spent = _time_router(db.router)
            started = time.perf_counter()
            db.ingest(stream, on_error="skip")
            routed.append(time.perf_counter() - started)
            share.append(spent[0] / routed[-1])
        with tempfile.TemporaryDirectory() as tmp, thermodb.open(tmp + "/db") as db:
            started = time.perf_counter()
            for name, rows in by_domain.items():
                db.ingest(rows, collection=name, on_error="skip")
            named.append(time.perf_counter() - started)
    r, m = statistics.median(routed), statistics.median(named)
    return r, m, r / m, statistics.median(share)


def _time_router(router: Router) -> list[float]:
    """Wrap a router's route and learn (on the instance) to add their time to a counter."""
    spent = [0.0]
    route, learn = router.route, router.learn

    def timed_route(*args: Any) -> Any:
        started = time.perf_counter()
        try:
            return route(*args)
        finally:
            spent[0] += time.perf_counter() - started

    def timed_learn(*args: Any) -> None:
        started = time.perf_counter()
        learn(*args)
        spent[0] += time.perf_counter() - started

    router.route = timed_route  # type: ignore[method-assign]
    router.learn = timed_learn  # type: ignore[method-assign]
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--records", type=int, default=100_000, help="for throughput")
    parser.add_argument("--orders", type=int, default=15, help="random orders to try")
    args = parser.parse_args()

    records = load(args.dev / "classify.ndjson")
    labels = [r["domain"] for r in load(args.dev / "classify_labels.jsonl")]
    dev_seed = {name: load(args.dev / f"{name}.ndjson") for name in DEV_COLLECTIONS}
    shop = shop_records(seed=11, per_domain=80)
    shop_seed_rows = shop_records(seed=12, per_domain=200)
    shop_seed: dict[str, list[dict[str, Any]]] = {}
    for domain, record in shop_seed_rows:
        shop_seed.setdefault(domain, []).append(record)

    print("routing accuracy (no collection named)")
    for title, recs, labs, seed in (
        ("dev classify.ndjson", records, labels, dev_seed),
        ("shop vocabulary", [r for _, r in shop], [d for d, _ in shop], shop_seed),
    ):
        s = empty_case(recs, labs)
        acc, made = existing_case(seed, recs, labs)
        worst, counts = shuffled_worst(recs, labs, args.orders)
        print(
            f"  {title}: {s.records} records; empty db: purity {s.purity:.1%}, "
            f"accuracy {s.accuracy:.1%}, {s.collections} collections {sorted(s.mapping)}; "
            f"existing collections: accuracy {acc:.1%} ({made} collections after); "
            f"{args.orders} random orders: worst accuracy {worst:.1%}, "
            f"collections made {sorted(set(counts))}"
        )

    # Throughput: the dev collections' own records, interleaved, as one stream.
    stream = [r for rows in zip_longest(*dev_seed.values()) for r in rows if r is not None]
    rate = router_throughput(stream, args.records)
    print(f"router alone: {rate:,.0f} records/s (route + learn, {args.records:,} records)")
    r, m, ratio, share = ingest_ratio(dev_seed, stream)
    print(
        f"ingest of the {len(stream):,} dev records: routed {r:.2f}s "
        f"({len(stream) / r:,.0f} records/s), named {m:.2f}s: routed/named = {ratio:.2f}x; "
        f"router's share of the routed ingest {share:.0%} (medians of 5)"
    )


if __name__ == "__main__":
    main()
