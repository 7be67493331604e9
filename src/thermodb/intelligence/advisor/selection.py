"""Choosing indexes under a budget: the most time saved per hour, net of write overhead.

For a fingerprint served by a candidate (its plan uses the index and the planner's cost
falls by at least ``min_estimated_gain``), the expected median is the observed median
scaled by the cost ratio. A candidate's gain is the sum over fingerprints of
calls/hour × ms saved, counted only beyond what already-chosen indexes save (greedy, so two
indexes never take credit for the same speed-up); a statement the planner would run
*slower* with it counts against it (calls/hour × ms lost). Its overhead is the
collection's rows written per hour × columns × ``write_cost_ms``. Candidates are taken
by net gain while it is positive and the budget (count per pass, per collection,
estimated bytes) allows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from thermodb.intelligence.advisor.backend import Estimate
from thermodb.intelligence.advisor.candidates import Candidate

__all__ = ["Budget", "Scored", "choose"]


@dataclass
class Scored:
    candidate: Candidate
    estimates: dict[str, Estimate]
    """Per fingerprint id."""
    size_bytes: int
    overhead_ms_per_hour: float
    gain_ms_per_hour: float = 0.0
    serves: list[str] = field(default_factory=list)

    @property
    def net(self) -> float:
        return self.gain_ms_per_hour - self.overhead_ms_per_hour

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.candidate.name,
            "collection": self.candidate.collection,
            "columns": list(self.candidate.columns),
            "serves": self.serves,
            "gain_ms_per_hour": round(self.gain_ms_per_hour, 3),
            "overhead_ms_per_hour": round(self.overhead_ms_per_hour, 3),
            "net_ms_per_hour": round(self.net, 3),
            "size_bytes": self.size_bytes,
            "estimates": {fid: e.to_json() for fid, e in self.estimates.items()},
        }


@dataclass
class Budget:
    new: int
    per_collection: dict[str, int]
    """Advisor indexes each collection may still get."""
    bytes: int


def expected_ms(estimate: Estimate, observed_ms: float, min_gain: float) -> float | None:
    """The median expected with the index, or None if it does not serve the statement."""
    if not estimate.used or estimate.ratio > 1 - min_gain:
        return None
    return observed_ms * estimate.ratio


def choose(
    scored: Sequence[Scored],
    observed_ms: Mapping[str, float],
    calls_per_hour: Mapping[str, float],
    budget: Budget,
    min_gain: float,
    max_regression: float = 0.1,
) -> list[Scored]:
    best = dict(observed_ms)
    chosen: list[Scored] = []
    left = list(scored)
    while left and len(chosen) < budget.new:
        for item in left:
            item.gain_ms_per_hour, item.serves = 0.0, []
            for fid, estimate in item.estimates.items():
                if estimate.used and estimate.ratio > 1 + max_regression:
                    # the planner would pick it and be slower: that costs, it does not save
                    slower = observed_ms.get(fid, 0.0) * (estimate.ratio - 1)
                    item.gain_ms_per_hour -= calls_per_hour.get(fid, 0.0) * slower
                    continue
                after = expected_ms(estimate, observed_ms.get(fid, 0.0), min_gain)
                if after is None or after >= best.get(fid, 0.0):
                    continue
                item.serves.append(fid)
                item.gain_ms_per_hour += calls_per_hour.get(fid, 0.0) * (best[fid] - after)
        fitting = [
            s
            for s in left
            if s.net > 0
            and budget.per_collection.get(s.candidate.collection, 0) > 0
            and s.size_bytes <= budget.bytes
        ]
        if not fitting:
            break
        pick = max(fitting, key=lambda s: (s.net, -len(s.candidate.columns)))
        chosen.append(pick)
        left.remove(pick)
        budget.per_collection[pick.candidate.collection] -= 1
        budget.bytes -= pick.size_bytes
        for fid in pick.serves:
            after = expected_ms(pick.estimates[fid], observed_ms[fid], min_gain)
            if after is not None:
                best[fid] = min(best[fid], after)
    return chosen
