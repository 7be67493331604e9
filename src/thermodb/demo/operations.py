"""Demo logs and metrics of the servers behind the product, with a few incidents.

Incidents are windows where one service misbehaves: its log volume and error share jump,
its latencies stretch, and the metrics of its hosts show it. Latencies are log-normal, so
averages and p99s differ the way they do in real systems.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from thermodb.demo.clock import DAY, HOUR, Timeline, iso_ms, iso_s
from thermodb.demo.people import People
from thermodb.demo.vocabulary import (
    ERRORS,
    FLAGS,
    INCIDENT_CAUSES,
    LEVELS,
    LOG_LINES,
    ROUTES,
    SERVICES,
)

__all__ = ["Incident", "incidents", "logs", "metrics"]

_SERVICE_NAMES = [s for s, _, _ in SERVICES]
_SERVICE_WEIGHTS = [w for _, w, _ in SERVICES]
_HOSTS = {s: hosts for s, _, hosts in SERVICES}
_LEVEL_NAMES = [lv for lv, _ in LEVELS]
_LEVEL_WEIGHTS = [w for _, w in LEVELS]
_INCIDENT_LEVEL_WEIGHTS = [4, 30, 26, 34, 6]
_REGIONS = {"edge-a": "eu-west-1", "edge-b": "us-east-1"}
_METRICS = (
    ("cpu_pct", "%"),
    ("mem_rss_mb", "MB"),
    ("req_per_s", "req/s"),
    ("latency_p95_ms", "ms"),
    ("error_rate", "ratio"),
)


@dataclass(frozen=True)
class Incident:
    """One service misbehaving from ``start`` to ``end`` (epoch seconds)."""

    service: str
    start: float
    end: float
    cause: str
    severity: float
    """How much worse latency gets (a multiplier) and how much more it logs."""

    def covers(self, moment: float) -> bool:
        return self.start <= moment < self.end


def incidents(rng: random.Random, timeline: Timeline) -> list[Incident]:
    """Four incidents spread over the window, one of them within the last week."""
    out = []
    days = timeline.days
    for day in [*sorted(rng.sample(range(3, days - 8), k=3)), days - rng.randint(2, 6)]:
        start = timeline.start + day * DAY + rng.uniform(7, 19) * HOUR
        out.append(
            Incident(
                service=rng.choice(_SERVICE_NAMES[:5]),
                start=start,
                end=start + rng.uniform(0.6, 4.0) * HOUR,
                cause=rng.choice(INCIDENT_CAUSES),
                severity=rng.uniform(3.0, 9.0),
            )
        )
    return out


def _active(found: list[Incident], moment: float) -> Incident | None:
    for incident in found:
        if incident.covers(moment):
            return incident
    return None


def logs(
    rng: random.Random, n: int, timeline: Timeline, people: People, found: list[Incident]
) -> Iterator[Any]:
    """Application log lines: levels, services, HTTP details, errors, traces."""

    def load(moment: float) -> float:
        incident = _active(found, moment)
        return timeline.machine(moment) * (1 + (incident.severity if incident else 0.0))

    for moment in timeline.times(rng, n, timeline.weights(load)):
        incident = _active(found, moment)
        service = (
            incident.service
            if incident and rng.random() < 0.6
            else rng.choices(_SERVICE_NAMES, weights=_SERVICE_WEIGHTS)[0]
        )
        hit = incident is not None and incident.service == service
        level = rng.choices(
            _LEVEL_NAMES, weights=_INCIDENT_LEVEL_WEIGHTS if hit else _LEVEL_WEIGHTS
        )[0]
        host = rng.choice(_HOSTS[service])
        method, route, _ = rng.choices(ROUTES[service], weights=[r[2] for r in ROUTES[service]])[0]
        latency = rng.lognormvariate(math.log(38 if service != "edge-proxy" else 6), 0.75)
        if hit and incident is not None:
            latency *= incident.severity
        record: dict[str, Any] = {
            "ts": iso_ms(moment),
            "level": level,
            "service": service,
            "host": host,
            "region": _REGIONS.get(host, "us-east-1" if host.endswith(("1", "3")) else "eu-west-1"),
            "msg": _message(rng, level, hit and incident is not None, incident),
        }
        if level in ("INFO", "WARN", "ERROR") or rng.random() < 0.2:
            status = 200 if level in ("DEBUG", "INFO") else (429 if level == "WARN" else 500)
            if level == "ERROR" and rng.random() < 0.4:
                status = rng.choice((502, 503, 504))
            record["latency_ms"] = round(latency, 2)
            record["http"] = {"method": method, "route": route, "status": status}
        if rng.random() < 0.55 and service not in ("edge-proxy", "billing"):
            record["user_id"] = people.id_of(people.pick(rng, moment))
        if level in ("ERROR", "FATAL"):
            kind, detail = rng.choice(ERRORS)
            record["error"] = {
                "type": kind,
                "detail": detail.format(ms=rng.choice((500, 1000, 3000)), svc=service),
                "retryable": kind in ("TimeoutError", "ConnectionResetError", "UpstreamError"),
            }
        if rng.random() < 0.7:
            record["trace"] = {"trace_id": f"{rng.getrandbits(64):016x}", "sampled": True}
        yield record


def _message(rng: random.Random, level: str, hit: bool, incident: Incident | None) -> str:
    if hit and incident is not None and level in ("ERROR", "FATAL") and rng.random() < 0.7:
        return incident.cause
    text = rng.choice(LOG_LINES[level])
    if "{" in text:
        text = text.format(
            key=f"ws:{rng.randrange(10_000)}", flag=rng.choice(FLAGS), n=rng.randint(2, 5)
        )
    return text


def metrics(rng: random.Random, n: int, timeline: Timeline, found: list[Incident]) -> Iterator[Any]:
    """Samples of five metrics of every host, at the step that makes about ``n`` samples."""
    hosts = sorted({h for _, _, hs in SERVICES for h in hs})
    services_of = {h: [s for s, _, hs in SERVICES if h in hs] for h in hosts}
    series = len(hosts) * len(_METRICS)
    steps = max(2, n // series)
    step = max(60.0, (timeline.end - timeline.start) / steps)
    step -= step % 60
    baseline = {h: rng.uniform(0.6, 1.4) for h in hosts}
    memory = {h: rng.uniform(700, 2400) for h in hosts}
    moment = timeline.end - (steps - 1) * step
    while moment <= timeline.end:
        stamp = iso_s(moment)
        load = timeline.machine(moment)
        for host in hosts:
            incident = _active(found, moment)
            hit = incident is not None and incident.service in services_of[host]
            severity = incident.severity if hit and incident is not None else 1.0
            restarted = rng.random() < 0.01  # memory creeps up until a restart
            memory[host] = rng.uniform(600, 900) if restarted else memory[host] + rng.uniform(0, 3)
            values = {
                "cpu_pct": min(100.0, baseline[host] * (12 + 55 * load) * (1.6 if hit else 1.0)),
                "mem_rss_mb": memory[host],
                "req_per_s": baseline[host] * 180 * load * rng.uniform(0.9, 1.1),
                "latency_p95_ms": rng.lognormvariate(math.log(85), 0.25) * severity,
                "error_rate": min(1.0, rng.expovariate(400) * (40 * severity if hit else 1.0)),
            }
            for name, unit in _METRICS:
                if rng.random() < 0.004:
                    continue  # a missed scrape
                value: float | None = round(values[name] * rng.uniform(0.97, 1.03), 4)
                if rng.random() < 0.001:
                    value = None
                yield {
                    "ts": stamp,
                    "metric": name,
                    "host": host,
                    "value": value,
                    "unit": unit,
                    "labels": {"env": "prod", "service": services_of[host][0]},
                }
        moment += step
