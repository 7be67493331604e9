"""MCP over streamable HTTP at ``/mcp`` (gateway) and ``/mcp/{domain}`` (one collection).

An ASGI front door authenticates the bearer token with the same Gateway as the HTTP API
(401 problem responses before any MCP traffic), narrows the caller to the domain of the
path, and hands the request to a stateless MCP session manager: the read-only server when
the caller may not write there, the read-write one otherwise. Stateless mode means each
HTTP request carries its own credentials, so revoking a key ends an agent's access at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from thermodb.errors import ThermoError
from thermodb.security.gateway import Gateway
from thermodb.security.principal import Principal
from thermodb.server.mcp_tools import build_mcp_server
from thermodb.server.problems import thermo_problem

__all__ = ["McpGateway"]

_PRINCIPAL = "thermodb.principal"
_DOMAIN = "thermodb.domain"


def _from_request(ctx: Context[Any, Any] | None) -> tuple[Principal, str | None]:
    request = ctx.request_context.request if ctx is not None else None
    scope = getattr(request, "scope", None)
    if scope is None or _PRINCIPAL not in scope:
        raise ThermoError("this MCP server needs an authenticated HTTP request")
    principal: Principal = scope[_PRINCIPAL]
    return principal, scope.get(_DOMAIN)


class McpGateway:
    """The ASGI app mounted at /mcp and /mcp/{domain}."""

    def __init__(
        self,
        gateway: Gateway,
        *,
        allowed_hosts: list[str] | None = None,
        metrics: Any = None,
    ) -> None:
        self.gateway = gateway
        security = TransportSecuritySettings(
            enable_dns_rebinding_protection=allowed_hosts is not None,
            allowed_hosts=allowed_hosts or [],
            allowed_origins=[f"http://{h}" for h in allowed_hosts or []]
            + [f"https://{h}" for h in allowed_hosts or []],
        )
        self.servers: dict[bool, MCPServer[Any]] = {
            ro: build_mcp_server(gateway, _from_request, read_only=ro, metrics=metrics)
            for ro in (True, False)
        }
        self.security = security
        self.managers: dict[bool, StreamableHTTPSessionManager] = {}

    @asynccontextmanager
    async def run(self) -> AsyncIterator[None]:
        """Start fresh session managers for one app lifespan (a manager runs only once)."""
        self.managers = {
            ro: StreamableHTTPSessionManager(
                server._lowlevel_server,
                stateless=True,
                json_response=True,
                security_settings=self.security,
            )
            for ro, server in self.servers.items()
        }
        async with AsyncExitStack() as stack:
            for manager in self.managers.values():
                await stack.enter_async_context(manager.run())
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        path = scope["path"].rstrip("/")
        domain = path.split("/mcp/", 1)[1] if "/mcp/" in path else None
        try:
            principal = await run_in_threadpool(
                self.gateway.authenticate,
                headers.get("authorization"),
                headers.get("x-api-key"),
                where=path,
                source=(scope.get("client") or ("unknown",))[0],
            )
            if domain is not None:
                principal = await run_in_threadpool(self.gateway.domain_caller, principal, domain)
        except ThermoError as exc:
            await thermo_problem(exc)(scope, receive, send)
            return
        may_write = (
            principal.may("write", domain)
            if domain is not None
            else any(p for p in principal.grants.values() if "write" in p)
            or principal.may("write", "*")
        )
        if not self.managers:
            await thermo_problem(
                ThermoError("MCP is not running: the app's lifespan has not started")
            )(scope, receive, send)
            return
        inner = dict(scope)
        inner[_PRINCIPAL] = principal
        inner[_DOMAIN] = domain
        await self.managers[not may_write].handle_request(inner, receive, send)
