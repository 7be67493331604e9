"""Rendering results for people (Rich tables) and programs (JSON, CSV)."""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

__all__ = ["OutputFormat", "console", "emit_json", "emit_table"]

console = Console()


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def emit_json(payload: Any) -> None:
    sys.stdout.write(
        orjson.dumps(payload, default=str, option=orjson.OPT_NON_STR_KEYS).decode() + "\n"
    )
    sys.stdout.flush()


def emit_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    fmt: OutputFormat,
    *,
    title: str | None = None,
) -> None:
    """Rows as a table (people), a JSON object {columns, rows} or CSV (programs)."""
    if fmt is OutputFormat.json:
        emit_json({"columns": list(columns), "rows": [list(r) for r in rows]})
        return
    if fmt is OutputFormat.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(v) for v in row])
        return
    table = Table(title=title, show_lines=False, header_style="bold")
    for name in columns:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(v) for v in row))
    console.print(table)
