"""Structured queries, read-only SQL and natural-language questions."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from thermodb.query.spec import QuerySpec
from thermodb.server.deps import GatewayDep, QueryCaller
from thermodb.server.models import AskRequest, QueryResponse, SQLRequest
from thermodb.server.problems import json_response

router = APIRouter(prefix="/v1", tags=["query"])


@router.post("/query", response_model=QueryResponse)
async def query(spec: QuerySpec, caller: QueryCaller, gateway: GatewayDep) -> Response:
    """Run a QuerySpec; row filters and masks are compiled in before planning."""
    answer = gateway.query_fast(caller, spec)  # a current repeat: no thread hop
    if answer is None:
        answer = await run_in_threadpool(gateway.query, caller, spec)
    return json_response(answer.to_dict())


@router.post("/sql", response_model=QueryResponse)
def sql(body: SQLRequest, caller: QueryCaller, gateway: GatewayDep) -> Response:
    """Run one read-only SELECT over collections you may read without row filters or masks."""
    return json_response(gateway.sql(caller, body.sql).to_dict())


@router.post("/ask", response_model=QueryResponse)
def ask(body: AskRequest, caller: QueryCaller, gateway: GatewayDep) -> dict[str, Any]:
    """Answer a question in plain English; pass ``conversation`` back for follow-ups.

    Conversation ids are namespaced by caller, so nobody can continue someone else's.
    """
    cid = body.conversation or secrets.token_hex(8)
    owner = hashlib.sha256(caller.subject.encode()).hexdigest()[:16]
    out = gateway.ask(caller, body.question, f"{owner}:{cid}").to_dict()
    out["conversation"] = cid
    return out
