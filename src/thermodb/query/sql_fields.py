"""Dotted paths in read-only SQL: ``settings.theme`` or ``u.settings.theme`` becomes the
store's JSON extraction, and ``SELECT *`` over one collection lists its fields by name."""

from __future__ import annotations

from sqlglot import exp

from thermodb.catalog.model import Collection
from thermodb.catalog.types import FieldType

__all__ = ["rewrite_fields"]


def rewrite_fields(tree: exp.Expr, collections: dict[str, Collection], dialect: str) -> None:
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
    field = coll.resolve_segments(parts)
    if field is None:
        return None
    path = field.path
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
    return _json_leaf(source, list(field.segments[1:]), field.type, dialect), path


def _json_leaf(source: exp.Expr, path: list[str], ftype: FieldType, dialect: str) -> exp.Expr:
    from thermodb.storage.backends.registry import backend_for_sqlglot

    return backend_for_sqlglot(dialect).sql_json_leaf(source, path, ftype)
