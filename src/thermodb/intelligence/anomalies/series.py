"""Hourly series of a collection (record counts and averages of numeric fields), read
through the planner so every tier is included, and their anomalies."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from thermodb.catalog.model import Collection
from thermodb.errors import ConfigError, NotFoundError
from thermodb.intelligence.anomalies.detect import detect
from thermodb.intelligence.hook import unlogged
from thermodb.intelligence.settings import InsightsSettings
from thermodb.query.result import Result
from thermodb.query.spec import QuerySpec

__all__ = ["anomaly_report"]

MAX_FIELDS = 5
HOUR = timedelta(hours=1)


def _numeric(coll: Collection, wanted: Sequence[str]) -> list[str]:
    if wanted:
        for name in wanted:
            f = coll.fields.get(name)
            if f is None or not f.type.is_numeric:
                numeric = sorted(p for p, x in coll.fields.items() if x.type.is_numeric)
                raise NotFoundError(
                    f"{coll.name!r} has no numeric field {name!r}",
                    hint="numeric fields: " + (", ".join(numeric) or "none"),
                )
        return list(wanted)
    candidates = [f for f in coll.top_fields() if f.type.is_numeric and f.path != coll.key_field]
    candidates.sort(key=lambda f: -f.present)
    return [f.path for f in candidates[:MAX_FIELDS]]


def _parse(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def _series_of(
    coll: Collection, fields: list[str], days: int, run: Callable[[QuerySpec], Result]
) -> tuple[datetime, dict[str, list[float | None]]] | None:
    assert coll.time_field is not None
    with unlogged():
        latest = run(
            QuerySpec.model_validate(
                {"collection": coll.name, "aggregates": [{"fn": "max", "field": coll.time_field}]}
            )
        ).scalar()
        if latest is None:
            return None
        end = _parse(latest).replace(minute=0, second=0, microsecond=0) + HOUR
        start = end - timedelta(days=days)
        aggregates: list[dict[str, Any]] = [{"fn": "count", "alias": "count"}]
        aggregates += [{"fn": "avg", "field": f, "alias": f"avg({f})"} for f in fields]
        result = run(
            QuerySpec.model_validate(
                {
                    "collection": coll.name,
                    "time": {"start": start.isoformat(), "end": end.isoformat()},
                    "group_by": [{"bucket": "hour", "alias": "hour"}],
                    "aggregates": aggregates,
                }
            )
        )
    slots = int((end - start) / HOUR)
    series: dict[str, list[float | None]] = {
        "count": [0.0] * slots,
        **{f"avg({f})": [None] * slots for f in fields},
    }
    for record in result.records():
        slot = int((_parse(record["hour"]) - start) / HOUR)
        if 0 <= slot < slots:
            for name, values in series.items():
                value = record.get(name)
                values[slot] = None if value is None else float(value)
    return start, series


def anomaly_report(
    collections: Sequence[Collection],
    fields: Sequence[str],
    days: int,
    settings: InsightsSettings,
    run: Callable[[QuerySpec], Result],
) -> dict[str, Any]:
    """Every series' values, expected values and anomalies over the last ``days``."""
    out: list[dict[str, Any]] = []
    timed = [c for c in collections if c.time_field]
    if len(collections) == 1 and not timed:
        raise ConfigError(
            f"{collections[0].name!r} has no time field to make a series of",
            hint=f"set one with `thermodb alter {collections[0].name} --time FIELD`",
        )
    for coll in timed:
        found = _series_of(coll, _numeric(coll, fields), days, run)
        if found is None:
            continue
        start, series = found
        for name, values in series.items():
            findings, expected = detect(
                values,
                counts=name == "count",
                threshold=settings.anomaly_threshold,
                min_change=settings.anomaly_min_change,
            )
            out.append(
                {
                    "collection": coll.name,
                    "series": name,
                    "start": start.isoformat().replace("+00:00", "Z"),
                    "bucket": "hour",
                    "values": values,
                    "expected": [None if e is None else round(e, 4) for e in expected],
                    "anomalies": [
                        {
                            "collection": coll.name,
                            "series": name,
                            "at": (start + f.index * HOUR).isoformat().replace("+00:00", "Z"),
                            "index": f.index,
                            "kind": f.kind,
                            "value": round(f.value, 4),
                            "expected": round(f.expected, 4),
                            "score": round(f.score, 2),
                        }
                        for f in findings
                    ],
                }
            )
    return {"days": days, "bucket": "hour", "series": out}
