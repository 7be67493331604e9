"""Scoring a routing against true labels: purity, best one-to-one accuracy, collections made.

Used by the routing benchmark and tests, and useful to anyone checking the router on a
labelled sample of their own data. Collection names are arbitrary, so accuracy maps
collections to labels one-to-one in the way that agrees with the most records (an exact
assignment by dynamic programming over sets of labels; labels are few).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

__all__ = ["RoutingScores", "routing_scores"]


@dataclass(frozen=True)
class RoutingScores:
    records: int
    purity: float
    """Share of records whose collection's majority label is their label."""
    accuracy: float
    """Share of records routed to the collection mapped to their label (one-to-one)."""
    collections: int
    mapping: dict[str, str]
    """Collection → label, the best one-to-one mapping."""


def routing_scores(assigned: Sequence[str], labels: Sequence[str]) -> RoutingScores:
    """Compare the collection each record went to with its true label."""
    if len(assigned) != len(labels):
        raise ValueError(f"{len(assigned)} assignments for {len(labels)} labels")
    pairs = Counter(zip(assigned, labels, strict=True))
    collections = sorted(set(assigned))
    label_list = sorted(set(labels))
    majority = sum(max(n for (c, _), n in pairs.items() if c == coll) for coll in collections)

    @cache
    def best(i: int, used: int) -> tuple[int, tuple[tuple[str, str], ...]]:
        if i == len(collections):
            return 0, ()
        options = [best(i + 1, used)]
        for j, label in enumerate(label_list):
            if not used & (1 << j):
                gain, rest = best(i + 1, used | (1 << j))
                options.append(
                    (gain + pairs[(collections[i], label)], ((collections[i], label), *rest))
                )
        return max(options, key=lambda o: o[0])

    agreed, mapping = best(0, 0)
    n = max(len(labels), 1)
    return RoutingScores(len(labels), majority / n, agreed / n, len(collections), dict(mapping))
