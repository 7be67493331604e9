"""FastAPI dependencies: the gateway of the app, and the authenticated, rate-limited caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from thermodb.security.gateway import Gateway, RouteClass
from thermodb.security.principal import Principal

__all__ = ["Caller", "gateway_of", "guard"]

_bearer = HTTPBearer(auto_error=False, description="An API key (tdb_...) or a JWT")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key (tdb_...)")


async def gateway_of(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def guard(route_class: RouteClass) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates the caller and takes a rate-limit token."""

    async def dependency(
        request: Request,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        api_key: Annotated[str | None, Depends(_api_key)],
    ) -> Principal:
        gateway: Gateway = request.app.state.gateway
        authorization = request.headers.get("authorization")
        # the hot path (a key verified moments ago, in-process buckets) does no I/O, so it
        # runs on the event loop; anything else goes to the thread pool
        principal = gateway.auth.cached(authorization, api_key)
        if principal is None:
            principal = await run_in_threadpool(
                gateway.authenticate,
                authorization,
                api_key,
                where=request.url.path,
                source=request.client.host if request.client else None,
            )
        if gateway.limiter.is_local:
            state = gateway.admit(principal, route_class)
        else:
            state = await run_in_threadpool(gateway.admit, principal, route_class)
        request.state.rate_headers = state.headers()  # sent by RateHeadersMiddleware
        return principal

    return dependency


Caller = Principal
ReadCaller = Annotated[Principal, Depends(guard("read"))]
QueryCaller = Annotated[Principal, Depends(guard("query"))]
WriteCaller = Annotated[Principal, Depends(guard("write"))]
AdminCaller = Annotated[Principal, Depends(guard("admin"))]
GatewayDep = Annotated[Gateway, Depends(gateway_of)]
