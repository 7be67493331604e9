"""`thermodb ingest`: load files, globs or stdin, with a progress bar and a report."""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TransferSpeedColumn

from thermodb.catalog.types import EvolutionMode, Kind
from thermodb.cli.app import app, err_console, handled, state
from thermodb.cli.output import OutputFormat, console, emit_json, emit_table
from thermodb.errors import InputError
from thermodb.ingest.pipeline import IngestReport, OnError
from thermodb.ingest.readers import Format


def expand(patterns: list[str]) -> list[str]:
    """Files named by paths and globs ('-' is stdin), in order, each once."""
    files: list[str] = []
    for pattern in patterns:
        if pattern == "-" or not glob.has_magic(pattern):
            files.append(pattern)
            continue
        matched = sorted(glob.glob(pattern, recursive=True))
        if not matched:
            raise InputError(f"no file matches {pattern!r}")
        files.extend(matched)
    return list(dict.fromkeys(files))


@app.command()
def ingest(
    files: Annotated[
        list[str],
        typer.Argument(
            help="Files or globs to read; '-' reads stdin. "
            "JSON arrays, NDJSON and CSV (optionally .gz)."
        ),
    ],
    collection: Annotated[
        str | None,
        typer.Option(
            "--collection",
            "-c",
            help="Put every record in this collection (default: route "
            "each record to the collection it fits, creating collections as needed).",
        ),
    ] = None,
    on_error: Annotated[
        OnError,
        typer.Option(
            help="'fail': one bad record rejects the whole call; 'skip': keep the good ones."
        ),
    ] = "fail",
    reject_file: Annotated[
        Path | None,
        typer.Option(
            help="With --on-error skip, write each bad record and its reason here (NDJSON)."
        ),
    ] = None,
    explain: Annotated[bool, typer.Option(help="Print each routing decision and why.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Do everything but write.")] = False,
    input_format: Annotated[Format, typer.Option("--input-format", help="Input format.")] = "auto",
    evolution: Annotated[
        EvolutionMode | None,
        typer.Option(
            help="Schema evolution of new collections: evolve (default), freeze, discard_row, "
            "discard_value."
        ),
    ] = None,
    key: Annotated[str | None, typer.Option(help="Key field of a new collection.")] = None,
    time_field: Annotated[str | None, typer.Option(help="Time field of a new collection.")] = None,
    kind: Annotated[
        Kind | None, typer.Option(help="entity or event, for a new collection.")
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.table,
) -> None:
    """Ingest records atomically: all of them, or (by default) none if one is bad."""
    with handled():
        paths = expand(files)
        report = ingest_with_progress(
            paths,
            show=fmt is OutputFormat.table,
            collection=collection,
            on_error=on_error,
            reject_file=reject_file,
            explain=explain,
            dry_run=dry_run,
            fmt=input_format,
            evolution=evolution,
            key=key,
            time_field=time_field,
            kind=kind,
        )
        render_report(report, fmt, explain)


def ingest_with_progress(paths: list[str], *, show: bool, **options: Any) -> IngestReport:
    """Run one ingest call with a progress bar on stderr (for inputs worth waiting on)."""
    total = sum(Path(p).stat().st_size for p in paths if p != "-" and Path(p).is_file())
    show = show and (err_console.is_terminal or total > 5_000_000)
    with Progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        TransferSpeedColumn(),
        TextColumn("{task.fields[records]:,} records"),
        TimeElapsedColumn(),
        console=err_console,
        disable=not show,
        transient=True,
    ) as bar:
        task = bar.add_task("ingest", total=total or None, records=0)
        done = [0]

        def progress(records: int, nbytes: int) -> None:
            done[0] += records
            bar.update(task, advance=nbytes, records=done[0])

        return state.db().ingest(paths, progress=progress, **options)


def render_report(report: IngestReport, fmt: OutputFormat, explain: bool) -> None:
    if fmt is OutputFormat.json:
        if explain:
            for d in report.decisions:
                emit_json(
                    {
                        "line": d.line,
                        "collection": d.collection,
                        "score": d.score,
                        "reason": d.reason,
                        "created": d.created,
                        "source": d.source,
                    }
                )
            return
        emit_json(report.to_dict())
        return
    if explain:
        emit_table(
            ["line", "collection", "score", "reason"],
            [
                [d.line, d.collection + (" (new)" if d.created else ""), d.score, d.reason]
                for d in report.decisions
            ],
            fmt,
            title="routing",
        )
    verb = "would write" if report.dry_run else "wrote"
    rows = [
        [name, n, "new" if name in report.created else ""]
        for name, n in sorted(report.collections.items())
    ]
    if fmt is OutputFormat.csv:
        emit_table(["collection", "records", "created"], rows, fmt)
        return
    emit_table(
        ["collection", "records", "created"],
        rows,
        fmt,
        title=f"{verb} {report.written:,} of {report.received:,} records in {report.seconds:.2f}s",
    )
    for name, changes in report.schema_changes.items():
        for c in changes:
            if c.widened:
                widened = ", ".join(f"{k} {a}→{b}" for k, (a, b) in c.widened.items())
                console.print(f"[yellow]{name}[/]: schema v{c.version} widened {widened}")
    if report.rejected:
        console.print(
            f"[red]{report.rejected:,} records rejected[/] "
            f"(first: line {report.rejections[0].position}: "
            f"{report.rejections[0].reason})"
        )
    if report.discarded:
        console.print(
            f"[yellow]{report.discarded:,} records or values discarded[/] by "
            "collections that do not evolve"
        )
