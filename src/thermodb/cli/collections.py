"""`collections`, `describe`, `get`, `delete`, `alter`, `rename`, `drop`: looking at and
editing what is stored."""

from __future__ import annotations

from typing import Annotated

import typer

from thermodb.catalog.types import EvolutionMode, Kind
from thermodb.cli.app import app, handled, state
from thermodb.cli.output import OutputFormat, console, emit_json, emit_table
from thermodb.errors import ConfigError, NotFoundError

FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]


@app.command("collections")
def list_collections(fmt: FormatOption = OutputFormat.table) -> None:
    """List collections with their kind, key, time field and size."""
    with handled():
        db = state.db()
        rows = [
            [
                c.name,
                c.kind,
                c.key_field or "",
                c.time_field or "",
                db.count(c.name),
                len(c.top_fields()),
                c.schema_version,
            ]
            for c in db.collections()
        ]
        emit_table(["collection", "kind", "key", "time", "rows", "fields", "schema"], rows, fmt)


@app.command()
def describe(
    name: Annotated[str, typer.Argument(help="Collection to describe.")],
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Show a collection's fields, types, null fractions, examples and schema history."""
    with handled():
        info = state.db().describe(name)
        if fmt is OutputFormat.json:
            emit_json(info)
            return
        rows = [
            [
                f["field"],
                f["type"],
                f"{f['null_fraction']:.0%}",
                ", ".join(map(str, f["examples"]))[:60],
                "yes" if f["categorical"] else "",
                f.get("from_text") or f.get("text_note") or "",
            ]
            for f in info["fields"]
        ]
        title = (
            f"{info['name']}: {info['kind']}, {info['rows']:,} rows, key "
            f"{info['key_field'] or '-'}, time {info['time_field'] or '-'}, "
            f"schema v{info['schema_version']} ({info['evolution']})"
        )
        headers = ["field", "type", "null", "examples", "categorical", "notes"]
        emit_table(headers, rows, fmt, title=title)
        if fmt is OutputFormat.table:
            for h in info["history"]:
                parts = []
                if h["added"]:
                    parts.append(f"added {', '.join(h['added'])}")
                if h["widened"]:
                    parts.append(
                        "widened " + ", ".join(f"{k} {a}→{b}" for k, (a, b) in h["widened"].items())
                    )
                console.print(
                    f"v{h['version']} {h['at'][:19]}: {'; '.join(parts)}"
                    f"{'; ' + h['note'] if h['note'] else ''}",
                    highlight=False,
                )


@app.command()
def get(
    collection: Annotated[str, typer.Argument(help="Collection.")],
    key: Annotated[str, typer.Argument(help="Value of the collection's key field.")],
    fmt: FormatOption = OutputFormat.json,
) -> None:
    """Print one record by key: JSON by default, or a field/value table (exit code 4 if
    there is none)."""
    with handled():
        record = state.db().get_or_raise(collection, key)
        if fmt is OutputFormat.json:
            emit_json(record)
        else:
            emit_table(["field", "value"], [[k, v] for k, v in record.items()], fmt)


@app.command()
def delete(
    collection: Annotated[str, typer.Argument(help="Collection.")],
    key: Annotated[str, typer.Argument(help="Value of the collection's key field.")],
) -> None:
    """Delete one record by key (exit code 4 if there is none)."""
    with handled():
        if not state.db().delete(collection, key):
            raise NotFoundError(f"no record with key {key!r} in {collection!r}")
        console.print(f"deleted {collection}/{key}")


def _pairs(values: list[str], option: str) -> list[tuple[str, str]]:
    """``FIELD=VALUE`` arguments split at their last '=' (a field name may hold one)."""
    out = []
    for value in values:
        name, eq, rest = value.rpartition("=")
        if not eq or not name or not rest:
            raise ConfigError(
                f"{option} takes FIELD=VALUE, not {value!r}",
                hint=f"for example {option} amount=float",
            )
        out.append((name, rest))
    return out


@app.command()
def alter(
    collection: Annotated[str, typer.Argument(help="Collection to change.")],
    key: Annotated[
        str | None,
        typer.Option(help="New key field (present and unique); '' removes the key."),
    ] = None,
    time_field: Annotated[str | None, typer.Option(help="New time field (a timestamp).")] = None,
    kind: Annotated[Kind | None, typer.Option(help="entity or event.")] = None,
    evolution: Annotated[
        EvolutionMode | None, typer.Option(help="evolve, freeze, discard_row or discard_value.")
    ] = None,
    types: Annotated[
        list[str] | None,
        typer.Option(
            "--type",
            help="FIELD=TYPE: convert a field's stored values to bool, int, float, text, "
            "timestamp or json (refused, with examples, if one does not convert). Repeatable.",
        ),
    ] = None,
    renames: Annotated[
        list[str] | None,
        typer.Option("--rename-field", help="OLD=NEW: give a top-level field a new name."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option(help="With --type: check every value converts; change nothing.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Overrule inference: key field, time field, kind, evolution mode, field types and names."""
    with handled():
        db = state.db()
        changes = [
            db.change_type(collection, name, to, dry_run=dry_run).to_dict()
            for name, to in _pairs(types or [], "--type")
        ]
        if not dry_run:
            for old, new in _pairs(renames or [], "--rename-field"):
                db.rename_field(collection, old, new)
            c = db.alter(
                collection, key_field=key, time_field=time_field, kind=kind, evolution=evolution
            )
        else:
            c = db.collection(collection)
        if fmt is OutputFormat.json:
            emit_json(
                {
                    "name": c.name,
                    "kind": c.kind,
                    "key_field": c.key_field,
                    "time_field": c.time_field,
                    "evolution": c.evolution,
                    "types": changes,
                    "dry_run": dry_run,
                }
            )
            return
        for t in changes:
            verb = "would convert" if dry_run else "converted"
            line = f"{t['field']}: {t['from']} → {t['to']}, {verb} {t['values']:,} values"
            if t["failed"]:
                shown = ", ".join(map(repr, t["failures"]))
                line += f"; {t['failed']:,} do not convert (such as {shown})"
            console.print(line, highlight=False)
        console.print(
            f"{c.name}: {c.kind}, key {c.key_field or '-'}, time "
            f"{c.time_field or '-'}, evolution {c.evolution}",
            highlight=False,
        )


@app.command()
def rename(
    old: Annotated[str, typer.Argument(help="Collection to rename.")],
    new: Annotated[str, typer.Argument(help="Its new name.")],
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Give a collection a new name (its records, schema and key stay)."""
    with handled():
        c = state.db().rename(old, new)
        if fmt is OutputFormat.json:
            emit_json({"renamed": old, "name": c.name})
            return
        console.print(f"renamed {old} to {c.name}", highlight=False)


@app.command()
def drop(
    collection: Annotated[str, typer.Argument(help="Collection to remove with all its data.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a collection, its records and its schema."""
    with handled():
        state.db().collection(collection)
        if not yes and not typer.confirm(f"drop {collection} and all its records?"):
            raise typer.Exit(1)
        state.db().drop(collection)
        console.print(f"dropped {collection}")
