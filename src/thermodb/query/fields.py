"""Resolving a QuerySpec's field names to SQL expressions, checked against the catalog.

A name is one of: a top-level field (its column), a dotted path to a leaf at any depth
inside a JSON column (``settings.theme``: the backend's JSON extraction, typed like the
leaf), ``alias.field`` of a lookup link, or the value of an aggregate link. Anything else
is a NotFoundError naming the closest fields, so no identifier reaches SQL unless the
schema has it.

JSON path segments are rendered as SQL string literals (escaped by SQLAlchemy), not bound
parameters: PostgreSQL matches a GROUP BY expression to the SELECT list only when the two
are textually equal, and two bound parameters never are. They are field names the catalog
holds, not user values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FromClause

from thermodb.catalog.model import Collection
from thermodb.catalog.types import FieldType
from thermodb.errors import NotFoundError, QueryError
from thermodb.storage.backends.base import QueryBackend
from thermodb.storage.columns import const

__all__ = ["FieldRef", "Scope", "const"]

_UNSAFE_SEGMENT = re.compile(r"[\"\\\x00-\x1f]")


@dataclass(frozen=True)
class FieldRef:
    """A resolved name: the expression to use and the type its values have."""

    name: str
    expr: ColumnElement[Any]
    type: FieldType | None
    """None for computed values whose type the caller knows (counts, percentiles...)."""
    leaf: bool = False
    """A value read out of a JSON column."""


@dataclass
class Scope:
    """The names visible to one SELECT: a collection's fields, plus its links' names."""

    backend: QueryBackend
    collection: Collection
    table: FromClause
    lookups: dict[str, Scope] = field(default_factory=dict)
    values: dict[str, FieldRef] = field(default_factory=dict)

    def field(self, name: str) -> FieldRef:
        """The expression for ``name``, or NotFoundError with the closest names."""
        if name in self.values:
            return self.values[name]
        found = self._own(name)
        if found is not None:
            return found
        alias, _, rest = name.partition(".")
        if rest and alias in self.lookups:
            inner = self.lookups[alias].field(rest)
            return FieldRef(name, inner.expr, inner.type, inner.leaf)
        raise NotFoundError(
            f"{self.collection.name!r} has no field {name!r}",
            hint=self._suggest(name),
        )

    def names(self) -> list[str]:
        out = list(self.collection.fields)
        out += list(self.values)
        for alias, scope in self.lookups.items():
            out += [f"{alias}.{n}" for n in scope.collection.fields]
        return out

    # -- the collection's own fields ------------------------------------------------------
    def _own(self, name: str) -> FieldRef | None:
        coll = self.collection
        f = coll.resolve(name)
        if f is None:
            return None
        if f.column is not None:
            return FieldRef(name, self.table.c[f.column], f.type)
        parts = f.segments
        top = coll.fields.get(parts[0])
        if top is not None and top.column is not None and top.type is FieldType.JSON:
            expr = self._extract(self.table.c[top.column], list(parts[1:]), f.type)
            return FieldRef(name, expr, f.type, leaf=True)
        return None

    def _extract(
        self, column: ColumnElement[Any], path: list[str], ftype: FieldType
    ) -> ColumnElement[Any]:
        for segment in path:
            if _UNSAFE_SEGMENT.search(segment):
                raise QueryError(
                    f"the nested field name {segment!r} holds quotes, backslashes or "
                    "control characters, which queries cannot address",
                    hint="rename the field in the records",
                )
        return self.backend.json_leaf(column, path, ftype)

    def _suggest(self, name: str) -> str:
        from rapidfuzz import process

        names = self.names()
        best = [m[0] for m in process.extract(name, names, limit=3, score_cutoff=60)]
        shown = ", ".join(names[:25]) + (" ..." if len(names) > 25 else "")
        if best:
            return f"did you mean {', '.join(map(repr, best))}? fields: {shown}"
        return f"fields: {shown}"
