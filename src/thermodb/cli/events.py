"""`events`, `events forward`, `events cursors`, `events trim`: the change stream."""

from __future__ import annotations

from typing import Annotated

import typer

from thermodb.cli.app import app, handled, state
from thermodb.cli.output import OutputFormat, console, emit_json, emit_table
from thermodb.events.model import Event

FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]

events_app = typer.Typer(
    help="Show the change stream (one event per committed change), follow it, forward it.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(events_app, name="events")


@events_app.callback()
def events(
    ctx: typer.Context,
    follow: Annotated[
        bool, typer.Option("--follow", "-F", help="Keep printing events as they commit.")
    ] = False,
    since: Annotated[
        int, typer.Option("--since", min=0, help="Show events after this id (default: all).")
    ] = 0,
    collection: Annotated[
        str | None, typer.Option("--collection", "-c", help="Only this collection's events.")
    ] = None,
    consumer: Annotated[
        str | None,
        typer.Option(
            "--consumer", help="Start at this consumer's cursor and move it past what is shown."
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="At most this many events (without --follow).")
    ] = 1000,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Show the change stream: inserts, upserts, deletes, schema changes, drops and tier moves.

    With --format json each event is one JSON object on its own line (NDJSON).
    """
    if ctx.invoked_subcommand is not None:
        return
    with handled():
        outbox = state.db().events
        if consumer is not None and since:
            from thermodb.errors import ConfigError

            raise ConfigError("--since and --consumer both say where to start: pass one")
        if not follow:
            start = outbox.position(consumer) if consumer is not None else since
            shown = outbox.read(start, collection=collection, limit=limit)
            _print(shown, fmt, table=True)
            if consumer is not None and shown:
                outbox.commit(consumer, shown[-1].id)
            return
        try:
            for event in outbox.follow(since, collection=collection, consumer=consumer):
                _print([event], fmt, table=False)
        except KeyboardInterrupt:
            return


def _print(events: list[Event], fmt: OutputFormat, *, table: bool) -> None:
    if fmt is OutputFormat.json:
        import sys

        for event in events:
            sys.stdout.write(event.to_json().decode() + "\n")
        sys.stdout.flush()
        return
    rows = [
        [
            e.id,
            e.at,
            e.collection,
            e.op,
            e.key_json or "",
            e.schema_version,
            _short(e.payload_json or e.ref or ""),
        ]
        for e in events
    ]
    columns = ["id", "at", "collection", "op", "key", "schema", "payload"]
    if table or fmt is OutputFormat.csv:
        emit_table(columns, rows, fmt, title="events" if table else None)
    else:
        for row in rows:
            console.print("  ".join(str(v) for v in row), highlight=False, soft_wrap=True)


def _short(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@events_app.command("forward")
def forward(
    to: Annotated[
        str | None,
        typer.Option(
            "--to", help="nats://HOST:4222 or redis://HOST:6379/DB (default: setting 'events')."
        ),
    ] = None,
    consumer: Annotated[
        str | None,
        typer.Option("--consumer", help="Cursor name (default: forward:SCHEME://HOST:PORT)."),
    ] = None,
    stream: Annotated[
        str | None,
        typer.Option("--stream", help="JetStream stream or Redis stream key to write to."),
    ] = None,
    prefix: Annotated[
        str | None,
        typer.Option("--prefix", help="NATS subject prefix (events go to PREFIX.COLLECTION)."),
    ] = None,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Events per batch.")] = 5000,
    once: Annotated[bool, typer.Option("--once", help="Forward what is there, then exit.")] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Forward the change stream to NATS JetStream or Redis Streams (at-least-once, with the
    event id as the broker's de-duplication id, so a restart never duplicates downstream)."""
    from thermodb.errors import ConfigError
    from thermodb.events.forward import Forwarder, ForwardReport, open_sink

    with handled():
        db = state.db()
        target = to or db.settings.events
        if target == "local":
            raise ConfigError(
                "no broker to forward to",
                hint="pass --to nats://127.0.0.1:4222 or set events = 'nats://...' in "
                "thermodb.toml (THERMODB_EVENTS)",
            )
        sink = open_sink(target, stream=stream, prefix=prefix)
        name = consumer or f"forward:{target.split('?', 1)[0]}"
        forwarder = Forwarder(db.events, sink, consumer=name, batch=batch)

        def progress(report: ForwardReport) -> None:
            if fmt is OutputFormat.table:
                console.print(
                    f"forwarded {report.forwarded} events (up to id {report.position}, "
                    f"{report.duplicates} already there)",
                    highlight=False,
                )

        try:
            report = forwarder.run(once=once, on_batch=progress)
        except KeyboardInterrupt:
            report = None
        finally:
            sink.close()
        if report is None:
            return
        if fmt is OutputFormat.json:
            emit_json(report.to_dict())
            return
        summary = report.to_dict()
        emit_table(list(summary), [list(summary.values())], fmt, title="forwarded")


@events_app.command("cursors")
def cursors(fmt: FormatOption = OutputFormat.table) -> None:
    """Show every consumer's cursor and how far behind the newest event it is."""
    with handled():
        outbox = state.db().events
        last = outbox.last_id()
        rows = [[name, pos, last - pos] for name, pos in sorted(outbox.cursors().items())]
        if fmt is OutputFormat.json:
            emit_json(
                {
                    "last_id": last,
                    "cursors": [
                        dict(zip(("consumer", "position", "lag"), r, strict=True)) for r in rows
                    ],
                }
            )
            return
        emit_table(["consumer", "position", "lag"], rows, fmt, title=f"cursors (last id {last})")


@events_app.command("trim")
def trim(
    up_to: Annotated[
        int | None, typer.Option("--up-to", min=0, help="Delete no event above this id.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Delete the events that every consumer's cursor has passed (none without cursors)."""
    with handled():
        removed = state.db().events.trim(up_to)
        if fmt is OutputFormat.json:
            emit_json({"removed": removed})
        else:
            console.print(f"removed {removed} events", highlight=False)


__all__ = ["events_app"]
