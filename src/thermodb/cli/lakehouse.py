"""`tiers publish`: the cold tier as Apache Iceberg tables that other engines read in place.

Registered under the `tiers` group; the lakehouse package (pyiceberg) is imported only when
the command runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from thermodb.cli.app import handled, state
from thermodb.cli.output import OutputFormat, console, emit_json, emit_table
from thermodb.cli.tiers import FormatOption, tiers_app

if TYPE_CHECKING:
    from thermodb.lakehouse import PublishReport


@tiers_app.command("publish")
def publish(
    collection: Annotated[
        str | None, typer.Argument(help="Collection to publish (default: every one).")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Publish cold segments as Iceberg tables (namespace `thermodb`) for Spark, Trino, DuckDB."""
    with handled():
        from thermodb.lakehouse import publish as publish_one
        from thermodb.lakehouse import publish_all

        db = state.db()
        reports = [publish_one(db, collection)] if collection else publish_all(db)
        if fmt is not OutputFormat.table:
            emit_json([r.to_dict() for r in reports])
            return
        emit_table(
            ["table", "changed", "segments", "rows", "in place", "copied", "snapshot"],
            [
                [
                    r.table,
                    _change(r),
                    r.segments,
                    r.rows,
                    r.referenced,
                    len(r.copied),
                    r.snapshot_id,
                ]
                for r in reports
            ],
            fmt,
            title="published",
        )
        if not reports:
            console.print("no collection has cold segments yet: nothing to publish")
        for r in reports:
            for copy in r.copied:
                reasons = "; ".join(copy["reasons"])
                console.print(f"{r.table}: {copy['segment']} copied ({reasons})", highlight=False)


def _change(report: PublishReport) -> str:
    if report.dropped:
        return "dropped (collection gone)"
    if report.generation:
        return "new generation"
    return "yes" if report.changed else "no"
