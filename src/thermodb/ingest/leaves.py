"""Nested leaves of a batch, gathered a level of nesting at a time instead of record by record.

The statistics of nested fields (``error.type``, ``http.status``) come from the leaves of
each record's objects: every value under a dotted path that is not itself a non-empty
object (see :class:`~thermodb.ingest.validation.RecordChecker`). Walking each record costs a
Python loop per value; here each path of a batch is one ``itemgetter`` map over the objects
that hold it. :func:`nested_values` gives exactly what concatenating the per-record leaves
in row order gives, including the order in which new paths first appear.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Sequence
from itertools import chain, repeat
from operator import itemgetter
from typing import Any

from thermodb.catalog.naming import quote_segment

__all__ = ["leaf_paths", "nested_values"]

_Found = dict[str, tuple[list[int], list[Any]]]


def nested_values(
    tops: Sequence[tuple[str, list[Any]]],
    records: Sequence[dict[str, Any]],
    known: Container[str],
) -> dict[str, list[Any]]:
    """Each nested path's values in row order, as the record-at-a-time walk collects them.

    ``tops`` are the batch's top-level fields that may hold objects, each with its value
    in every row, and ``records`` the batch's records (to order new paths). A path in
    ``known`` takes every value; a new path starts at its first non-null value and is
    left out if it has none. New paths come last, in the order the walk meets them.
    """
    found: _Found = {}
    for key, values in tops:
        _collect(f"{quote_segment(key)}.", list(range(len(values))), values, found)
    out: dict[str, list[Any]] = {}
    new: list[tuple[int, str, list[Any]]] = []
    for path, (rows, values) in found.items():
        if path in known:
            out[path] = values
            continue
        start = next((i for i, v in enumerate(values) if v is not None), -1)
        if start >= 0:
            new.append((rows[start], path, values[start:]))
    if new:
        ranks: dict[int, dict[str, int]] = {}
        for row, _, _ in new:
            if row not in ranks:
                ranks[row] = {p: i for i, p in enumerate(leaf_paths(records[row]))}
        new.sort(key=lambda n: (n[0], ranks[n[0]][n[1]]))
        out.update((path, values) for _, path, values in new)
    return out


def _collect(prefix: str, rows: list[int], dicts: list[Any], found: _Found) -> None:
    """The leaves under ``prefix`` of these objects (rows ascending), into ``found``."""
    pairs = [(r, d) for r, d in zip(rows, dicts, strict=True) if type(d) is dict and d]
    if not pairs:
        return
    rows = [r for r, _ in pairs]
    objs = [d for _, d in pairs]
    for key in dict.fromkeys(chain.from_iterable(objs)):
        path = prefix + quote_segment(key)
        if all(map(dict.__contains__, objs, repeat(key))):
            krows, values = rows, list(map(itemgetter(key), objs))
        else:
            krows = [r for r, d in zip(rows, objs, strict=True) if key in d]
            values = [d[key] for d in objs if key in d]
        if dict in set(map(type, values)):
            _collect(f"{path}.", krows, values, found)
            kept = [
                (r, v) for r, v in zip(krows, values, strict=True) if not (type(v) is dict and v)
            ]
            krows = [r for r, _ in kept]
            values = [v for _, v in kept]
        if values:
            found[path] = (krows, values)


def leaf_paths(record: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """The dotted paths of a record's nested leaves in the order the validation walk
    lists them (top-level values are not leaves)."""
    for key, value in record.items():
        if type(value) is dict:
            if value:
                yield from leaf_paths(value, f"{prefix}{quote_segment(key)}.")
            elif prefix:
                yield f"{prefix}{quote_segment(key)}"
        elif prefix:
            yield f"{prefix}{quote_segment(key)}"
