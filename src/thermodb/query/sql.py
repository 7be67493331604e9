"""Read-only SQL: one SELECT over the collections, checked with sqlglot before it runs.

What runs is never the caller's text but the statement sqlglot parsed, checked and
printed again, so the check and the execution cannot disagree. The check refuses, with
UnsafeSQLError and a message saying why:

* anything but exactly one SELECT (or UNION / INTERSECT / EXCEPT of SELECTs): stacked
  statements, writes, DDL, PRAGMA, ATTACH, COPY, SET, transactions, EXPLAIN...;
* a write or DDL nested anywhere (``WITH x AS (DELETE ...) SELECT``), ``SELECT ... INTO``,
  locking reads (``FOR UPDATE``);
* functions with side effects or access to files, the server or other databases
  (``pg_read_file``, ``lo_export``, ``dblink``, ``load_extension``, ``readfile``,
  ``set_config``, ``nextval``, ``query_to_xml``... and every ``pg_*`` function);
* tables other than collections and the query's own CTEs: thermodb's catalog
  (``thermo_*``), system catalogs (``sqlite_master``, ``pg_catalog``,
  ``information_schema``) and any schema-qualified name.

Backstops run underneath in case the check misses something: on PostgreSQL a READ ONLY
transaction with a statement timeout; on SQLite ``PRAGMA query_only``, an authorizer that
allows reading only the referenced collections, and a progress handler for the timeout.
A row cap bounds every answer; the caller can lower it, never raise it.

Nested fields may be written as dotted paths (``settings.theme`` or
``u.settings.theme``); they are rewritten to JSON extraction for the store.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from thermodb.catalog.model import Collection
from thermodb.catalog.types import FieldType, iso
from thermodb.errors import QueryError, UnsafeSQLError
from thermodb.query.executor import Part, SQLiteGuard
from thermodb.query.planner import OPERATIONAL, Planner
from thermodb.query.result import Result, converter_for

ColdSQL = Callable[["CheckedSQL", Callable[[], "CheckedSQL"], int, float], "Result | None"]
"""The hook through which the tiers answer SQL over cold rows (query never imports tiers)."""

__all__ = [
    "DEFAULT_TIMEOUT",
    "ROW_CAP",
    "CheckedSQL",
    "ColdSQL",
    "check_sql",
    "convert_sql_rows",
    "run_sql",
]

logging.getLogger("sqlglot").addHandler(logging.NullHandler())

ROW_CAP = 10_000
"""The most rows a SQL answer holds; callers may ask for fewer."""
DEFAULT_TIMEOUT = 30.0
"""Seconds a SQL statement may run; callers may ask for less."""

_FORBIDDEN_NODES: tuple[type[exp.Expr], ...] = tuple(
    cls
    for cls in (
        getattr(exp, name, None)
        for name in (
            "DML",
            "DDL",
            "Insert",
            "Update",
            "Delete",
            "Merge",
            "Create",
            "Drop",
            "Alter",
            "Command",
            "Copy",
            "Pragma",
            "Attach",
            "Detach",
            "Set",
            "Transaction",
            "Commit",
            "Rollback",
            "Use",
            "Grant",
            "Revoke",
            "TruncateTable",
            "LoadData",
            "Into",
            "Lock",
            "Kill",
            "Analyze",
            "Describe",
            "Cache",
            "Uncache",
            "Refresh",
            "Show",
            "Execute",
            "Comment",
            "Install",
        )
    )
    if isinstance(cls, type)
)

_DENIED_FUNCTIONS = frozenset(
    {
        # SQLite: extensions and the file functions of the CLI shell / fileio extension
        "load_extension",
        "readfile",
        "writefile",
        "edit",
        "fts3_tokenizer",
        "zipfile",
        "sqlar_compress",
        "sqlar_uncompress",
        # PostgreSQL: sequences, settings, other databases, queries hidden in strings
        "set_config",
        "current_setting",
        "nextval",
        "setval",
        "currval",
        "lastval",
        "txid_current",
        "query_to_xml",
        "query_to_xmlschema",
        "query_to_xml_and_xmlschema",
        "cursor_to_xml",
        "cursor_to_xmlschema",
        "table_to_xml",
        "table_to_xmlschema",
        "table_to_xml_and_xmlschema",
        "schema_to_xml",
        "schema_to_xmlschema",
        "schema_to_xml_and_xmlschema",
        "database_to_xml",
        "database_to_xmlschema",
        "database_to_xml_and_xmlschema",
        "copy",
    }
)
_DUCKDB_DENIED = frozenset(
    {  # statements over cold data run in DuckDB: its file, URL and database functions
        "parquet_scan",
        "parquet_metadata",
        "parquet_schema",
        "parquet_file_metadata",
        "parquet_kv_metadata",
        "sniff_csv",
        "query",
        "query_table",
        "getenv",
        "duckdb_secrets",
        "iceberg_scan",
        "delta_scan",
        "sqlite_scan",
        "postgres_scan",
    }
)
_REFUSED = _DENIED_FUNCTIONS | _DUCKDB_DENIED
_DENIED_PREFIXES = (
    "pg_",
    "lo_",
    "dblink",
    "binary_upgrade",
    "sqlite_",
    "pragma_",
    "read_",
    "duckdb_",
)
_SYSTEM_TABLES = re.compile(
    r"^(thermo_|sqlite_|pg_|pragma_|information_schema$|_stage_)", re.IGNORECASE
)
_CANONICAL_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
_TABLE_FUNCTIONS = frozenset({"json_each", "json_tree", "generate_series"})


@dataclass(frozen=True)
class CheckedSQL:
    """A statement that passed the check, as the store will run it."""

    sql: str
    collections: frozenset[str]
    ctes: frozenset[str] = frozenset()


def check_sql(
    text: str, collections: dict[str, Collection], dialect: str, *, target: str | None = None
) -> CheckedSQL:
    """Parse and check ``text``; the SQL to run, or UnsafeSQLError / QueryError saying why.

    ``text`` is written for the operational store's ``dialect`` (sqlglot's name for it,
    the backend's ``capabilities.sqlglot_dialect``); ``target="duckdb"``
    prints the checked statement for DuckDB instead (how it runs over cold data), with
    dotted paths extracted the DuckDB way. The check itself is the same either way.
    """
    read = dialect
    write = target or dialect
    if not text.strip():
        raise QueryError("the SQL is empty", hint="write one SELECT statement")
    try:
        statements = [s for s in sqlglot.parse(text, read=read) if s is not None]
    except SqlglotError as exc:
        first = text.lstrip().split(None, 1)[0].upper() if text.strip() else ""
        if first not in ("SELECT", "WITH", "("):
            raise UnsafeSQLError(
                f"only one SELECT statement can run here, not {first or 'this'}",
                hint="read data with SELECT ... FROM <collection>",
            ) from None
        message = str(exc).strip().splitlines()[0]
        raise QueryError(f"could not read the SQL: {message}") from None
    if len(statements) != 1:
        raise UnsafeSQLError(
            f"exactly one statement can run, and this SQL holds {len(statements)}",
            hint="remove the ';' and everything after the first SELECT",
        )
    tree = statements[0]
    if not isinstance(tree, exp.Select | exp.SetOperation | exp.Subquery):
        raise UnsafeSQLError(
            f"only SELECT can run here, not {_kind(tree)}",
            hint="thermodb's SQL is read-only; change data with ingest and delete",
        )
    _refuse_forbidden(tree, read)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    used = _check_tables(tree, collections, ctes)
    _rewrite_fields(tree, collections, target or dialect)
    return CheckedSQL(tree.sql(dialect=write), frozenset(used), frozenset(ctes))


def run_sql(
    planner: Planner,
    text: str,
    *,
    max_rows: int | None = None,
    timeout: float | None = None,
    cold: ColdSQL | None = None,
) -> Result:
    """Check and run one read-only SELECT; at most ROW_CAP rows and DEFAULT_TIMEOUT s.

    ``cold`` is the tiers' hook (``thermodb.tiers.sql``): given the checked statement, a
    way to check it for DuckDB, the row cap and the timeout, it answers a statement over
    collections with cold segments (in DuckDB over warm and live cold rows) or returns
    None; then the operational store runs it alone.
    """
    capabilities = planner.store.backend.capabilities
    dialect = capabilities.sqlglot_dialect
    collections = {c.name: c for c in planner.catalog.all()}
    checked = check_sql(text, collections, dialect)
    cap = ROW_CAP if max_rows is None else max(0, min(max_rows, ROW_CAP))
    seconds = DEFAULT_TIMEOUT if timeout is None else max(0.001, min(timeout, DEFAULT_TIMEOUT))
    if cold is not None:  # the tiers answer when cold segments hold some of the rows
        answered = cold(
            checked, lambda: check_sql(text, collections, dialect, target="duckdb"), cap, seconds
        )
        if answered is not None:
            return answered
    guard = None
    if not capabilities.read_only_transactions:  # an authorizer is the backstop instead
        denied = _DENIED_FUNCTIONS | {"load_extension"}
        readable = checked.collections | checked.ctes | _TABLE_FUNCTIONS
        guard = SQLiteGuard(readable, frozenset(denied))
    part = Part(
        OPERATIONAL,
        checked.sql,
        max_rows=cap,
        timeout=seconds,
        read_only=True,
        guard=guard,
    )
    partial = planner.executors[OPERATIONAL].run(part)
    rows = convert_sql_rows(partial.columns, partial.rows, collections, checked)
    explain = {
        "plan": {"kind": "sql", "collections": sorted(checked.collections)},
        "stores": [partial.explain()],
        "rows": len(rows),
        "row_cap": cap,
        "timeout_s": seconds,
        "timings": {"execute_ms": round(partial.seconds * 1000, 3)},
    }
    return Result(partial.columns, rows, explain, partial.truncated)


def convert_sql_rows(
    columns: list[str],
    rows: Sequence[Sequence[Any]],
    collections: dict[str, Collection],
    checked: CheckedSQL,
) -> list[list[Any]]:
    """Rows from a store as JSON values, typed by the fields their columns are named like."""
    types = _column_types(columns, [collections[n] for n in sorted(checked.collections)])
    return [[_value(v, t) for v, t in zip(row, types, strict=True)] for row in rows]


# -- the checks ---------------------------------------------------------------------------
def _kind(node: exp.Expr) -> str:
    if isinstance(node, exp.Command):
        return str(node.this).upper() or "a command"
    return type(node).__name__.upper()


def _refuse_forbidden(tree: exp.Expr, read: str) -> None:
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            what = _kind(node)
            if isinstance(node, exp.Into):
                what = "SELECT ... INTO (it creates a table)"
            elif isinstance(node, exp.Lock):
                what = "a locking read (FOR UPDATE / FOR SHARE)"
            raise UnsafeSQLError(
                f"this SQL contains {what}; only reading is allowed",
                hint="thermodb's SQL runs one plain SELECT; writable CTEs are refused too",
            )
        if isinstance(node, exp.Func):
            names = _function_names(node, read)
            name = next((n for n in names if n in _REFUSED or n.startswith(_DENIED_PREFIXES)), None)
            if name is not None:
                raise UnsafeSQLError(
                    f"the function {name}() is not allowed: it reaches files, settings, "
                    "sequences, the server or other databases",
                    hint="use ordinary functions on the collections' fields",
                )


def _function_names(node: exp.Func, read: str) -> set[str]:
    """Every name a function goes by: as written, sqlglot's, and as the store will see it."""
    names = {str(node.sql_name()).lower()}
    if isinstance(node, exp.Anonymous) or node.name:
        names.add(str(node.name).lower())
    for dialect in (read, "duckdb"):  # duckdb: how it runs when cold data is involved
        rendered = node.sql(dialect=dialect).split("(", 1)[0].strip().strip('"').lower()
        if rendered:
            names.add(rendered)
    return names


def _check_tables(tree: exp.Expr, collections: dict[str, Collection], ctes: set[str]) -> set[str]:
    used: set[str] = set()
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue  # a table function such as json_each(...): its name was checked above
        name = table.name
        qualified = table.args.get("db") or table.args.get("catalog")
        if qualified or _SYSTEM_TABLES.match(name):
            shown = table.sql()
            raise UnsafeSQLError(
                f"{shown} is not a collection: catalog, system and schema-qualified "
                "tables cannot be read",
                hint=f"collections: {', '.join(sorted(collections)) or '(none yet)'}",
            )
        if name in ctes and name not in collections:
            continue
        if name not in collections and name.lower() in collections:
            name = name.lower()  # unquoted names are case-insensitive on both stores
            table.set("this", exp.to_identifier(name))
        if name not in collections:
            from thermodb.errors import NotFoundError

            raise NotFoundError(
                f"no collection named {name!r}",
                hint=f"collections: {', '.join(sorted(collections)) or '(none yet)'}",
            )
        used.add(name)
    return used


# -- dotted paths and field names --------------------------------------------------------
def _rewrite_fields(tree: exp.Expr, collections: dict[str, Collection], dialect: str) -> None:
    for select in list(tree.find_all(exp.Select)):
        scope = _scope(select, collections)
        if not scope:
            continue
        _expand_star(select, scope)
        for i, projection in enumerate(select.expressions):
            if isinstance(projection, exp.Column):
                found = _resolve(projection, scope, dialect)
                if found is not None:
                    new, path = found
                    select.expressions[i] = exp.alias_(new, path, quoted=True)
                    select.expressions[i].parent = select
        for column in list(select.find_all(exp.Column)):
            if _owner_select(column) is not select:
                continue
            found = _resolve(column, scope, dialect)
            if found is not None:
                column.replace(found[0])


def _owner_select(node: exp.Expr) -> exp.Select | None:
    parent = node.parent
    while parent is not None and not isinstance(parent, exp.Select):
        parent = parent.parent
    return parent


def _scope(select: exp.Select, collections: dict[str, Collection]) -> dict[str, Collection]:
    """Aliases (and names) of the collections this SELECT reads directly."""
    out: dict[str, Collection] = {}
    sources = []
    from_ = select.args.get("from_") or select.args.get("from")
    if from_ is not None:
        sources.append(from_.this)
    sources += [j.this for j in select.args.get("joins") or []]
    for source in sources:
        if isinstance(source, exp.Table) and source.name in collections:
            out[source.alias_or_name] = collections[source.name]
    return out


def _expand_star(select: exp.Select, scope: dict[str, Collection]) -> None:
    """``SELECT *`` over one collection lists its fields by name (not internal columns)."""
    if len(scope) != 1 or len(select.expressions) != 1:
        return
    if not isinstance(select.expressions[0], exp.Star):
        return
    alias, coll = next(iter(scope.items()))
    select.set(
        "expressions",
        [
            exp.alias_(exp.column(f.column, table=alias, quoted=True), f.path, quoted=True)
            for f in coll.top_fields()
            if f.column
        ],
    )


def _resolve(
    column: exp.Column, scope: dict[str, Collection], dialect: str
) -> tuple[exp.Expr, str] | None:
    """The store expression for a field written as a (dotted) column, if it needs one."""
    parts = [p.name for p in column.parts]
    if not parts or any(not p for p in parts):
        return None
    qualifier: str | None = None
    if len(parts) > 1 and parts[0] in scope:
        qualifier, parts = parts[0], parts[1:]
        candidates = [(qualifier, scope[qualifier])]
    else:
        candidates = [(a, c) for a, c in scope.items() if parts[0] in c.fields]
    if len(candidates) != 1:
        return None
    alias, coll = candidates[0]
    path = ".".join(parts)
    field = coll.fields.get(path)
    if field is None:
        return None
    table = alias if (qualifier or len(scope) > 1) else None
    if field.column is not None:
        if field.column == path and qualifier is not None:
            return None
        if field.column == path and len(parts) == 1:
            return None
        return exp.column(field.column, table=table, quoted=True), path
    top = coll.fields.get(parts[0])
    if top is None or top.column is None or top.type is not FieldType.JSON:
        return None
    source = exp.column(top.column, table=table, quoted=True)
    return _json_leaf(source, parts[1:], field.type, dialect), path


def _json_leaf(source: exp.Expr, path: list[str], ftype: FieldType, dialect: str) -> exp.Expr:
    from thermodb.storage.backends.registry import backend_for_sqlglot

    return backend_for_sqlglot(dialect).sql_json_leaf(source, path, ftype)


def _column_types(columns: list[str], used: list[Collection]) -> list[FieldType | None]:
    """The field type of each output column named like a field of exactly one collection.

    It lets JSON text and SQLite's 0/1 booleans read back as JSON values and booleans
    for plain field columns; computed columns keep whatever type the store gave them.
    """
    out: list[FieldType | None] = []
    for name in columns:
        types = {c.fields[name].type for c in used if name in c.fields}
        out.append(types.pop() if len(types) == 1 else None)
    return out


def _value(value: Any, ftype: FieldType | None) -> Any:
    """A value from the driver as JSON (canonical SQLite time text becomes ISO with Z)."""
    if isinstance(value, str) and _CANONICAL_TIME.match(value):
        return iso(datetime.fromisoformat(value))
    if ftype in (FieldType.JSON, FieldType.BOOL):
        return converter_for(ftype)(value)
    return converter_for(None)(value)
