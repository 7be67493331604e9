"""Demo users: profiles, sign-up times that follow growth, and who is active how much.

A few heavy users do a large share of everything (activity weights are Pareto-distributed,
and a handful of power users get much more); events pick their user among those who had
signed up by then, in O(log n).
"""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from thermodb.demo.clock import DAY, Timeline, iso_s, weighted_index
from thermodb.demo.vocabulary import (
    COUNTRIES,
    FIRST_NAMES,
    LAST_NAMES,
    MAIL_DOMAINS,
    PLANS,
    ROLES,
    TEAMS,
    TOPICS,
)

__all__ = ["People", "make_people"]


@dataclass
class People:
    """The users of the demo, sorted by sign-up time, and how to pick an active one."""

    records: list[dict[str, Any]]
    signed_up: list[float]
    cumulative: list[float]
    """Cumulative activity weights in sign-up order."""
    last_active: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.last_active = list(self.signed_up)

    def pick(self, rng: random.Random, moment: float, *, active: bool = True) -> int:
        """The index of a user who had signed up by ``moment``, weighted by activity.

        ``active`` says the user did something then (it moves their ``last_active_at``).
        """
        limit = max(1, bisect_right(self.signed_up, moment))
        index = weighted_index(self.cumulative, limit, rng)
        if active and moment > self.last_active[index]:
            self.last_active[index] = moment
        return index

    def id_of(self, index: int) -> int:
        return int(self.records[index]["id"])

    def finish(self, timeline: Timeline) -> None:
        """Set each user's ``last_active_at`` from the activity generated for them."""
        for index, record in enumerate(self.records):
            seen = self.last_active[index]
            record["last_active_at"] = None if seen <= self.signed_up[index] else iso_s(seen)


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def make_people(rng: random.Random, n: int, timeline: Timeline) -> People:
    """``n`` users: a quarter signed up before the window, the rest along its growth."""
    n = max(n, 5)
    before = n // 4
    signups = [timeline.start - rng.random() * 270 * DAY for _ in range(before)]
    signups += timeline.times(rng, n - before, timeline.weights(timeline.growth))
    signups.sort()
    weights = [min(rng.paretovariate(1.2), 60.0) for _ in range(n)]
    for power in rng.sample(range(n), k=max(1, n // 300)):
        weights[power] *= 20
    handles: set[str] = set()
    records = [_user(rng, i + 1, moment, handles) for i, moment in enumerate(signups)]
    return People(records, signups, list(accumulate(weights)))


def _user(rng: random.Random, uid: int, signed_up: float, handles: set[str]) -> dict[str, Any]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    handle = f"{first[0]}{last}".lower()
    while handle in handles:
        handle = f"{first.lower()}{rng.randint(2, 9999)}"
    handles.add(handle)
    country, _, locale, cities = rng.choices(COUNTRIES, weights=[c[1] for c in COUNTRIES])[0]
    plan = _pick(rng, PLANS)
    record: dict[str, Any] = {
        "id": uid,
        "handle": handle,
        "email": f"{handle}@{_pick(rng, MAIL_DOMAINS)}",
        "display_name": f"{first} {last}",
        "plan": plan,
        "role": _pick(rng, ROLES),
        "team": _pick(rng, TEAMS),
        "verified": rng.random() < 0.83,
        "created_at": iso_s(signed_up),
        "last_active_at": None,
        "locale": locale,
        "address": {"country": country, "city": rng.choice(cities)},
    }
    if rng.random() < 0.7:
        record["birth_year"] = rng.randint(1958, 2006)
    if rng.random() < 0.55:
        record["preferences"] = {
            "theme": rng.choice(("light", "dark", "system")),
            "weekly_digest": rng.random() < 0.4,
            "shortcuts": {"vim": rng.random() < 0.08, "compact": rng.random() < 0.3},
        }
    if rng.random() < 0.3:
        record["tags"] = rng.sample(TOPICS, k=rng.randint(1, 3))
    if plan in ("business", "enterprise"):
        record["seats"] = rng.choice((5, 10, 25, 50, 100, 250)) if rng.random() < 0.9 else None
    if rng.random() < 0.12:
        record["referral_code"] = f"KST-{rng.randrange(16**6):06X}"
    return record
