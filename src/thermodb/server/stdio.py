"""`thermodb mcp`: an MCP server over stdio, acting as one fixed caller."""

from __future__ import annotations

import os
from typing import Any

from thermodb.database import Database
from thermodb.security.gateway import Gateway
from thermodb.security.principal import LOCAL_ADMIN, Principal
from thermodb.server.mcp_tools import build_mcp_server

__all__ = ["run_stdio", "stdio_server_for"]


def stdio_server_for(db: Database, *, domain: str | None, read_only: bool, key: str | None) -> Any:
    """The MCPServer `thermodb mcp` runs (also what the in-memory tests connect to)."""
    gateway = Gateway(db)
    key = key or os.environ.get("THERMODB_KEY")
    principal: Principal = (
        gateway.authenticate(None, key, where="mcp-stdio") if key else LOCAL_ADMIN
    )
    if domain is not None:
        db.collection(domain)  # NotFoundError with suggestions for a typo
        principal.require("read", domain)
        principal = principal.narrowed(domain, read_only=read_only)
    elif read_only:
        principal = principal.reads_only()
    may_write = not read_only and (
        principal.may("write", domain)
        if domain
        else principal.may("write", "*") or any("write" in p for p in principal.grants.values())
    )
    fixed = (principal, domain)
    return build_mcp_server(
        gateway,
        lambda _ctx: fixed,
        read_only=not may_write,
        name=f"thermodb-{domain}" if domain else "thermodb",
        schemas=[domain] if domain else principal.visible(db.catalog.names()),
    )


def run_stdio(db: Database, *, domain: str | None, read_only: bool, key: str | None) -> None:
    stdio_server_for(db, domain=domain, read_only=read_only, key=key).run("stdio")
