"""`thermodb ask`: a question in plain English, answered as a table or one JSON object."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from thermodb.cli.app import app, handled, state
from thermodb.cli.output import OutputFormat, console, emit_json, emit_table
from thermodb.errors import InputError


def _parse_now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"--now {text!r} is not an ISO-8601 time", hint="use e.g. 2026-03-18T15:30:00Z"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@app.command()
def ask(
    question: Annotated[
        str, typer.Argument(help="The question, e.g. 'how many users signed up last week?'")
    ],
    now: Annotated[
        str | None,
        typer.Option(
            help="Reference time for 'today', 'last week'... (ISO-8601; default: the clock)."
        ),
    ] = None,
    conversation: Annotated[
        str | None,
        typer.Option(
            help="Conversation id: a follow-up ('and last month?') changes the previous question."
        ),
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table for people, json for programs.")
    ] = OutputFormat.table,
) -> None:
    """Answer a question about the data in plain English.

    Exit code 6 when the question cannot be answered confidently; the message names what was
    not understood and the closest collections, fields or values.
    """
    with handled():
        answer = state.db().ask(question, now=_parse_now(now), conversation=conversation)
        if fmt is OutputFormat.json:
            emit_json(answer.to_dict())
            return
        emit_table(answer.columns, answer.rows, fmt)
        if fmt is OutputFormat.table:
            if answer.reading:
                console.print(f"Read as: {answer.reading}", highlight=False, markup=False)
            console.print(answer.insight, highlight=False, markup=False)
