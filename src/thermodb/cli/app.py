"""The Typer application, the global options and the one place errors become exit codes.

Command modules register themselves on import (see ``COMMAND_MODULES``); each command is a
few lines over a `Database` method plus rendering.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperOption

from thermodb.database import Database
from thermodb.errors import NotFoundError, ThermoError

__all__ = ["State", "app", "err_console", "main", "state"]

app = typer.Typer(
    name="thermodb",
    help="thermodb: a self-organising data store. Throw JSON at it; ask it questions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)
err_console = Console(stderr=True)

_display_type = TyperOption.display_type_rich


def _flag_type(self: TyperOption, ctx: Any) -> str | None:
    """A flag takes no value, so its help shows no type (typer prints ``<bool>``)."""
    if self.is_flag and not self.count:
        return None
    return _display_type(self, ctx)


TyperOption.display_type_rich = _flag_type  # type: ignore[method-assign]

CREATING_COMMANDS = frozenset(
    {"ingest", "demo", "serve", "mcp", "keys create", "restore", "collections create"}
)
"""Commands that may start a new data directory; every other one needs an existing one."""

COMMAND_MODULES = [
    "thermodb.cli.ingest",
    "thermodb.cli.collections",
    "thermodb.cli.query",
    "thermodb.cli.demo",
    "thermodb.cli.tiers",
    "thermodb.cli.lakehouse",
    "thermodb.cli.ask",
    "thermodb.cli.server",
    "thermodb.cli.events",
    "thermodb.cli.lifecycle",
    "thermodb.cli.insights",
]
"""Modules that add commands to ``app`` when imported; add a line to add a topic."""


@dataclass
class State:
    """What the global options chose, and the database opened on first use."""

    data: str = "thermodb-data"
    command: str = ""
    """The command being run (``sql``, ``keys create``), as :func:`main` read it."""
    json_errors: bool = False
    """``--format json`` was asked for: errors go to stdout as JSON too (for programs)."""
    _db: Database | None = field(default=None, repr=False)

    def db(self) -> Database:
        if self._db is None:
            self._refuse_missing()
            self._db = Database(self.data)
        return self._db

    def _refuse_missing(self) -> None:
        """A read in a folder with no data says so instead of creating ./thermodb-data."""
        if "://" in self.data and not self.data.startswith("file://"):
            return  # a database URL: the server says whether it exists
        path = Path(self.data.removeprefix("file://"))
        if path.exists():
            return
        words = self.command.split()
        if not words or {words[0], " ".join(words[:2])} & CREATING_COMMANDS:
            return
        raise NotFoundError(
            f"there is no thermodb data at {str(path)!r}",
            hint="ingest some records first (thermodb ingest FILE), or point at your data "
            "with --data PATH or THERMODB_DATA",
        )

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


state = State()


def _show_version(value: bool) -> None:
    if value:
        from thermodb import __version__

        typer.echo(f"thermodb {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            "-d",
            help="Data directory or database URL (env THERMODB_DATA; default ./thermodb-data).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Show the version and exit.",
            is_eager=True,
            callback=_show_version,
        ),
    ] = False,
) -> None:
    """thermodb: a self-organising data store. Throw JSON at it; ask it questions."""
    state.data = data or os.environ.get("THERMODB_DATA") or "thermodb-data"


@contextmanager
def handled() -> Iterator[None]:
    """Turn a ThermoError into a one-line message and its exit code (never a traceback)."""
    try:
        yield
    except ThermoError as exc:
        _report(exc)
        raise typer.Exit(exc.exit_code) from None


def _report(exc: ThermoError) -> None:
    """The error for people on stderr and, under ``--format json``, for programs on stdout."""
    err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False)
    if exc.hint:
        err_console.print(f"[dim]hint:[/] {exc.hint}", highlight=False)
    if state.json_errors:
        import orjson

        payload = {**exc.to_dict(), "exit_code": exc.exit_code}
        sys.stdout.write(orjson.dumps(payload, default=str).decode() + "\n")
        sys.stdout.flush()


def _wants_json(argv: list[str]) -> bool:
    """Whether the command line asks for ``--format json`` (any spelling typer accepts)."""
    for i, word in enumerate(argv):
        if word in {"--format=json", "-fjson"}:
            return True
        if word in {"--format", "-f"} and i + 1 < len(argv) and argv[i + 1] == "json":
            return True
    return False


def _load_commands() -> None:
    for module in COMMAND_MODULES:
        importlib.import_module(module)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point."""
    _load_commands()
    words = sys.argv[1:] if argv is None else argv
    state.command = _command_words(words)
    state.json_errors = _wants_json(words)
    try:
        app(args=argv, standalone_mode=True)
    except SystemExit as exit_:
        return int(exit_.code or 0) if not isinstance(exit_.code, str) else 1
    except ThermoError as exc:  # raised outside a command body (e.g. opening the store)
        _report(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        err_console.print("interrupted; nothing half-written was kept")
        return 130
    finally:
        state.close()
    return 0


def _command_words(argv: list[str]) -> str:
    """The command and subcommand named in ``argv`` (``keys create``), global options aside."""
    words: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--data", "-d"):
            skip = True
        elif not arg.startswith("-"):
            words.append(arg)
            if len(words) == 2:
                break
    return " ".join(words)


def data_path() -> Path:
    return Path(state.data)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
