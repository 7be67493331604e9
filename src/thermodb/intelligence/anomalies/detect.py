"""Spikes and drops by seasonal median and MAD: robust to the anomalies it looks for.

For each point, the *expected* value is the median of the same hour on the previous
``seasons`` days (at least three of them), or of the previous day's points while there is
less history. The residual is the point minus the expected value; its scale is 1.4826 ×
the median absolute deviation of the residuals over the preceding ``window`` points (a
standard deviation that a few anomalies cannot inflate), floored by √expected for counts
(Poisson noise) so that a quiet series does not alarm on one extra event. A point is a
spike (drop) when its residual is ``threshold`` scales above (below) the expected value and
the change is at least ``min_change`` of it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = ["Finding", "detect"]

MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class Finding:
    index: int
    kind: Literal["spike", "drop"]
    value: float
    expected: float
    score: float
    """Residual in robust standard deviations (signed)."""


def expected_values(
    values: Sequence[float | None], season: int, seasons: int
) -> list[float | None]:
    out: list[float | None] = []
    for t in range(len(values)):
        same_hour = [
            v for k in range(1, seasons + 1) if t - k * season >= 0
            if (v := values[t - k * season]) is not None
        ]  # fmt: skip
        if len(same_hour) >= 3:
            out.append(statistics.median(same_hour))
            continue
        recent = [v for v in values[max(0, t - season) : t] if v is not None]
        out.append(statistics.median(recent) if len(recent) >= 3 else None)
    return out


def detect(
    values: Sequence[float | None],
    *,
    counts: bool,
    season: int = 24,
    seasons: int = 7,
    window: int = 168,
    threshold: float = 5.0,
    min_change: float = 0.25,
) -> tuple[list[Finding], list[float | None]]:
    """The anomalies of a series (None: no data at that point), and the expected values."""
    expected = expected_values(values, season, seasons)
    residuals: list[float | None] = [
        None if v is None or e is None else v - e for v, e in zip(values, expected, strict=True)
    ]
    found: list[Finding] = []
    for t, (value, base, resid) in enumerate(zip(values, expected, residuals, strict=True)):
        if value is None or base is None or resid is None:
            continue
        history = [r for r in residuals[max(0, t - window) : t] if r is not None]
        if len(history) < 12:
            continue
        centre = statistics.median(history)
        sigma = MAD_TO_SIGMA * statistics.median(abs(r - centre) for r in history)
        if counts:
            sigma = max(sigma, math.sqrt(max(base, 1.0)))
        sigma = max(sigma, 1e-9 + 1e-3 * abs(base))
        score = resid / sigma
        if abs(score) < threshold or abs(resid) < min_change * max(abs(base), 1e-9):
            continue
        found.append(Finding(t, "spike" if score > 0 else "drop", value, base, score))
    return found, expected
