"""Anomalies: planted spikes and drops in generated metric series are found (recall ≥ 90%)
with at most one false alarm a simulated day; end to end over a collection, with a plot."""

from __future__ import annotations

import math
import random
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

from thermodb.database import Database
from thermodb.intelligence.anomalies.detect import detect
from thermodb.intelligence.anomalies.plot import write_svg
from thermodb.intelligence.settings import InsightsSettings

DAYS = 28


def generated(seed: int, counts: bool) -> tuple[list[float | None], dict[int, str]]:
    """An hourly series with daily seasonality and noise, and its planted anomalies."""
    rnd = random.Random(seed)
    values: list[float | None] = []
    for h in range(DAYS * 24):
        weekly = 1.0 + 0.15 * ((h // 24) % 7 in (5, 6))
        if counts:
            base = (100 + 50 * math.sin(2 * math.pi * h / 24)) * weekly
            values.append(max(0.0, round(rnd.gauss(base, math.sqrt(base)))))
        else:
            base = 50 + 10 * math.sin(2 * math.pi * h / 24)
            values.append(rnd.gauss(base, 1.5))
    planted: dict[int, str] = {}
    slots = rnd.sample(range(8 * 24, DAYS * 24, 6), 20)  # after a week of history, apart
    for i, slot in enumerate(slots):
        value = values[slot]
        assert value is not None
        kind = "spike" if i % 2 else "drop"
        if counts:
            factor = rnd.uniform(2.5, 4.0) if kind == "spike" else rnd.uniform(0.0, 0.2)
            values[slot] = round(value * factor)
        else:
            values[slot] = value + (
                rnd.uniform(15, 30) if kind == "spike" else -rnd.uniform(15, 30)
            )
        planted[slot] = kind
    return values, planted


def test_planted_spikes_and_drops_are_found_with_few_false_alarms() -> None:
    found = planted_total = false_alarms = 0
    simulated_days = 0
    for seed in range(12):
        for counts in (True, False):
            values, planted = generated(seed, counts)
            defaults = InsightsSettings()  # the shipped thresholds
            findings, expected = detect(
                values,
                counts=counts,
                threshold=defaults.anomaly_threshold,
                min_change=defaults.anomaly_min_change,
            )
            assert len(expected) == len(values)
            hits = {f.index: f.kind for f in findings}
            planted_total += len(planted)
            found += sum(1 for i, kind in planted.items() if hits.get(i) == kind)
            false_alarms += sum(1 for i in hits if i not in planted)
            simulated_days += DAYS - 8  # the days it can judge (after its first week)
    recall = found / planted_total
    assert recall >= 0.9, recall
    assert false_alarms <= simulated_days, (false_alarms, simulated_days)


def test_anomalies_of_a_collection_end_to_end(db: Database, tmp_path: Path) -> None:
    rnd = random.Random(5)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    records = []
    spike, drop = 9 * 24 + 8, 9 * 24 + 15
    for h in range(10 * 24):
        n = max(0, round(rnd.gauss(60, 7)))
        n = n * 4 if h == spike else 2 if h == drop else n
        moment = start + timedelta(hours=h)
        records += [
            {"ts": (moment + timedelta(seconds=i)).isoformat(), "latency": rnd.gauss(20, 1)}
            for i in range(n)
        ]
    db.ingest(records, collection="requests")
    report = db.insights.anomalies("requests", fields=["latency"], days=10)
    count = next(s for s in report["series"] if s["series"] == "count")
    kinds = {a["index"]: a["kind"] for a in count["anomalies"]}
    assert kinds.get(spike) == "spike" and kinds.get(drop) == "drop", count["anomalies"]
    assert len(kinds) <= 3
    at = {a["at"] for a in count["anomalies"]}
    assert (start + timedelta(hours=spike)).strftime("%Y-%m-%dT%H:%M:%SZ") in at
    assert [s["series"] for s in report["series"]] == ["count", "avg(latency)"]
    plot = tmp_path / "anomalies.svg"
    write_svg(report, plot)
    svg = ET.parse(plot).getroot()
    circles = svg.findall(".//{http://www.w3.org/2000/svg}circle")
    assert len(circles) == sum(len(s["anomalies"]) for s in report["series"]) >= 2
    assert db.insights.queries()["calls"] == 0, "the scans are not part of the workload"
