"""`query` and `sql`: structured queries and read-only SQL, as a table, JSON or CSV."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from thermodb.cli.app import app, err_console, handled, state
from thermodb.cli.output import OutputFormat, console, emit_json, emit_table
from thermodb.errors import InputError
from thermodb.query.result import Result

FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="table for people; json ({columns, rows, ...}) or csv."),
]
ExplainOption = Annotated[
    bool, typer.Option("--explain", help="Also show what ran: SQL per store, plan, timings.")
]
MaxRowsOption = Annotated[
    int | None, typer.Option("--max-rows", min=0, help="Return at most this many rows.")
]


def read_spec(text: str) -> str:
    """The spec's JSON: given inline, from a file (@FILE) or from stdin (@-)."""
    if not text.startswith("@"):
        return text
    name = text[1:]
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text()
    except OSError as exc:
        raise InputError(
            f"cannot read the spec file {name!r}: {exc.strerror}",
            hint="pass --spec @PATH to an existing JSON file, or the JSON itself",
        ) from None


def render(result: Result, fmt: OutputFormat, explain: bool) -> None:
    if fmt is OutputFormat.json:
        emit_json(result.to_dict(explain=explain))
        return
    emit_table(result.columns, result.rows, fmt)
    if fmt is OutputFormat.csv and result.truncated:  # stdout is data: say it on stderr
        err_console.print(
            f"[yellow]warning:[/] the answer stops at {len(result.rows)} rows (the row cap); "
            "narrow it, or page with --max-rows and a filter",
            highlight=False,
        )
    if fmt is OutputFormat.table:
        if result.truncated:
            console.print(
                f"[yellow]only the first {len(result.rows)} rows are shown[/]", highlight=False
            )
        if explain:
            for store in result.explain.get("stores", []):
                console.print(f"[dim]{store['store']}:[/] {store['sql']}", highlight=False)
                if store.get("params"):
                    console.print(f"[dim]params:[/] {store['params']}", highlight=False)
            console.print(f"[dim]timings:[/] {result.explain.get('timings')}", highlight=False)


@app.command()
def query(
    spec: Annotated[
        str,
        typer.Option(
            "--spec",
            "-s",
            help="The QuerySpec as JSON, or @FILE to read it from a file (@- for stdin).",
        ),
    ],
    fmt: FormatOption = OutputFormat.table,
    explain: ExplainOption = False,
    max_rows: MaxRowsOption = None,
) -> None:
    """Run a structured query (a QuerySpec: filters, time range, grouping, aggregates, links).

    Example: thermodb query --spec '{"collection": "messages", "group_by": [{"bucket":
    "day"}], "aggregates": [{"fn": "count"}]}'. See docs/query.md for the format.
    """
    with handled():
        result = state.db().query(read_spec(spec), max_rows=max_rows)
        render(result, fmt, explain)


@app.command()
def sql(
    statement: Annotated[
        str,
        typer.Argument(help="One SELECT over the collections (dotted paths for nested fields)."),
    ],
    fmt: FormatOption = OutputFormat.table,
    explain: ExplainOption = False,
    max_rows: MaxRowsOption = None,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", min=0.001, help="Stop the statement after this many seconds."),
    ] = None,
) -> None:
    """Run one read-only SELECT; anything else is refused (exit code 5).

    Writes, DDL, several statements, PRAGMA, ATTACH, COPY, file and server functions and
    catalog tables are refused; answers stop at a row cap and a statement timeout.
    """
    with handled():
        result = state.db().sql(statement, max_rows=max_rows, timeout=timeout)
        render(result, fmt, explain)
