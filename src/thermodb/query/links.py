"""Links between collections: which fields join them, and the SQL each kind of link adds.

* ``semi`` / ``anti``: an ``IN`` / ``NOT EXISTS`` subquery in the WHERE clause.
* ``lookup``: a LEFT JOIN of the other collection (many-to-one), whose fields then read as
  ``alias.field``.
* ``aggregate``: a LEFT JOIN of the other collection pre-aggregated per join key, whose
  value reads as the link's name (0 for counts of nothing). Pre-aggregating keeps it one
  pass over the other collection instead of one correlated subquery per row.

When ``on`` is not given it is inferred: a field of this collection named like the other's
singular plus ``id`` (``user_id``, ``userId`` → ``users.id``) against the other's key, or
the reverse (``users.id`` ← ``messages.user_id``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from thermodb.catalog.model import Collection
from thermodb.catalog.naming import singular, split_words
from thermodb.errors import QueryError
from thermodb.query.fields import FieldRef, const
from thermodb.query.spec import Link

__all__ = ["JoinKeys", "infer_on", "join_condition", "zero"]


@dataclass(frozen=True)
class JoinKeys:
    here: str
    there: str


def infer_on(base: Collection, other: Collection, link: Link) -> JoinKeys:
    """The fields that join ``base`` to ``other``: given, or inferred from their names."""
    if link.on is not None:
        return JoinKeys(*link.on)
    wanted = (singular(other.name), "id")
    if other.key_field:
        for path in base.fields:
            if "." not in path and _names_key(path, wanted, other.key_field):
                return JoinKeys(path, other.key_field)
    reverse = (singular(base.name), "id")
    if base.key_field:
        for path in other.fields:
            if "." not in path and _names_key(path, reverse, base.key_field):
                return JoinKeys(base.key_field, path)
    raise QueryError(
        f"cannot tell which fields link {base.name!r} to {other.name!r}",
        hint=f'give them with "on": ["<field of {base.name}>", "<field of {other.name}>"] '
        f"(looked for {'_'.join(wanted)} → {other.name}.{other.key_field or '<key>'} "
        f"and {other.name}.{'_'.join(reverse)} → {base.name}.{base.key_field or '<key>'})",
    )


def _names_key(path: str, wanted: tuple[str, str], key: str) -> bool:
    words = split_words(path)
    if words == wanted:
        return True
    # "user" alone holding the other's key, e.g. messages.user → users.id
    return len(words) == 1 and words[0] == wanted[0] and path != key


def join_condition(here: FieldRef, there: FieldRef) -> ColumnElement[bool]:
    """``here = there``, comparing as text when the two fields' types differ."""
    if here.type is there.type:
        return here.expr == there.expr
    return sa.cast(here.expr, sa.Text()) == sa.cast(there.expr, sa.Text())


def zero() -> ColumnElement[Any]:
    """The constant 0 for counts over no records (inline, so GROUP BY can repeat it)."""
    return const(0)
