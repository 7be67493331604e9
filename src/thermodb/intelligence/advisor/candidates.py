"""Candidate indexes from what slow fingerprints filter, order and group on.

For each fingerprint: one single-column candidate per equality, range, order and group
column, and two-column candidates that put an equality column first and a second
equality, range, order or group column after it (the order a B-tree serves best). Fields
inside JSON columns, JSON columns and candidates that an existing index already leads
with are left out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from thermodb.catalog.model import Collection
from thermodb.catalog.types import FieldType
from thermodb.intelligence.fingerprint import SpecFields

__all__ = ["Candidate", "candidates_for", "index_name"]


@dataclass
class Candidate:
    collection: str
    columns: tuple[str, ...]
    fingerprints: list[str] = field(default_factory=list)
    """The fingerprints it was proposed for."""

    @property
    def name(self) -> str:
        return index_name(self.collection, self.columns)


def index_name(collection: str, columns: Sequence[str]) -> str:
    """``thx_<collection>_<hash>``: recognisably the advisor's, within 63 characters."""
    digest = hashlib.blake2b("\0".join([collection, *columns]).encode(), digest_size=4)
    return f"thx_{collection[:40]}_{digest.hexdigest()}"


def _columns(coll: Collection, names: Iterable[str]) -> list[str]:
    out = []
    for name in names:
        f = coll.fields.get(name)
        if f is not None and f.column and f.type is not FieldType.JSON and f.column not in out:
            out.append(f.column)
    return out


def candidates_for(
    coll: Collection, fields: SpecFields, existing: Sequence[Sequence[str]]
) -> list[tuple[str, ...]]:
    """Column tuples worth trying for one fingerprint, best guesses first."""
    time_name = fields.time_field or coll.time_field
    equality = _columns(coll, fields.equality)
    ranges = _columns(
        coll, [*fields.range, *([time_name] if fields.time_range and time_name else [])]
    )
    order = _columns(coll, fields.order[:1])
    group = _columns(
        coll, [*fields.group, *([time_name] if fields.time_bucket and time_name else [])]
    )
    found: list[tuple[str, ...]] = []

    def add(cols: tuple[str, ...]) -> None:
        if len(set(cols)) != len(cols) or cols in found:
            return
        if any(tuple(index[: len(cols)]) == cols for index in existing):
            return
        found.append(cols)

    for first in equality:
        for second in [*equality, *ranges, *order, *group]:
            add((first, second))
    for col in [*equality, *ranges, *order, *group]:
        add((col,))
    return found
