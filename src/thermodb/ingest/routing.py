"""Routing raw records to collections (the seed's "AI classifier"): explainable scores.

Placeholder interface; the full router is built in its own change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from thermodb.catalog.model import Collection
from thermodb.catalog.naming import plural, singular, split_words

__all__ = ["RouteDecision", "Router"]


@dataclass(frozen=True)
class RouteDecision:
    collection: str
    score: float
    reason: str
    created: bool = False


class Router:
    """Scores a record against each collection's signature; creates one when none fits."""

    threshold = 0.5

    def route(self, record: Mapping[str, Any], collections: Sequence[Collection]) -> RouteDecision:
        tokens = {"_".join(singular(w) for w in split_words(k)) for k in record}
        best: tuple[float, str] | None = None
        for c in collections:
            total = max(c.records, 1)
            common = {t for t, n in c.signature.items() if n / total >= 0.5}
            if not common:
                continue
            score = len(tokens & common) / len(tokens | common)
            if best is None or score > best[0]:
                best = (score, c.name)
        if best and best[0] >= self.threshold:
            return RouteDecision(best[1], round(best[0], 3), f"{best[0]:.0%} of fields shared")
        name = plural(next(iter(tokens), "record").split("_")[0])
        return RouteDecision(name, 0.0, "no collection fits", created=True)

    def learn(self, collection: Collection, record: Mapping[str, Any]) -> None:
        sig = collection.signature
        for k in record:
            t = "_".join(singular(w) for w in split_words(k))
            sig[t] = sig.get(t, 0) + 1
