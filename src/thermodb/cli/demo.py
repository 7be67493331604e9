"""`thermodb demo`: generate realistic sample data, ingest it, and show what was made."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from thermodb.cli.app import app, handled, state
from thermodb.cli.collections import list_collections
from thermodb.cli.ingest import ingest_with_progress, render_report
from thermodb.cli.output import OutputFormat, console
from thermodb.errors import ConfigError

DEMO_COLLECTIONS = ("users", "messages", "sessions", "logs", "metrics")


@app.command()
def demo(
    records: Annotated[int, typer.Option(help="Roughly how many records to generate.")] = 200_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 7,
    replace: Annotated[
        bool, typer.Option(help="Drop the demo's collections first if they already exist.")
    ] = False,
) -> None:
    """Generate users, messages, sessions, logs and metrics; ingest them; show the result."""
    from thermodb.demo import write_demo_files

    with handled(), tempfile.TemporaryDirectory(prefix="thermodb-demo-") as tmp:
        db = state.db()
        existing = [name for name in DEMO_COLLECTIONS if db.catalog.find(name) is not None]
        if existing and not replace:
            raise ConfigError(
                f"{state.data} already holds {', '.join(existing)}; a second demo would add "
                "the event records again",
                hint="pass --replace to drop them first, or --data for another directory",
            )
        for name in existing:
            db.drop(name)
        console.print(f"generating about {records:,} records...")
        files = write_demo_files(Path(tmp), records=records, seed=seed)
        for name, path in files.items():
            report = ingest_with_progress([str(path)], show=True, collection=name)
            render_report(report, OutputFormat.table, explain=False)
        list_collections(OutputFormat.table)
        console.print(
            f"\ndata directory: {state.data}\nnext: thermodb --data {state.data} describe users",
            highlight=False,
        )
