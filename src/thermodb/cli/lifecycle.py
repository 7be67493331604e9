"""`backup`, `backup verify`, `backup list`, `restore`: online backups that prove they restore."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from thermodb.cli.app import app, err_console, handled, state
from thermodb.cli.output import OutputFormat, console, emit_json, emit_table

FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
IdOption = Annotated[
    str | None, typer.Option("--id", help="Which backup in DEST (default: the newest).")
]
ACTIONS = ("verify", "list")


@contextmanager
def _bars(enabled: bool) -> Iterator[Callable[[str, int, int], None]]:
    """Progress bars on stderr, one per step (snapshot, segments, checksums...)."""
    if not enabled:
        yield lambda step, done, total: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    with Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=False,
    ) as bars:
        tasks: dict[str, TaskID] = {}

        def update(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bars.add_task(step, total=max(total, 1))
            bars.update(tasks[step], completed=done, total=max(total, 1))

        yield update


@app.command("backup")
def backup(
    first: Annotated[
        str,
        typer.Argument(
            metavar="[verify|list] DEST", help="Backup folder or s3://BUCKET/PREFIX (or an action)."
        ),
    ],
    dest: Annotated[str | None, typer.Argument(show_default=False, hidden=True)] = None,
    backup_id: IdOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Back the database up into DEST (a folder or s3://BUCKET/PREFIX) while writes go on;
    `backup verify DEST` restores the newest backup into a scratch store and checks it;
    `backup list DEST` shows the backups there.

    A backup is a consistent snapshot of the operational store plus the cold segments it
    references (copied once per DEST) and a manifest of SHA-256 checksums, row counts and
    per-collection record checksums. Write a folder named like an action as ./verify.
    """
    action, folder = (first, dest) if first in ACTIONS and dest is not None else (None, first)
    if dest is not None and action is None:
        with handled():
            from thermodb.errors import ConfigError

            raise ConfigError(f"unexpected argument {dest!r}", hint="thermodb backup [verify] DEST")
    with handled():
        if action == "list":
            _list(folder, fmt)
        elif action == "verify":
            _verify(folder, backup_id, fmt)
        else:
            _backup(folder, fmt)


def _backup(folder: str, fmt: OutputFormat) -> None:
    from thermodb.lifecycle import take_backup

    with _bars(fmt is OutputFormat.table) as progress:
        report = take_backup(state.db(), folder, progress)
    if fmt is OutputFormat.json:
        emit_json(report.to_dict())
        return
    rows = [
        [n, c["rows"], c["warm_rows"], c["cold_rows"]]
        for n, c in report.manifest.collections.items()
    ]
    emit_table(["collection", "records", "warm", "cold"], rows, fmt, title=f"backup {report.id}")
    console.print(
        f"{report.segments_copied} segments copied, {report.segments_reused} already in "
        f"{folder}; {report.bytes_copied:,} bytes written in {report.seconds:.1f}s",
        highlight=False,
    )


def _verify(folder: str, backup_id: str | None, fmt: OutputFormat) -> None:
    from thermodb.config import load_settings
    from thermodb.lifecycle import verify_backup

    settings = load_settings(state.data)  # its [s3] section reaches an S3 destination
    with _bars(fmt is OutputFormat.table) as progress:
        report = verify_backup(folder, backup_id=backup_id, progress=progress, settings=settings)
    if fmt is OutputFormat.json:
        emit_json(report.to_dict())
    elif report.ok:
        console.print(
            f"backup {report.id}: every file matches its checksum, and a restore holds the "
            f"backed-up records ({sum(c['rows'] for c in report.collections.values())} in "
            f"{len(report.collections)} collections)",
            highlight=False,
        )
    else:
        for problem in report.problems:
            err_console.print(f"[bold red]problem:[/] {problem}", highlight=False)
    if not report.ok:
        raise typer.Exit(7)


def _list(folder: str, fmt: OutputFormat) -> None:
    from thermodb.config import load_settings
    from thermodb.lifecycle.destination import Destination
    from thermodb.lifecycle.manifest import read_manifest

    dest = Destination(folder, load_settings(state.data))
    rows = []
    for name in dest.folders():
        if dest.size(f"{name}/manifest.json") is None:
            continue  # segments/, or a backup that did not finish
        m = read_manifest(dest, name)
        records = sum(c["rows"] for c in m.collections.values())
        rows.append([m.id, m.created_at, m.source.get("engine"), records, len(m.segments)])
    emit_table(["id", "created", "engine", "records", "segments"], rows, fmt, title="backups")


@app.command("restore")
def restore(
    dest: Annotated[str, typer.Argument(help="Backup folder (or s3://BUCKET/PREFIX).")],
    backup_id: IdOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Restore a backup into the empty database named by --data (a new data directory or an
    empty PostgreSQL schema); every file is checked against the manifest first."""
    from thermodb.lifecycle import restore_backup

    with handled(), _bars(fmt is OutputFormat.table) as progress:
        report = restore_backup(dest, state.data, backup_id=backup_id, progress=progress)
    if fmt is OutputFormat.json:
        emit_json(report.to_dict())
        return
    records = sum(c["rows"] for c in report.collections.values())
    console.print(
        f"restored backup {report.id} into {report.target}: {records} records in "
        f"{len(report.collections)} collections ({report.seconds:.1f}s)",
        highlight=False,
    )


@app.command("export")
def export(
    subject: Annotated[
        str, typer.Option("--subject", help="FIELD=VALUE, e.g. email=ann@example.com.")
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the document here (default: stdout)."),
    ] = None,
    fmt: FormatOption = OutputFormat.json,
) -> None:
    """Export everything held about one data subject (every collection with FIELD, every
    tier) as one portable JSON document; --format table shows what it holds instead."""
    from thermodb.lifecycle.subject import export_subject

    with handled():
        document = export_subject(state.db(), subject)
    if output is not None:
        import orjson

        output.write_bytes(orjson.dumps(document, default=str, option=orjson.OPT_INDENT_2))
        console.print(f"wrote {document['records']} records to {output}", highlight=False)
        return
    if fmt is OutputFormat.json:
        emit_json(document)
        return
    rows = [[name, len(records)] for name, records in document["collections"].items()]
    emit_table(["collection", "records"], rows, fmt, title=f"held about {subject}")
