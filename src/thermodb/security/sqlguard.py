"""The gateway's check of read-only SQL, before the query engine sees it.

Defence in depth: the SQL engine has its own read-only check; this one also knows who is
asking. It accepts exactly one SELECT (or UNION of SELECTs) that reads only collections the
caller may read, and refuses:

* stacked statements, DML/DDL anywhere (including writable CTEs), ``SELECT ... INTO``,
  row locks (``FOR UPDATE``);
* functions outside a small allow-list (so ``pg_sleep``, ``pg_read_file``, ``set_config``,
  ``dblink``, ``load_extension`` and friends never run);
* internal tables (``thermo_*``: keys, audit, catalog) and system catalogs;
* any collection on which a row filter or a field mask applies to the caller: SQL is
  arbitrary enough (joins, subqueries, expressions over masked columns) that rewriting it
  safely is not worth the risk, so those callers use ``query`` or ``ask``, where the filter
  and masks are compiled into the QuerySpec.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from thermodb.errors import PermissionDeniedError, UnsafeSQLError
from thermodb.security.policy import Policy
from thermodb.security.principal import Principal

__all__ = ["check_sql"]

_WRITES = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Command,
    exp.Into,
    exp.Lock,
    exp.Set,
    exp.Pragma,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
)
_ALLOWED_ANONYMOUS = frozenset(
    {
        "strftime",
        "date",
        "datetime",
        "julianday",
        "json_extract",
        "date_part",
        "to_char",
        "instr",
        "printf",
        "ifnull",
        "nullif",
        "iif",
        "trim",
        "ltrim",
        "rtrim",
        "replace",
        "substr",
        "length",
        "typeof",
    }
)
_SYSTEM_PREFIXES = ("thermo_", "sqlite_", "pg_", "information_schema", "duckdb_")


def check_sql(
    text: str,
    principal: Principal,
    policy: Policy,
    dialect: str,
    collections: Iterable[str] = (),
) -> list[str]:
    """The collections ``text`` reads; raises UnsafeSQLError or PermissionDeniedError.

    ``collections`` are the names a CTE may not take: a table reference is skipped as a
    CTE reference by its name, so a CTE that shadowed a collection (in any scope) would
    hide a real read of that collection from the grant, filter and mask checks.
    """
    try:
        statements = [s for s in sqlglot.parse(text, read=dialect) if s is not None]
    except ParseError as exc:
        raise UnsafeSQLError(
            f"the SQL does not parse: {str(exc).splitlines()[0]}",
            hint="send one read-only SELECT",
        ) from None
    if len(statements) != 1:
        raise UnsafeSQLError(
            f"send exactly one statement (got {len(statements)})",
            hint="remove the ';' and anything after it",
        )
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise UnsafeSQLError(
            "only SELECT is allowed", hint="use the ingest and records APIs to write"
        )
    for node in tree.walk():
        if isinstance(node, _WRITES):
            raise UnsafeSQLError(
                f"{type(node).__name__.upper()} is not allowed in read-only SQL",
                hint="send a plain SELECT (no writable CTE, INTO or FOR UPDATE)",
            )
        if isinstance(node, exp.Anonymous) and node.name.lower() not in _ALLOWED_ANONYMOUS:
            raise UnsafeSQLError(
                f"the function {node.name}() is not allowed",
                hint="use standard aggregates and scalar functions only",
            )
    cte_names = [cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)]
    reserved = {name.lower() for name in collections}
    for name in cte_names:
        if name in reserved or name.startswith(_SYSTEM_PREFIXES) or cte_names.count(name) > 1:
            raise UnsafeSQLError(
                f"the CTE name {name!r} is taken (a collection, an internal table, or another CTE)",
                hint="give each CTE a name of its own",
            )
    ctes = set(cte_names)
    tables: list[str] = []
    for table in tree.find_all(exp.Table):
        name = table.name
        if not name or name.lower() in ctes:
            continue
        if table.db or table.catalog:
            raise UnsafeSQLError(
                f"schema-qualified table {table.sql()!r} is not allowed",
                hint="name collections without a schema",
            )
        if name.lower().startswith(_SYSTEM_PREFIXES):
            raise PermissionDeniedError(
                f"{name!r} is internal and cannot be read with SQL", code="forbidden"
            )
        principal.require("read", name)
        if _restricted(policy, principal, name):
            raise PermissionDeniedError(
                f"row filters or masks apply to you on {name!r}, so it cannot be read with SQL",
                hint="use the query or ask endpoints, which apply them",
                code="restricted_sql",
            )
        tables.append(name)
    if not tables:
        raise UnsafeSQLError("the SELECT reads no collection", hint="add FROM <collection>")
    return sorted(set(tables))


def _restricted(policy: Policy, principal: Principal, name: str) -> bool:
    try:
        return policy.restricted(principal, name)
    except PermissionDeniedError:
        return True
