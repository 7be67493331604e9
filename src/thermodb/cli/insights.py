"""`insights`: what the database learnt from its workload, and what it did about it."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from thermodb.cli.app import app, handled, state
from thermodb.cli.output import OutputFormat, console, emit_json, emit_table

FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
HoursOption = Annotated[
    int, typer.Option("--hours", min=1, max=24 * 90, help="Window: the last N hours.")
]

insights_app = typer.Typer(
    help="What the database learnt from its workload: queries, indexes, anomalies.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(insights_app, name="insights")


class Ranking(StrEnum):
    slowest = "slowest"
    frequent = "frequent"
    regressions = "regressions"


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _when(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M")


def _short(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _query_rows(entries: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [
            e["fingerprint"],
            e.get("interface", ""),
            e.get("collection", ""),
            e["calls"],
            f"{e['cache_hit_rate']:.0%}",
            _ms(e["p50_ms"]),
            _ms(e["p99_ms"]),
            e.get("errors", 0),
            _short(e.get("query", "")),
        ]
        for e in entries
    ]


_QUERY_COLUMNS = ["fingerprint", "via", "collection", "calls", "cache", "p50 ms", "p99 ms",
                  "errors", "query"]  # fmt: skip


@insights_app.callback()
def overview(
    ctx: typer.Context, hours: HoursOption = 24, fmt: FormatOption = OutputFormat.table
) -> None:
    """Show the slowest queries, the advisor's indexes and its latest decisions."""
    if ctx.invoked_subcommand is not None:
        return
    with handled():
        insights = state.db().insights
        queries = insights.queries(hours=hours, limit=5)
        indexes = insights.indexes(limit=5)
        if fmt is OutputFormat.json:
            emit_json({"queries": queries, "indexes": indexes})
            return
        console.print(
            f"{queries['calls']} calls of {queries['fingerprints']} query shapes "
            f"in the last {hours} h",
            highlight=False,
        )
        emit_table(_QUERY_COLUMNS, _query_rows(queries["slowest"]), fmt, title="slowest")
        _emit_indexes(indexes, fmt)


@insights_app.command("queries")
def queries(
    by: Annotated[Ranking, typer.Option("--by", help="Which ranking to show.")] = Ranking.slowest,
    hours: HoursOption = 24,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 10,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Show query fingerprints by median latency, by calls, or those that got slower."""
    with handled():
        report = state.db().insights.queries(hours=hours, limit=limit)
        if fmt is OutputFormat.json:
            emit_json(report)
            return
        emit_table(
            _QUERY_COLUMNS, _query_rows(report[by.value]), fmt, title=f"{by.value}, {hours} h"
        )


def _emit_indexes(report: dict[str, Any], fmt: OutputFormat) -> None:
    emit_table(
        ["index", "collection", "columns", "state", "origin", "created", "last used"],
        [
            [
                i["name"],
                i["collection"],
                ", ".join(i["columns"]),
                i["state"],
                i["origin"],
                _when(i["created_at"]),
                _when(i["last_used_at"]),
            ]
            for i in report["indexes"]
        ],
        fmt,
        title=f"advisor indexes (advisor {report['advisor']})",
    )
    emit_table(
        ["when", "action", "index", "columns", "reason"],
        [
            [_when(d["at"]), d["action"], d["index_name"], ", ".join(d["columns"]), d["reason"]]
            for d in report["decisions"]
        ],
        fmt,
        title="decisions (newest first; --format json for their evidence)",
    )


@insights_app.command("indexes")
def indexes(
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 20,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Show the indexes the advisor made or tried, and its decisions with their evidence."""
    with handled():
        report = state.db().insights.indexes(limit=limit)
        if fmt is OutputFormat.json:
            emit_json(report)
            return
        _emit_indexes(report, fmt)


def _emit_pass(report: dict[str, Any], fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        emit_json(report)
        return
    if report.get("skipped"):
        console.print(f"skipped: {report['skipped']}", highlight=False)
        return
    prefix = "would " if report.get("dry_run") else ""
    for d in report["decisions"]:
        console.print(
            f"{prefix}{d['action']} {d['index_name']} ({', '.join(d['columns'])}): {d['reason']}",
            highlight=False,
        )
    if not report["decisions"]:
        console.print("nothing to do: no index would pay for itself", highlight=False)


@insights_app.command("advise")
def advise(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Estimate and say what it would do; change nothing.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Run even if a pass ran moments ago (the throttle).")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Run one index-advisor pass: validate, revert, drop unused, create what pays."""
    with handled():
        _emit_pass(state.db().insights.advise(dry_run=dry_run, force=force), fmt)


@insights_app.command("try")
def try_index(
    collection: Annotated[str, typer.Argument(help="Collection to index.")],
    fields: Annotated[list[str], typer.Argument(help="Field(s), in index order.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Estimate only.")] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Build an index on probation: the advisor keeps it only if the workload proves it pays."""
    with handled():
        decision = state.db().insights.try_index(collection, fields, dry_run=dry_run)
        _emit_pass({"decisions": [decision], "dry_run": dry_run}, fmt)


@insights_app.command("anomalies")
def anomalies(
    collection: Annotated[
        str | None, typer.Argument(help="Collection (default: every one with a time field).")
    ] = None,
    field: Annotated[
        list[str] | None,
        typer.Option("--field", help="Numeric field(s) to watch besides the count."),
    ] = None,
    days: Annotated[int, typer.Option("--days", min=1, max=365, help="History to read.")] = 14,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write an SVG plot of each series here.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Find spikes and drops in hourly counts and numeric fields (seasonal median + MAD)."""
    with handled():
        report = state.db().insights.anomalies(collection, fields=field or [], days=days)
        if plot is not None:
            from thermodb.intelligence.anomalies.plot import write_svg

            write_svg(report, plot)
        if fmt is OutputFormat.json:
            emit_json(report)
            return
        rows = [
            [
                a["collection"],
                a["series"],
                a["at"],
                a["kind"],
                a["value"],
                a["expected"],
                f"{a['score']:+.1f}",
            ]
            for s in report["series"]
            for a in s["anomalies"]
        ]
        emit_table(
            ["collection", "series", "hour", "kind", "value", "usual", "score"],
            rows,
            fmt,
            title=f"anomalies, last {days} days",
        )
        if plot is not None:
            console.print(f"plot written to {plot}", highlight=False)
