"""Collections, records and ingest: each route a few lines over a Gateway method."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from thermodb.errors import InputError
from thermodb.server.deps import AdminCaller, GatewayDep, ReadCaller, WriteCaller
from thermodb.server.models import CollectionCreate, CollectionSummary, WriteResult
from thermodb.server.problems import json_response

router = APIRouter(prefix="/v1", tags=["data"])

Name = Annotated[str, Path(min_length=1, max_length=63, description="Collection name")]
Key = Annotated[str, Path(min_length=1, max_length=500, description="Value of the key field")]

_FORMATS: dict[str, Literal["json", "ndjson", "csv"]] = {
    "application/json": "json",
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "text/csv": "csv",
}
_INGEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": ["array", "object"]}},
            "application/x-ndjson": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


@router.get("/collections", response_model=list[CollectionSummary])
def list_collections(caller: ReadCaller, gateway: GatewayDep) -> list[dict[str, Any]]:
    """Collections you may read, with kind, key, time field and size."""
    return gateway.list_collections(caller)


@router.get("/collections/{name}")
def describe_collection(name: Name, caller: ReadCaller, gateway: GatewayDep) -> dict[str, Any]:
    """Fields, types, null fractions, examples (masked where masks apply) and history."""
    return gateway.describe(caller, name)


@router.post("/collections", status_code=201)
def create_collection(
    body: CollectionCreate, caller: AdminCaller, gateway: GatewayDep
) -> dict[str, Any]:
    """Create a collection from its first records with settings fixed by hand (admin)."""
    return gateway.create_collection(
        caller,
        body.name,
        body.records,
        kind=body.kind,
        key_field=body.key_field,
        time_field=body.time_field,
    )


@router.delete("/collections/{name}", status_code=204, response_class=Response)
def drop_collection(name: Name, caller: AdminCaller, gateway: GatewayDep) -> Response:
    """Remove a collection with all its records (admin on that collection)."""
    gateway.drop_collection(caller, name)
    return Response(status_code=204)


@router.get("/collections/{name}/records/{key}", response_model=dict[str, Any])
async def get_record(name: Name, key: Key, caller: ReadCaller, gateway: GatewayDep) -> Response:
    """One record by key (404 if missing or outside your row filter)."""
    record = gateway.get_fast(caller, name, key)  # a current repeat read: no thread hop
    if record is None:
        record = await run_in_threadpool(gateway.get, caller, name, key)
    return json_response(record)


@router.put("/collections/{name}/records/{key}", response_model=WriteResult)
def put_record(
    name: Name,
    key: Key,
    record: Annotated[dict[str, Any], Body(description="The whole record")],
    caller: WriteCaller,
    gateway: GatewayDep,
) -> dict[str, Any]:
    """Insert or replace the record with this key."""
    return gateway.upsert(caller, name, key, record)


@router.delete("/collections/{name}/records/{key}", status_code=204, response_class=Response)
def delete_record(name: Name, key: Key, caller: WriteCaller, gateway: GatewayDep) -> Response:
    """Delete the record with this key (404 if there is none you may see)."""
    gateway.delete(caller, name, key)
    return Response(status_code=204)


@router.post("/ingest", openapi_extra=_INGEST_BODY)
async def ingest(
    request: Request,
    caller: WriteCaller,
    gateway: GatewayDep,
    collection: Annotated[
        str | None, Query(max_length=63, description="Target collection; omit to route")
    ] = None,
    on_error: Annotated[Literal["fail", "skip"], Query()] = "fail",
) -> dict[str, Any]:
    """Ingest a JSON array or object, NDJSON or CSV body atomically (size-limited)."""
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    fmt = _FORMATS.get(ctype)
    if fmt is None:
        raise InputError(
            f"cannot ingest {ctype!r}",
            hint="send application/json, application/x-ndjson or text/csv",
        )
    body = await request.body()
    if not body.strip():
        raise InputError("the request body is empty", hint="send records to ingest")
    report: dict[str, Any] = await run_in_threadpool(
        gateway.ingest, caller, body, collection=collection, fmt=fmt, on_error=on_error
    )
    request.app.state.metrics.ingested.inc(report.get("written", 0))
    return report
