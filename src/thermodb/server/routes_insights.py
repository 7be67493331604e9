"""Insights (admin): the query log, the index advisor and anomaly reports.

Each route is a few lines over `Database.insights`; the advisor's actions are audited.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from pydantic import BaseModel, Field

from thermodb.database import Database
from thermodb.errors import ThermoError
from thermodb.security.principal import Principal
from thermodb.server.deps import AdminCaller, GatewayDep

router = APIRouter(prefix="/v1/insights", tags=["insights"])

Hours = Annotated[int, Query(ge=1, le=24 * 90, description="Window: the last N hours.")]
Limit = Annotated[int, Query(ge=1, le=1000)]


class IndexTrial(BaseModel):
    collection: str = Field(min_length=1, max_length=63)
    fields: list[str] = Field(min_length=1, max_length=8)
    dry_run: bool = False


def _admin(caller: Principal) -> None:
    caller.require_global("admin")


@router.get("")
def overview(caller: AdminCaller, gateway: GatewayDep, hours: Hours = 24) -> dict[str, Any]:
    """The slowest query fingerprints and the advisor's indexes and latest decisions."""
    _admin(caller)
    insights = gateway.db.insights
    return {"queries": insights.queries(hours=hours, limit=5), "indexes": insights.indexes(limit=5)}


@router.get("/queries")
def queries(
    caller: AdminCaller, gateway: GatewayDep, hours: Hours = 24, limit: Limit = 10
) -> dict[str, Any]:
    """Query fingerprints: slowest, most frequent, regressions, and writes per collection."""
    _admin(caller)
    return gateway.db.insights.queries(hours=hours, limit=limit)


@router.get("/indexes")
def indexes(caller: AdminCaller, gateway: GatewayDep, limit: Limit = 50) -> dict[str, Any]:
    """The advisor's indexes and its decisions, newest first, each with its evidence."""
    _admin(caller)
    return gateway.db.insights.indexes(limit=limit)


@router.post("/indexes")
def try_index(trial: IndexTrial, caller: AdminCaller, gateway: GatewayDep) -> dict[str, Any]:
    """Build an index on probation: kept only if the workload proves it pays."""
    _admin(caller)
    decision = gateway.db.insights.try_index(trial.collection, trial.fields, dry_run=trial.dry_run)
    if not trial.dry_run:
        gateway.audit.append(caller.subject, "insights.try_index", trial.collection,
                             detail={"fields": trial.fields})  # fmt: skip
    return decision


@router.post("/advise")
def advise(
    caller: AdminCaller, gateway: GatewayDep, dry_run: bool = False, force: bool = False
) -> dict[str, Any]:
    """Run one index-advisor pass now (validate, revert, drop unused, create what pays)."""
    _admin(caller)
    report = gateway.db.insights.advise(dry_run=dry_run, force=force)
    if not dry_run and report["decisions"]:
        actions = [f"{d['action']} {d['index_name']}" for d in report["decisions"]]
        gateway.audit.append(caller.subject, "insights.advise", "*", detail={"actions": actions})
    return report


@router.get("/anomalies")
def anomalies(
    caller: AdminCaller,
    gateway: GatewayDep,
    collection: str | None = None,
    field: Annotated[list[str] | None, Query()] = None,
    days: Annotated[int, Query(ge=1, le=365)] = 14,
) -> dict[str, Any]:
    """Spikes and drops in hourly counts and numeric fields (seasonal median + MAD)."""
    _admin(caller)
    return gateway.db.insights.anomalies(collection, fields=field or [], days=days)


@router.get("/anomalies.svg", response_class=Response)
def anomalies_plot(
    caller: AdminCaller,
    gateway: GatewayDep,
    collection: str | None = None,
    field: Annotated[list[str] | None, Query()] = None,
    days: Annotated[int, Query(ge=1, le=365)] = 14,
) -> Response:
    """The same series as an SVG plot, anomalies marked."""
    from thermodb.intelligence.anomalies.plot import render_svg

    _admin(caller)
    report = gateway.db.insights.anomalies(collection, fields=field or [], days=days)
    return Response(render_svg(report), media_type="image/svg+xml")


class InsightsCollector:
    """Prometheus metrics of the advisor (decisions by action, database-wide, from its
    decision table) and of this process's query log (calls buffered, dropped)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        insights = self.db.insights
        decisions = CounterMetricFamily(
            "thermodb_index_advisor_decisions",
            "Index-advisor decisions recorded, by action (create, keep, revert, drop...)",
            labels=["action"],
        )
        try:
            counts = insights.advisor.decision_counts()
        except ThermoError:
            counts = {}
        for action, count in sorted(counts.items()):
            decisions.add_metric([action], count)
        yield decisions
        live = GaugeMetricFamily(
            "thermodb_index_advisor_indexes", "Advisor-made indexes by state", labels=["state"]
        )
        try:
            states = insights.advisor.index_states()
        except ThermoError:
            states = {}
        for state, count in sorted(states.items()):
            live.add_metric([state], count)
        yield live
        yield GaugeMetricFamily(
            "thermodb_query_log_buffered", "Calls waiting to be aggregated", insights.log.buffered
        )
        yield CounterMetricFamily(
            "thermodb_query_log_dropped",
            "Calls not logged because the buffer was full",
            insights.log.dropped,
        )
