"""Data, clocks and workloads shared by the intelligence tests."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from thermodb.config import load_settings
from thermodb.database import Database

T0 = 1_800_000_000.0
"""A whole hour (UNIX seconds) the simulated clocks start at."""


class Clock:
    """A simulated clock the query log and advisor read (tests move it by hours)."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now

    def advance(self, hours: float) -> None:
        self.now += hours * 3600


def open_db(url: str, **insights: Any) -> Database:
    settings = load_settings(url)
    settings.insights = {
        "min_calls": 10,
        "slow_ms": 0.0,
        "min_validation_calls": 10,
        "min_pass_interval_s": 0,
        "advise_every_s": 0,
        "keep_gain": 0.1,  # the loop is under test here; the speed-up itself in benchmarks
        **insights,
    }
    return Database(url, settings)


def events(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """Events with a selective ``user_id``, an unselective ``flag`` and a time field."""
    rnd = random.Random(seed)
    return [
        {
            "eid": i,
            "user_id": rnd.randrange(2000),
            "kind": f"k{rnd.randrange(5)}",
            "flag": rnd.random() < 0.5,
            "value": round(rnd.random() * 100, 3),
            "ts": f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
        }
        for i in range(n)
    ]


def by_user(rnd: random.Random) -> dict[str, Any]:
    return {
        "collection": "events",
        "where": {"field": "user_id", "op": "=", "value": rnd.randrange(2000)},
        "aggregates": [{"fn": "count"}, {"fn": "sum", "field": "value"}],
    }


def replay(db: Database, make: Callable[[random.Random], dict[str, Any]], n: int) -> None:
    rnd = random.Random(n)
    for _ in range(n):
        db.query(make(rnd))
