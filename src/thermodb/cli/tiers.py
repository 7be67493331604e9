"""`tiers`, `tiers explain`, `tiers policy`, `migrate`: where data lives and moving it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from thermodb.cli.app import app, handled, state
from thermodb.cli.output import OutputFormat, console, emit_json, emit_table
from thermodb.errors import ConfigError

FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]

tiers_app = typer.Typer(
    help="Show every collection's data by tier: hot cache, warm store, cold segments.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(tiers_app, name="tiers")


def _now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"cannot read {text!r} as a time", hint="use ISO 8601, e.g. 2026-12-01T00:00:00Z"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@tiers_app.callback()
def tiers(ctx: typer.Context, fmt: FormatOption = OutputFormat.table) -> None:
    """Show every collection's rows by tier, cold segments and sizes, and the cache hit rate."""
    if ctx.invoked_subcommand is not None:
        return
    with handled():
        overview = state.db().tiers()
        if fmt is OutputFormat.json:
            emit_json(overview)
            return
        rows = [
            [
                o["collection"],
                o["policy"],
                o["warm_rows"],
                o["cold_rows"],
                o["cold_segments"],
                _size(o["cold_bytes"]),
            ]
            for o in overview
        ]
        emit_table(
            ["collection", "policy", "warm rows", "cold rows", "segments", "cold size"],
            rows,
            fmt,
            title="tiers",
        )
        if overview and fmt is OutputFormat.table:
            cache = overview[0]["hot_cache"]
            console.print(
                f"hot cache: {cache['entries']} entries, {_size(cache['bytes'])}, "
                f"hit rate {cache['hit_rate']:.1%} (this process)",
                highlight=False,
            )


@tiers_app.command("explain")
def explain(
    collection: Annotated[str, typer.Argument(help="Collection to explain.")],
    now: Annotated[
        str | None, typer.Option("--now", help="Explain as if at this ISO time.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Say why each segment is where it is, what would move it next, and the move queue."""
    with handled():
        info = state.db().explain_tiers(collection, _now(now))
        if fmt is not OutputFormat.table:
            emit_json(info)
            return
        policy = ", ".join(f"{k} {v}" for k, v in info["policy"].items() if v is not None)
        console.print(f"[bold]{collection}[/]: policy {policy}", highlight=False)
        warm = info["warm"]
        console.print(f"warm: {warm['rows']:,} rows. {warm.get('why', '')}", highlight=False)
        if warm.get("oldest_window_cold_at"):
            console.print(f"  oldest warm window goes cold at {warm['oldest_window_cold_at']}")
        emit_table(
            ["segment", "rows", "size", "time", "heat", "next"],
            [
                [
                    s["id"],
                    s["rows"],
                    _size(s["bytes"]),
                    f"{s['time_min']} – {s['time_max']}",
                    s["heat"],
                    s["next"],
                ]
                for s in info["segments"]
            ],
            fmt,
            title="cold segments",
        )
        _moves(
            "planned moves (next pass)", info["planned"], ["kind", "window_start", "rows", "reason"]
        )
        _moves(
            "move queue (in progress or failed)",
            info["queue"],
            ["id", "kind", "state", "updated_at", "error"],
        )


@tiers_app.command("policy")
def policy(
    collection: Annotated[str, typer.Argument(help="Collection whose policy to change.")],
    hot_for: Annotated[str | None, typer.Option(help="e.g. 1h")] = None,
    warm_for: Annotated[str | None, typer.Option(help="e.g. 30d")] = None,
    promote_after: Annotated[float | None, typer.Option(help="Reads that promote.")] = None,
    promote_window: Annotated[str | None, typer.Option(help="Half-life of reads.")] = None,
    delete_after: Annotated[str | None, typer.Option(help="e.g. 365d, or never.")] = None,
    min_age: Annotated[str | None, typer.Option(help="Quiet time before any move.")] = None,
    window: Annotated[str | None, typer.Option(help="Write-tracking window, e.g. 1d.")] = None,
    segment_rows: Annotated[
        int | None, typer.Option(help="Target rows per cold segment.", min=1)
    ] = None,
    segment_bytes: Annotated[
        int | None, typer.Option(help="Target bytes per cold segment.", min=1)
    ] = None,
) -> None:
    """Show or change a collection's tier policy (unchanged settings keep their values)."""
    with handled():
        db = state.db()
        changes = {
            "hot_for": hot_for,
            "warm_for": warm_for,
            "promote_after": promote_after,
            "promote_window": promote_window,
            "delete_after": delete_after,
            "min_age": min_age,
            "window": window,
            "segment_rows": segment_rows,
            "segment_bytes": segment_bytes,
        }
        if any(v is not None for v in changes.values()):
            emit_json(db.thermal.set_policy(collection, **changes).describe())
        else:
            db.collection(collection)
            emit_json(db.thermal.policy(collection).describe())


@app.command()
def migrate(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show what would move, and why.")
    ] = False,
    now: Annotated[
        str | None, typer.Option("--now", help="Run as if at this ISO time (for testing).")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Run one migration pass: demote old windows, promote hot segments, clean up."""
    with handled():
        db = state.db()
        report = db.migrate(_now(now), dry_run=dry_run)
        out = report.to_dict()
        if fmt is not OutputFormat.table:
            emit_json(out)
            return
        _moves(
            "planned" if dry_run else "planned this pass",
            out["planned"],
            ["kind", "collection", "window_start", "rows", "reason"],
        )
        if not out["planned"]:
            _why_nothing_moves(db)
        if not dry_run:
            console.print(
                f"{len(out['done'])} moves done, {len(out['failed'])} failed, "
                f"{out['rows_moved']:,} rows moved, {len(out['recovered'])} recovered, "
                f"{len(out['orphans_removed'])} orphan files removed in {out['seconds']}s",
                highlight=False,
            )
            for failure in out["failed"]:
                console.print(
                    f"[red]failed[/] {failure['kind']} {failure['collection']}: {failure['error']}",
                    highlight=False,
                )


def _why_nothing_moves(db: Any) -> None:
    """No move is due: say which policy holds each collection where it is."""
    for coll in db.collections():
        p = db.thermal.policy(coll.name).describe()
        console.print(
            f"  {coll.name}: hot_for {p['hot_for'] or '-'}, warm_for {p['warm_for'] or '-'}, "
            f"min_age {p['min_age'] or '-'}: no window is past them yet (nothing moves "
            "within min_age of a window's last write)",
            highlight=False,
        )


def _moves(title: str, moves: list[dict[str, Any]], columns: list[str]) -> None:
    if not moves:
        console.print(f"{title}: none")
        return
    emit_table(
        columns, [[m.get(c) for c in columns] for m in moves], OutputFormat.table, title=title
    )


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"
