"""Limits on what one record may be, checked in one walk that also finds nested leaves.

A record must be a JSON object; it may not exceed :class:`Limits`. The walk returns the
dotted paths of leaves inside nested objects (``address.city``) with their values, so the
schema can describe and the query engine can address them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Limits", "RecordChecker", "RecordProblem", "check_record"]


@dataclass(frozen=True)
class Limits:
    max_record_bytes: int = 1024 * 1024
    max_depth: int = 32
    max_field_name: int = 128
    max_fields: int = 1000
    """Distinct top-level fields in one record."""


class RecordProblem(Exception):
    """Why one record cannot be ingested (the pipeline adds its position)."""


def check_record(record: Any, limits: Limits, known_size: int = 0) -> list[tuple[str, Any]]:
    """Validate one record; return its nested leaves as (dotted path, value).

    Raises RecordProblem with a message that says what to fix.
    """
    return RecordChecker(limits).check(record, known_size)


class RecordChecker:
    """Checks records against one set of limits, remembering field names already accepted.

    Records of one source repeat the same few names, so a name is checked once per checker
    (a set lookup after that): the walk is on the hot path of every ingest.
    """

    MAX_REMEMBERED_NAMES = 10_000
    """Names kept as accepted; beyond this they are checked each time (memory stays flat)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._names: set[str] = set()

    def check(self, record: Any, known_size: int = 0) -> list[tuple[str, Any]]:
        """Validate one record; return its nested leaves as (dotted path, value)."""
        limits = self.limits
        if not isinstance(record, dict):
            kind = "array" if isinstance(record, list) else type(record).__name__
            raise RecordProblem(f"a record must be a JSON object, not a {kind}")
        if not record:
            raise RecordProblem("the record is empty ({}); there is nothing to store")
        if len(record) > limits.max_fields:
            raise RecordProblem(
                f"the record has {len(record)} fields; the limit is {limits.max_fields}"
            )
        leaves: list[tuple[str, Any]] = []
        size = self._walk(record, "", 1, leaves)
        if size > limits.max_record_bytes or known_size > limits.max_record_bytes:
            raise RecordProblem(
                f"the record is about {max(size, known_size):,} bytes; the limit is "
                f"{limits.max_record_bytes:,} (store large blobs elsewhere and "
                "keep a reference)"
            )
        return leaves

    def _check_name(self, key: Any, prefix: str) -> None:
        limits = self.limits
        if not isinstance(key, str) or not key:
            raise RecordProblem(
                f"field names must be non-empty strings (got {key!r} in "
                f"{prefix.rstrip('.') or 'the top level'})"
            )
        if len(key) > limits.max_field_name:
            raise RecordProblem(
                f"field name {key[:40]!r}... is {len(key)} characters; the "
                f"limit is {limits.max_field_name}"
            )
        if "." in key or not key.isprintable():
            raise RecordProblem(
                f"field name {key!r} contains '.' or a control character; "
                "'.' addresses nested fields, so rename it"
            )
        if len(self._names) < self.MAX_REMEMBERED_NAMES:
            self._names.add(key)

    def _walk(
        self, obj: dict[str, Any], prefix: str, depth: int, leaves: list[tuple[str, Any]]
    ) -> int:
        if depth > self.limits.max_depth:
            raise RecordProblem(
                f"the record nests deeper than {self.limits.max_depth} levels "
                f"(at {prefix.rstrip('.') or 'the top'})"
            )
        names = self._names
        size = 2
        for key, value in obj.items():
            if key not in names:
                self._check_name(key, prefix)
            size += len(key) + 4
            t = type(value)
            if t is str:
                size += len(value)
            elif t is dict:
                if prefix or value:
                    size += self._walk(value, f"{prefix}{key}.", depth + 1, leaves)
                if prefix and not value:
                    leaves.append((f"{prefix}{key}", value))
                continue
            elif t is list:
                size += self._walk_list(value, f"{prefix}{key}", depth + 1)
            elif t is float and not math.isfinite(value):
                raise RecordProblem(
                    f"field {prefix}{key} is {value}, which JSON cannot hold; send null instead"
                )
            else:
                size += 8
            if prefix:
                leaves.append((f"{prefix}{key}", value))
        return size

    def _walk_list(self, items: list[Any], path: str, depth: int) -> int:
        if depth > self.limits.max_depth:
            raise RecordProblem(
                f"the record nests deeper than {self.limits.max_depth} levels (at {path})"
            )
        size = 2
        for item in items:
            t = type(item)
            if t is str:
                size += len(item) + 3
            elif t is dict:
                size += self._walk(item, f"{path}[].", depth + 1, [])
            elif t is list:
                size += self._walk_list(item, path, depth + 1)
            else:
                size += 8
        return size
