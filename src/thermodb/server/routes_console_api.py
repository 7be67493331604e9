"""The few API routes the web console needs beyond the data API: who am I, exports, keys
and the audit log. Each is a few lines over the Gateway and its key store and audit log;
key and audit routes need admin on the whole database, as their CLI commands do locally.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from thermodb.errors import InputError
from thermodb.query.spec import QuerySpec
from thermodb.security.answers import Audited, QueryAnswer
from thermodb.server.deps import AdminCaller, GatewayDep, QueryCaller, ReadCaller
from thermodb.server.exports import EXPORT_TYPES, ExportFormat, export_bytes

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["console"])


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    spec: QuerySpec | None = Field(default=None, description="A QuerySpec to run and export")
    sql: str | None = Field(
        default=None, min_length=1, max_length=20_000, description="Or one read-only SELECT"
    )


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_-]*$")
    collections: str | None = Field(
        default=None, max_length=2_000, description="Grants, e.g. users,messages:write"
    )
    label: str = Field(default="", max_length=200)
    claims: dict[str, str | int | bool] | None = Field(
        default=None, description='Claims for row filters, e.g. {"tenant": "acme"}'
    )


@router.get("/console/config")
def console_config(gateway: GatewayDep) -> dict[str, Any]:
    """What the console needs before sign-in: whether requests need credentials."""
    from thermodb import __version__

    return {"auth_required": gateway.config.required, "version": __version__}


@router.get("/console/whoami")
def whoami(caller: ReadCaller) -> dict[str, Any]:
    """The caller as the server sees it: subject, role, grants and whether it is an admin."""
    return {
        "subject": caller.subject,
        "role": caller.role,
        "grants": {k: sorted(v) for k, v in caller.grants.items()},
        "admin": caller.may("admin", "*"),
        "via": caller.via,
    }


@router.post(
    "/console/export",
    response_class=Response,
    responses={200: {"content": {t: {} for t in EXPORT_TYPES.values()}}},
)
async def export(
    body: ExportRequest,
    caller: QueryCaller,
    gateway: GatewayDep,
    format: Annotated[ExportFormat, Query(description="csv, json or parquet")] = "csv",
) -> Response:
    """Run a QuerySpec or a SQL SELECT under your grants and return it as a file.

    Row caps apply as to any answer; ``X-Thermodb-Truncated: true`` says the cap cut it.
    """
    if (body.spec is None) == (body.sql is None):
        raise InputError("send exactly one of spec or sql", hint='{"spec": {...}} or {"sql": ...}')

    def run() -> QueryAnswer:
        if body.spec is not None:
            return gateway.query(caller, body.spec)
        return gateway.sql(caller, body.sql or "")

    answer = await run_in_threadpool(run)
    data = await run_in_threadpool(export_bytes, answer.columns, answer.rows, format)
    name = body.spec.collection if body.spec is not None else "query"
    return Response(
        data,
        media_type=EXPORT_TYPES[format],
        headers={
            "Content-Disposition": f'attachment; filename="{name}.{format}"',
            "X-Thermodb-Truncated": "true" if answer.truncated else "false",
            "X-Thermodb-Rows": str(len(answer.rows)),
        },
    )


@router.get("/keys", tags=["keys"])
def list_keys(caller: AdminCaller, gateway: GatewayDep) -> list[dict[str, Any]]:
    """Every API key (never its secret), revoked ones included (admin)."""
    caller.require_global("admin")
    return [k.to_dict() for k in gateway.keys.all()]


@router.post("/keys", tags=["keys"], status_code=201)
def create_key(body: KeyCreate, caller: AdminCaller, gateway: GatewayDep) -> dict[str, Any]:
    """A new key; the response holds its plaintext, which is shown this once (admin)."""
    with Audited(gateway, caller, "key.create", "keys", read=False, detail={"label": body.label}):
        caller.require_global("admin")
        plaintext, key = gateway.keys.create(
            body.role, body.collections or None, label=body.label, claims=body.claims
        )
        return {"key": plaintext, **key.to_dict()}


@router.delete("/keys/{key_id}", tags=["keys"])
def revoke_key(
    key_id: Annotated[str, Path(min_length=1, max_length=200)],
    caller: AdminCaller,
    gateway: GatewayDep,
) -> dict[str, Any]:
    """Revoke a key by id: requests with it are refused from now on (admin)."""
    with Audited(gateway, caller, "key.revoke", "keys", read=False, detail={"id": key_id[:40]}):
        caller.require_global("admin")
        return gateway.keys.revoke(key_id).to_dict()


@router.get("/audit", tags=["audit"])
def audit_tail(
    caller: AdminCaller,
    gateway: GatewayDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[dict[str, Any]]:
    """The newest audit entries, oldest first (admin)."""
    caller.require_global("admin")
    return [e.to_dict() for e in gateway.audit.tail(limit)]


@router.get("/audit/verify", tags=["audit"])
def audit_verify(caller: AdminCaller, gateway: GatewayDep) -> dict[str, Any]:
    """Walk the hash chain and the signed checkpoints; report the first break (admin)."""
    caller.require_global("admin")
    return gateway.audit.verify().to_dict()
