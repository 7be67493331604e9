"""Resolving a QuerySpec's field names to SQL expressions, checked against the catalog.

A name is one of: a top-level field (its column), a dotted path to a leaf inside a JSON
column (``settings.theme``: ``json_extract`` on SQLite, ``jsonb_extract_path_text`` on
PostgreSQL, cast to the leaf's type), ``alias.field`` of a lookup link, or the value of an
aggregate link. Anything else is a NotFoundError naming the closest fields, so no
identifier reaches SQL unless the schema has it.

JSON path segments are rendered as SQL string literals (escaped by SQLAlchemy), not bound
parameters: PostgreSQL matches a GROUP BY expression to the SELECT list only when the two
are textually equal, and two bound parameters never are. They are field names the catalog
holds, not user values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FromClause

from thermodb.catalog.model import Collection
from thermodb.catalog.types import FieldType
from thermodb.errors import NotFoundError, QueryError
from thermodb.storage.columns import JsonText, UtcTimestamp

__all__ = ["FieldRef", "Scope", "const", "sqlite_canonical_time"]

_UNSAFE_SEGMENT = re.compile(r"[\"\\\x00-\x1f]")


def const(value: Any) -> ColumnElement[Any]:
    """A constant of our own making (a format, a JSON path), rendered inline and escaped."""
    return sa.literal(value, literal_execute=True)


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

    dialect: str
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
        if self.dialect == "postgresql":
            return _pg_extract(column, path, ftype)
        return _sqlite_extract(column, path, ftype)

    def _suggest(self, name: str) -> str:
        from rapidfuzz import process

        names = self.names()
        best = [m[0] for m in process.extract(name, names, limit=3, score_cutoff=60)]
        shown = ", ".join(names[:25]) + (" ..." if len(names) > 25 else "")
        if best:
            return f"did you mean {', '.join(map(repr, best))}? fields: {shown}"
        return f"fields: {shown}"


def _sqlite_extract(
    column: ColumnElement[Any], path: list[str], ftype: FieldType
) -> ColumnElement[Any]:
    json_path = "$" + "".join(f'."{segment}"' for segment in path)
    if ftype is FieldType.JSON:
        return sa.type_coerce(column.op("->")(const(json_path)), JsonText())
    value = sa.func.json_extract(column, const(json_path))
    if ftype is FieldType.TIMESTAMP:
        return sa.type_coerce(sqlite_canonical_time(value), UtcTimestamp())
    if ftype is FieldType.BOOL:
        return sa.type_coerce(value, sa.Boolean(create_constraint=False))
    if ftype is FieldType.INT:
        return sa.type_coerce(value, sa.BigInteger())
    if ftype is FieldType.FLOAT:
        return sa.type_coerce(value, sa.Float(precision=53))
    # a text leaf may hold numbers and booleans too (it widened): compare them as the text
    # PostgreSQL's jsonb_extract_path_text gives, so both stores answer alike
    kind = sa.func.json_type(column, const(json_path))
    as_text = sa.case(
        (kind == const("true"), const("true")),
        (kind == const("false"), const("false")),
        else_=sa.cast(value, sa.Text()),
    )
    return sa.type_coerce(as_text, sa.Text())


def sqlite_canonical_time(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """Any time text SQLite can read, as the canonical stored form (millisecond precision).

    Nested timestamps keep the text they arrived with (offsets, no fraction...), so they
    are normalised before being compared with canonical bounds or cut into buckets.
    """
    return sa.func.strftime(const("%Y-%m-%dT%H:%M:%f000Z"), value)


def _pg_extract(
    column: ColumnElement[Any], path: list[str], ftype: FieldType
) -> ColumnElement[Any]:
    keys = [const(segment) for segment in path]
    if ftype is FieldType.JSON:
        return sa.type_coerce(sa.func.jsonb_extract_path(column, *keys), JsonText())
    text = sa.func.jsonb_extract_path_text(column, *keys)
    casts: dict[FieldType, sa.types.TypeEngine[Any]] = {
        FieldType.INT: sa.BigInteger(),
        FieldType.FLOAT: sa.Float(precision=53),
        FieldType.BOOL: sa.Boolean(),
        FieldType.TIMESTAMP: sa.DateTime(timezone=True),
    }
    if ftype in casts:
        return sa.cast(text, casts[ftype])
    return sa.type_coerce(text, sa.Text())
