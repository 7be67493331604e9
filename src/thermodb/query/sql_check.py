"""The one checker of read-only SQL: parse, refuse what is not reading, resolve every table.

Used by the engine for every caller and by the gateway with the caller's grants passed in
(:class:`SQLGrants`), so there is one set of rules and the check and the execution cannot
disagree: what runs is the tree this module checked, printed again, with every table
reference rewritten to the exact, quoted name the check resolved it to.

Resolution follows the engines, and refuses where they could differ:

* a table name matches a collection case-insensitively, quoted or not (SQLite ignores
  case even in quotes; a quoted mixed-case name on PostgreSQL is read as the collection
  too, never as some other table), and is printed back as ``"collection"``;
* schema- or database-qualified names, catalog and system tables are refused;
* a name is a CTE only where that CTE is in scope: the WITH of an enclosing query, and
  inside a CTE's own body only the CTEs before it (and itself when RECURSIVE); a CTE
  name that is a collection, a system name or repeats another in its WITH is refused, so
  a reference is never a CTE in one engine's eyes and a table in another's.

Everything else is allow-listed (see :mod:`thermodb.query.sql_rules`): statement kinds,
functions, cast types; size arguments and format widths are bounded; the text, its tokens
and its nesting are bounded before parsing so the checker's own work stays small.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.tokenizer_core import TokenType

from thermodb.catalog.model import Collection
from thermodb.errors import NotFoundError, QueryError, UnsafeSQLError
from thermodb.query import sql_rules as rules
from thermodb.query.sql_fields import rewrite_fields
from thermodb.query.sql_rules import words

__all__ = ["CheckedSQL", "SQLGrants", "check_sql"]

_FORBIDDEN_NODES: tuple[type[exp.Expr], ...] = tuple(
    cls
    for cls in (
        getattr(exp, name, None)
        for name in words(
            "DML Insert Update Delete Merge DDL Create Drop Alter Command Copy Pragma Attach "
            "Detach Set Transaction Commit Rollback Use Grant Revoke TruncateTable LoadData "
            "Into Lock Kill Analyze Describe Cache Uncache Refresh Show Execute Comment "
            "Install Placeholder Parameter"
        )
    )
    if isinstance(cls, type)
)
_FORMAT_SPEC = re.compile(r"%[-+ 0#,!']*(\*|\d+)?(?:\.(\*|\d+))?")
_GROWING = (exp.Repeat, exp.Pad, exp.Replace, exp.Format)


class SQLGrants(Protocol):
    """What the caller may read, decided by the security layer (the engine knows no one)."""

    def check_read(self, collection: str) -> None:
        """Raise (PermissionDeniedError) unless the caller may read ``collection`` by SQL."""

    def visible(self, names: Iterable[str]) -> list[str]:
        """The names among ``names`` the caller may know exist (for hints)."""


@dataclass(frozen=True)
class CheckedSQL:
    """A statement that passed the check, as the store will run it."""

    sql: str
    collections: frozenset[str]
    ctes: frozenset[str] = frozenset()


def check_sql(
    text: str,
    collections: dict[str, Collection],
    dialect: str,
    *,
    target: str | None = None,
    grants: SQLGrants | None = None,
) -> CheckedSQL:
    """Parse and check ``text``; the SQL to run, or UnsafeSQLError / QueryError saying why.

    ``text`` is written for the operational store's ``dialect`` (sqlglot's name for it, the
    backend's ``capabilities.sqlglot_dialect``); ``target="duckdb"``
    prints the checked statement for DuckDB instead (how it runs over cold data). With
    ``grants``, every collection read is checked against them and hints name only the
    collections the caller may see.
    """
    read = dialect
    write = target or dialect
    try:
        tree = _parse(text, read)
        _refuse_nodes(tree)
        used, ctes = _resolve_tables(tree, collections, grants)
        rewrite_fields(tree, collections, target or dialect)
        return CheckedSQL(tree.sql(dialect=write), frozenset(used), frozenset(ctes))
    except RecursionError:
        raise _too_nested() from None


# -- reading the text ---------------------------------------------------------------------
def _parse(text: str, read: str) -> exp.Expr:
    if not text.strip():
        raise QueryError("the SQL is empty", hint="write one SELECT statement")
    if len(text) > rules.MAX_SQL_CHARS:
        raise QueryError(
            f"the SQL is {len(text)} characters long; at most {rules.MAX_SQL_CHARS} can run",
            hint="shorten it: filter with IN (...) or a range instead of many ORs",
        )
    dialect = Dialect.get_or_raise(read)
    try:
        tokens = dialect.tokenize(text)
    except SqlglotError as exc:
        raise _unreadable(text, exc) from None
    depth = deepest = 0
    for token in tokens:
        if token.token_type is TokenType.L_PAREN:
            depth += 1
            deepest = max(deepest, depth)
        elif token.token_type is TokenType.R_PAREN:
            depth -= 1
    if deepest > rules.MAX_NESTING:
        raise _too_nested()
    if len(tokens) > rules.MAX_TOKENS:
        raise QueryError(
            f"the SQL has {len(tokens)} tokens; at most {rules.MAX_TOKENS} can run",
            hint="shorten it: filter with IN (...) or a range instead of many ORs",
        )
    try:
        statements = [s for s in dialect.parser().parse(tokens, text) if s is not None]
    except SqlglotError as exc:
        raise _unreadable(text, exc) from None
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
    return tree


def _unreadable(text: str, exc: SqlglotError) -> Exception:
    first = text.lstrip().split(None, 1)[0].upper() if text.strip() else ""
    if first not in ("SELECT", "WITH", "("):
        return UnsafeSQLError(
            f"only one SELECT statement can run here, not {first[:40] or 'this'}",
            hint="read data with SELECT ... FROM <collection>",
        )
    message = str(exc).strip().splitlines()[0][:300]
    return QueryError(f"could not read the SQL: {message}")


def _too_nested() -> QueryError:
    return QueryError(
        f"the SQL is nested too deeply (at most {rules.MAX_NESTING} levels of parentheses "
        "or subqueries)",
        hint="flatten it: use a CTE (WITH ...) instead of nesting subqueries",
    )


def _kind(node: exp.Expr) -> str:
    if isinstance(node, exp.Command):
        return str(node.this).upper()[:40] or "a command"
    return type(node).__name__.upper()


# -- what may appear ----------------------------------------------------------------------
def _refuse_nodes(tree: exp.Expr) -> None:
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            raise UnsafeSQLError(
                f"this SQL contains {_forbidden_what(node)}; only reading is allowed",
                hint="thermodb's SQL runs one plain SELECT; writable CTEs are refused too",
            )
        if isinstance(node, exp.Func):
            _check_function(node)
        elif isinstance(node, exp.Column):
            _check_bare_word(node)


def _forbidden_what(node: exp.Expr) -> str:
    if isinstance(node, exp.Into):
        return "SELECT ... INTO (it creates a table)"
    if isinstance(node, exp.Lock):
        return "a locking read (FOR UPDATE / FOR SHARE)"
    if isinstance(node, exp.Placeholder | exp.Parameter):
        return "a parameter placeholder (values go into the SQL text)"
    return _kind(node)


def _check_function(node: exp.Func) -> None:
    if isinstance(node, exp.Anonymous):
        name = str(node.name).lower()
        if name not in rules.ALLOWED_ANONYMOUS:
            raise _refused_function(name)
        if name in ("printf", "format") and node.expressions:
            _bounded_format(node.expressions[0])
        return
    if not isinstance(node, rules.ALLOWED_FUNCTIONS):
        raise _refused_function(str(node.sql_name()).lower())
    if isinstance(node, exp.Cast):
        _check_cast(node)
    elif isinstance(node, exp.Repeat):
        times = _small_int(node.args.get("times"), "repeat()'s count")
        this = node.this
        if not (isinstance(this, exp.Literal) and this.is_string):
            raise UnsafeSQLError(
                "repeat() can repeat only a literal text here",
                hint=f"repeat('ab', 3); at most {rules.MAX_GENERATED_CHARS} characters",
            )
        if len(str(this.this)) * times > rules.MAX_GENERATED_CHARS:
            raise _too_big("repeat()")
    elif isinstance(node, exp.Pad):
        _small_int(node.args.get("expression"), "the padded length")
    elif isinstance(node, exp.Format) and node.this is not None:
        _bounded_format(node.this)
    elif isinstance(node, exp.Replace):
        _bounded_replace(node)


def _refused_function(name: str) -> UnsafeSQLError:
    return UnsafeSQLError(
        f"the function {name}() is not allowed: only functions that read their arguments "
        "can run (nothing that reaches files, settings, sequences, the server or other "
        "databases)",
        hint="use ordinary functions on the collections' fields (see docs/query.md)",
    )


def _check_cast(node: exp.Cast) -> None:
    to = node.args.get("to")
    if isinstance(to, exp.DataType) and to.this in rules.ALLOWED_TYPES:
        return
    shown = to.sql() if isinstance(to, exp.Expr) else str(to)
    raise UnsafeSQLError(
        f"a cast to {shown[:60]} is not allowed: only value types (text, numbers, "
        "booleans, dates and times, JSON) can be cast to",
        hint="cast to TEXT, INTEGER, REAL/DOUBLE, NUMERIC, BOOLEAN, DATE, TIMESTAMP or JSON",
    )


def _check_bare_word(node: exp.Column) -> None:
    """PostgreSQL answers ``SELECT user`` with the server's role: bare session words."""
    ident = node.this
    if node.table or not isinstance(ident, exp.Identifier) or ident.quoted:
        return
    name = str(ident.this).lower()
    if name in rules.SESSION_WORDS:
        raise UnsafeSQLError(
            f"the bare word {name} names a server setting on some engines, so it is refused",
            hint=f'to read a field called {name}, quote it: "{name}"',
        )


def _small_int(node: exp.Expr | None, what: str) -> int:
    value: int | None = None
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            value = int(str(node.this))
        except ValueError:
            value = None
    if value is None or value > rules.MAX_GENERATED_CHARS:
        raise UnsafeSQLError(
            f"{what} must be a literal integer of at most {rules.MAX_GENERATED_CHARS}",
            hint="sizes that build large values are bounded so one call cannot exhaust memory",
        )
    return value


def _too_big(what: str) -> UnsafeSQLError:
    return UnsafeSQLError(
        f"{what} would build more than {rules.MAX_GENERATED_CHARS} characters",
        hint="sizes that build large values are bounded so one call cannot exhaust memory",
    )


def _bounded_format(fmt: exp.Expr) -> None:
    if not (isinstance(fmt, exp.Literal) and fmt.is_string):
        raise UnsafeSQLError(
            "the format of printf()/format() must be a literal text",
            hint="printf('%s: %d', name, n)",
        )
    for match in _FORMAT_SPEC.finditer(str(fmt.this)):
        for part in match.groups():
            if part == "*":
                raise UnsafeSQLError(
                    "printf()/format() widths must be written in the format ('%10s'), not "
                    "passed as arguments ('%*s')",
                    hint=f"widths and precisions of at most {rules.MAX_WIDTH}",
                )
            if part is not None and int(part) > rules.MAX_WIDTH:
                raise UnsafeSQLError(
                    f"a printf()/format() width or precision of {part} is too large",
                    hint=f"at most {rules.MAX_WIDTH}",
                )


def _bounded_replace(node: exp.Replace) -> None:
    """A ``replace`` that lengthens its input may do so once, by a short literal."""
    pattern = node.args.get("expression")
    replacement = node.args.get("replacement")
    if replacement is None:
        return
    if isinstance(replacement, exp.Literal) and replacement.is_string:
        grows = not (
            isinstance(pattern, exp.Literal)
            and pattern.is_string
            and len(str(pattern.this)) >= len(str(replacement.this))
        )
        if not grows:
            return
        if (
            len(str(replacement.this)) <= rules.MAX_REPLACEMENT
            and not any(
                isinstance(inner, _GROWING) for inner in node.this.walk() if inner is not node.this
            )
            and not isinstance(node.this, _GROWING)
        ):
            return
    raise UnsafeSQLError(
        "replace() may lengthen a text only once, by a literal of at most "
        f"{rules.MAX_REPLACEMENT} characters",
        hint="replacements that multiply a text's size are bounded so memory is too",
    )


# -- tables and CTEs ----------------------------------------------------------------------
def _resolve_tables(
    tree: exp.Expr, collections: dict[str, Collection], grants: SQLGrants | None
) -> tuple[set[str], set[str]]:
    by_lower = {name.lower(): name for name in collections}
    _name_ctes(tree, by_lower)
    used: set[str] = set()
    ctes: set[str] = set()
    for table in list(tree.find_all(exp.Table)):
        if not isinstance(table.this, exp.Identifier):
            continue  # a table function such as json_each(...): checked as a function
        name = str(table.name)
        if table.args.get("db") or table.args.get("catalog") or rules.SYSTEM_NAMES.match(name):
            raise UnsafeSQLError(
                f"{table.sql()[:80]} is not a collection: catalog, system and "
                "schema-qualified tables cannot be read",
                hint=_collections_hint(collections, grants),
            )
        key = name.lower()
        if _cte_in_scope(table, key):
            table.set("this", exp.to_identifier(key, quoted=True))
            ctes.add(key)
            continue
        canonical = by_lower.get(key)
        if canonical is None:
            raise NotFoundError(
                f"no collection named {name[:80]!r}", hint=_collections_hint(collections, grants)
            )
        if grants is not None:
            grants.check_read(canonical)
        table.set("this", exp.to_identifier(canonical, quoted=True))
        used.add(canonical)
    return used, ctes


def _collections_hint(collections: dict[str, Collection], grants: SQLGrants | None) -> str:
    names = sorted(collections) if grants is None else sorted(grants.visible(collections))
    shown = ", ".join(names[:30]) + (" ..." if len(names) > 30 else "")
    return f"collections: {shown or '(none you may read)'}"


def _name_ctes(tree: exp.Expr, collections: dict[str, str]) -> None:
    """Refuse CTE names that could be read as something else; print them lower-case."""
    for with_ in tree.find_all(exp.With):
        seen: set[str] = set()
        for cte in with_.expressions:
            alias = cte.args.get("alias")
            name = str(cte.alias_or_name).lower()
            if not isinstance(alias, exp.TableAlias) or not name:
                raise UnsafeSQLError("a CTE needs a name", hint="WITH name AS (SELECT ...)")
            if name in collections or rules.SYSTEM_NAMES.match(name) or name in seen:
                raise UnsafeSQLError(
                    f"the CTE name {name!r} is taken (a collection, an internal table, or "
                    "another CTE of the same WITH)",
                    hint="give each CTE a name of its own",
                )
            seen.add(name)
            alias.set("this", exp.to_identifier(name, quoted=True))


def _cte_in_scope(table: exp.Table, key: str) -> bool:
    """True if ``key`` names a CTE visible where ``table`` stands (innermost scope first)."""
    path: list[exp.Expr] = [table]
    node = table.parent
    while node is not None:
        path.append(node)
        node = node.parent
    for i in range(1, len(path)):
        query = path[i]
        if not isinstance(query, exp.Query):
            continue
        with_ = query.args.get("with_") or query.args.get("with")
        if not isinstance(with_, exp.With):
            continue
        names = [str(cte.alias_or_name).lower() for cte in with_.expressions]
        if path[i - 1] is with_ and i >= 2:
            # inside the body of one CTE: only the CTEs before it (and itself if RECURSIVE)
            position = next(
                (n for n, cte in enumerate(with_.expressions) if cte is path[i - 2]), len(names)
            )
            visible = names[: position + (1 if with_.args.get("recursive") else 0)]
        else:
            visible = names
        if key in visible:
            return True
    return False
