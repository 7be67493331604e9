"""`create_app`: the FastAPI application over one Database, with its gateway and MCP.

Routes live in ``routes_*.py`` and are a few lines each over
:class:`~thermodb.security.gateway.Gateway`; this module only wires them, the error
handlers, the middleware (metrics, body limit) and the MCP endpoints together.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.routing import Route

from thermodb.database import Database
from thermodb.security.config import SecurityConfig
from thermodb.security.gateway import Gateway
from thermodb.server import (
    routes_console,
    routes_console_api,
    routes_data,
    routes_events,
    routes_insights,
    routes_ops,
    routes_query,
)
from thermodb.server.limits import BodyLimitMiddleware, RateHeadersMiddleware
from thermodb.server.mcp_http import McpGateway
from thermodb.server.metrics import Metrics, MetricsMiddleware
from thermodb.server.origin import SameOriginMiddleware
from thermodb.server.problems import install_problem_handlers

__all__ = ["LOOPBACK_HOSTS", "create_app"]

LOOPBACK_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*"]


def create_app(
    db: Database,
    security: SecurityConfig | None = None,
    *,
    allowed_hosts: list[str] | None = None,
) -> FastAPI:
    """The HTTP API, web console and MCP endpoints over ``db``.

    ``allowed_hosts`` guards every route against DNS rebinding (the Host check); None turns
    it off (behind a proxy that already enforces it, or in-process tests). Cross-site
    writes are refused either way (see :mod:`thermodb.server.origin`).
    """
    from thermodb import __version__

    gateway = Gateway(db, security)
    metrics = Metrics()
    mcp = McpGateway(gateway, allowed_hosts=allowed_hosts, metrics=metrics)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            async with mcp.run():
                yield
        finally:
            gateway.audit.flush()

    app = FastAPI(
        title="thermodb",
        version=__version__,
        description="A self-organising data store: collections, ingest, records, "
        "structured queries, read-only SQL and natural-language questions. "
        "Errors are application/problem+json. MCP over streamable HTTP at /mcp and "
        "/mcp/{domain}.",
        lifespan=lifespan,
        docs_url=None,  # served offline by routes_console
        redoc_url=None,
    )
    app.state.gateway = gateway
    app.state.metrics = metrics
    app.state.mcp = mcp
    install_problem_handlers(app)
    app.include_router(routes_data.router)
    app.include_router(routes_query.router)
    app.include_router(routes_ops.router)
    app.include_router(routes_events.router)  # the change stream (docs/lifecycle.md)
    app.include_router(routes_insights.router)
    metrics.registry.register(routes_insights.InsightsCollector(db))
    app.include_router(routes_console_api.router)
    app.include_router(routes_console.router)
    app.router.routes.append(Route("/mcp", endpoint=mcp, methods=["GET", "POST", "DELETE"]))
    app.router.routes.append(
        Route("/mcp/{domain}", endpoint=mcp, methods=["GET", "POST", "DELETE"])
    )
    app.add_middleware(RateHeadersMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=gateway.config.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(SameOriginMiddleware, allowed_hosts=allowed_hosts)
    return app
