"""`serve`, `mcp`, `keys`, `audit`, `domains`: running thermodb for other people and agents.

Thin commands over :mod:`thermodb.server` and :mod:`thermodb.security`; the server
package (FastAPI, uvicorn, mcp) is imported only when one of these commands runs.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Annotated

import typer

from thermodb.cli.app import app, handled, state
from thermodb.cli.output import OutputFormat, console, emit_json, emit_table
from thermodb.errors import ConfigError

if TYPE_CHECKING:
    from thermodb.security.gateway import Gateway

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
audit_app = typer.Typer(help="Read and verify the tamper-evident audit log.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")

FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]


def _gateway() -> Gateway:
    from thermodb.security.gateway import Gateway

    return Gateway(state.db())


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="TCP port.")] = 8765,
    workers: Annotated[int, typer.Option(help="Worker processes (share limits via Redis).")] = 1,
    tls_cert: Annotated[str | None, typer.Option(help="PEM certificate for HTTPS.")] = None,
    tls_key: Annotated[str | None, typer.Option(help="PEM private key for HTTPS.")] = None,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="Loopback only: requests without a key act as admin.")
    ] = False,
) -> None:
    """Serve the HTTP API, web console, /metrics and MCP (/mcp, /mcp/{domain})."""
    with handled():
        if not is_loopback(host) and no_auth:
            raise ConfigError(
                f"refusing to serve without authentication on {host}",
                hint="bind 127.0.0.1, or drop --no-auth (keys or JWT are then required)",
            )
        if not is_loopback(host):
            gateway = _gateway()
            if not gateway.config.jwt_enabled and not any(
                k.revoked_at is None for k in gateway.keys.all()
            ):
                raise ConfigError(
                    f"refusing to serve on {host}: no authentication is configured",
                    hint="create a key with `thermodb keys create --role admin` or configure "
                    "JWT in thermodb.toml [auth], or bind 127.0.0.1",
                )
        if (tls_cert is None) != (tls_key is None):
            raise ConfigError("pass both --tls-cert and --tls-key, or neither")
        import os

        import uvicorn

        os.environ["THERMODB_SERVE_DATA"] = state.data
        os.environ["THERMODB_SERVE_NO_AUTH"] = "1" if no_auth else "0"
        os.environ["THERMODB_SERVE_HOST"] = host
        console.print(
            f"thermodb serving {state.data} on http{'s' if tls_cert else ''}://{host}:{port} "
            f"({'no auth, loopback' if no_auth else 'auth required'})",
            highlight=False,
        )
        uvicorn.run(
            "thermodb.server.entry:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            ssl_certfile=tls_cert,
            ssl_keyfile=tls_key,
            log_level="warning",
        )


@app.command()
def mcp(
    domain: Annotated[
        str | None, typer.Option(help="Expose only this collection (a domain server).")
    ] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="No ingest tool.")] = False,
    key: Annotated[
        str | None,
        typer.Option(help="Act as this API key (env THERMODB_KEY); default: local admin."),
    ] = None,
) -> None:
    """Run an MCP server over stdio (for Claude Desktop, IDEs and other MCP clients)."""
    with handled():
        from thermodb.server.stdio import run_stdio

        run_stdio(state.db(), domain=domain, read_only=read_only, key=key)


@app.command()
def domains(fmt: FormatOption = OutputFormat.table) -> None:
    """Every domain service (collection) with health, tier, size, request rate, MCP endpoint."""
    with handled():
        from thermodb.security.principal import LOCAL_ADMIN

        items = _gateway().domains(LOCAL_ADMIN, "")
        rows = [[d["name"], d["kind"], d["health"], d["rows"], d["mcp"]] for d in items]
        emit_table(["domain", "kind", "health", "rows", "mcp"], rows, fmt)


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin, writer, reader or a custom role.")] = "reader",
    collections: Annotated[
        str | None,
        typer.Option(help="Grants, e.g. users,messages:write (default: every collection)."),
    ] = None,
    label: Annotated[str, typer.Option(help="A note to recognise the key by.")] = "",
    claim: Annotated[
        list[str] | None, typer.Option(help="A claim for row filters, e.g. tenant=acme.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Create an API key; the key is printed once and only its hash is stored."""
    with handled():
        claims = {}
        for item in claim or []:
            name, sep, value = item.partition("=")
            if not sep:
                raise ConfigError(f"--claim {item!r} needs NAME=VALUE")
            claims[name] = value
        gateway = _gateway()
        plaintext, key = gateway.keys.create(role, collections, label=label, claims=claims)
        gateway.audit.append("cli", "key.create", key.id, detail={"role": role})
        if fmt is not OutputFormat.table:
            emit_json({"key": plaintext, **key.to_dict()})
            return
        console.print(f"created key {key.id} (role {role}); it is shown only once:")
        typer.echo(plaintext)


@keys_app.command("list")
def keys_list(fmt: FormatOption = OutputFormat.table) -> None:
    """List API keys (never their secrets)."""
    with handled():
        rows = [
            [
                k.id,
                k.role,
                ",".join(f"{c}:{'+'.join(sorted(p))}" for c, p in k.grants.items()) or "*",
                k.label,
                k.created_at,
                k.revoked_at or "",
            ]
            for k in _gateway().keys.all()
        ]
        emit_table(["id", "role", "grants", "label", "created", "revoked"], rows, fmt)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="Key id (or the whole key).")],
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Revoke an API key; requests with it fail from now on, in every server process."""
    with handled():
        gateway = _gateway()
        key = gateway.keys.revoke(key_id)
        gateway.audit.append("cli", "key.revoke", key.id)
        if fmt is not OutputFormat.table:
            emit_json(key.to_dict())
            return
        console.print(f"revoked {key.id}")


@audit_app.command("verify")
def audit_verify(fmt: FormatOption = OutputFormat.table) -> None:
    """Check the hash chain and signed checkpoints; exit 1 and say where it breaks."""
    with handled():
        report = _gateway().audit.verify()
        if fmt is OutputFormat.json:
            emit_json(report.to_dict())
        elif report.ok:
            console.print(
                f"audit log intact: {report.entries} entries, {report.checkpoints} checkpoints "
                f"({report.checkpoints_verified} signatures verified)"
            )
        else:
            console.print(f"[bold red]audit log broken at entry {report.first_bad_seq}[/]")
            for problem in report.problems[:20]:
                console.print(f"  {problem}", highlight=False)
        if not report.ok:
            raise typer.Exit(1)


@audit_app.command("tail")
def audit_tail(
    n: Annotated[int, typer.Option("-n", help="How many entries.")] = 20,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Show the latest audit entries."""
    with handled():
        entries = _gateway().audit.tail(n)
        if fmt is OutputFormat.json:
            emit_json([e.to_dict() for e in entries])
            return
        rows = [[e.seq, e.at[:19], e.actor, e.action, e.target, e.outcome] for e in entries]
        emit_table(["seq", "at", "actor", "action", "target", "outcome"], rows, fmt)
