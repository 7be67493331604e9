"""Health, readiness, metrics, the domain registry and the tiers."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from thermodb.server.deps import AdminCaller, GatewayDep, ReadCaller
from thermodb.server.models import Domain, Health
from thermodb.server.problems import problem_response

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
def healthz() -> dict[str, Any]:
    """The process is up (liveness)."""
    return {"status": "ok"}


@router.get("/readyz", response_model=Health, responses={503: {"description": "Not ready"}})
def readyz(gateway: GatewayDep) -> Any:
    """The operational store answers (readiness)."""
    try:
        with gateway.db.store.read() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any failure means "not ready", with the reason
        return problem_response(503, f"the operational store does not answer: {exc}")
    return {"status": "ok"}


@router.get("/metrics", response_class=Response)
def metrics(request: Request, gateway: GatewayDep) -> Response:
    """Prometheus metrics (text exposition format)."""
    m = request.app.state.metrics
    m.rate_limit_errors.set(gateway.limiter.backend_errors)
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/domains", response_model=list[Domain])
def domains(request: Request, caller: ReadCaller, gateway: GatewayDep) -> list[dict[str, Any]]:
    """Every domain service you may read: health, tier, size, request rate, MCP endpoint."""
    return gateway.domains(caller, str(request.base_url).rstrip("/"))


@router.get("/v1/tiers", tags=["tiers"])
def tiers(caller: ReadCaller, gateway: GatewayDep) -> list[dict[str, Any]]:
    """Rows and bytes per tier (hot cache, warm store, cold segments) of each collection."""
    return gateway.tiers(caller)


@router.get("/v1/tiers/{name}", tags=["tiers"])
def explain_tiers(
    name: Annotated[str, Path(min_length=1, max_length=63)],
    caller: AdminCaller,
    gateway: GatewayDep,
) -> dict[str, Any]:
    """Why each segment of a collection is where it is and what would move next (admin)."""
    return gateway.explain_tiers(caller, name)


@router.post("/v1/tiers/migrate", tags=["tiers"])
def migrate(caller: AdminCaller, gateway: GatewayDep, dry_run: bool = False) -> dict[str, Any]:
    """Run one migration pass now: demote, promote, delete, clean up (admin)."""
    return gateway.migrate(caller, dry_run=dry_run)
