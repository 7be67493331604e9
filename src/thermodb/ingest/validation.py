"""Limits on what one record may be, checked in one walk that also finds nested leaves.

A record must be a JSON object; it may not exceed :class:`Limits`. The walk returns the
dotted paths of leaves inside nested objects (``address.city``) with their values, so the
schema can describe and the query engine can address them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

from thermodb.catalog.naming import quote_segment

__all__ = ["BLANK_NAME", "Limits", "RecordChecker", "RecordProblem", "check_record", "name_blank"]

BLANK_NAME = "_empty"
"""The field name of a top-level key that is the empty string (a table's blank header):
every interface needs a name to write, so the blank key gets this one (as dlt names it)."""


def name_blank(record: dict[str, Any]) -> dict[str, Any]:
    """The record with its blank top-level key renamed to :data:`BLANK_NAME` (or
    ``_empty_2``... if the record has that key too), in place of the blank one."""
    name, n = BLANK_NAME, 2
    while name in record:
        name, n = f"{BLANK_NAME}_{n}", n + 1
    return {(name if k == "" else k): v for k, v in record.items()}


@dataclass(frozen=True)
class Limits:
    max_record_bytes: int = 1024 * 1024
    max_depth: int = 32
    max_field_name: int = 1024
    max_fields: int = 1000
    """Distinct top-level fields in one record."""
    max_columns: int = 1000
    """Top-level fields of one collection (each is a column; PostgreSQL stops at 1,600)."""


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
            kind = _KINDS.get(type(record), type(record).__name__)
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

    def check_block(self, records: Sequence[Any], sizes: Sequence[int]) -> bool:
        """Whether every record of a decoded NDJSON block passes :meth:`check`, checked a
        level of nesting at a time rather than record by record.

        For lines decoded by orjson only (``sizes`` are their byte lengths, all > 0): orjson
        refuses non-finite numbers, and :meth:`check`'s size estimate is at most 8 bytes per
        byte of JSON, so a line of at most 1/8 of the size limit cannot exceed it. False
        means "check these records one by one" (something is wrong or unusual), never that
        a record is bad; the caller then gets :meth:`check`'s exact verdicts and messages.
        Nested leaves are not collected here (see :mod:`thermodb.ingest.leaves`).
        """
        limits = self.limits
        if not records or not all(type(r) is dict for r in records):
            return False
        if min(sizes) <= 0 or max(sizes) * 8 + 8 > limits.max_record_bytes:
            return False
        if not min(map(len, records)) or max(map(len, records)) > limits.max_fields:
            return False
        try:
            self._scan_dicts(records, 1)
        except RecordProblem:
            return False
        return True

    def _scan_dicts(self, dicts: Sequence[dict[str, Any]], depth: int) -> None:
        """Names, depth and nested containers of all these objects at one level."""
        if depth > self.limits.max_depth:
            raise RecordProblem("too deep")
        names = self._names
        for key in dict.fromkeys(chain.from_iterable(dicts)):
            if key not in names:
                if depth == 1 and key == "":
                    raise RecordProblem("a blank top-level name")  # named record by record
                self._check_name(key, "")
        values = list(chain.from_iterable(map(dict.values, dicts)))
        kinds = set(map(type, values))
        if dict in kinds:
            self._scan_dicts([v for v in values if type(v) is dict], depth + 1)
        if list in kinds:
            self._scan_lists([v for v in values if type(v) is list], depth + 1)

    def _scan_lists(self, lists: list[list[Any]], depth: int) -> None:
        if depth > self.limits.max_depth:
            raise RecordProblem("too deep")
        items = list(chain.from_iterable(lists))
        kinds = set(map(type, items))
        if dict in kinds:
            self._scan_dicts([v for v in items if type(v) is dict], depth + 1)
        if list in kinds:
            self._scan_lists([v for v in items if type(v) is list], depth + 1)

    def _check_name(self, key: Any, prefix: str) -> None:
        """Any text names a field (dots, spaces, newlines, unicode, even ''), except what
        no store can hold: NUL, a lone surrogate, or a name beyond the length limit."""
        limits = self.limits
        where = prefix.rstrip(".") or "the top level"
        if not isinstance(key, str):
            raise RecordProblem(f"field names must be strings (got {key!r} in {where})")
        if len(key) > limits.max_field_name:
            raise RecordProblem(
                f"field name {key[:40]!r}... is {len(key)} characters; the "
                f"limit is {limits.max_field_name}"
            )
        if "\x00" in key:
            raise RecordProblem(
                f"field name {key!r} in {where} holds a NUL character, which no store keeps"
            )
        if not key.isascii():
            try:
                key.encode("utf-8")
            except UnicodeEncodeError:
                raise RecordProblem(
                    f"field name {key!r} in {where} holds a lone surrogate (not text "
                    "UTF-8 can encode)"
                ) from None
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
                if "\x00" in value or (not value.isascii() and _lone_surrogate(value)):
                    raise RecordProblem(_bad_text(f"{prefix}{key}", value))
            elif t is dict:
                if prefix or value:
                    size += self._walk(value, f"{prefix}{quote_segment(key)}.", depth + 1, leaves)
                if prefix and not value:
                    leaves.append((f"{prefix}{quote_segment(key)}", value))
                continue
            elif t is list:
                size += self._walk_list(value, f"{prefix}{key}", depth + 1)
            elif t is float and not math.isfinite(value):
                raise RecordProblem(
                    f"field {prefix}{key} is {value}, which JSON cannot hold; send null instead"
                )
            elif t is int and not _INT64_MIN <= value <= _INT64_MAX:
                raise RecordProblem(_too_big(f"{prefix}{key}"))
            else:
                size += 8
            if prefix:
                leaves.append((f"{prefix}{quote_segment(key)}", value))
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
                if "\x00" in item or (not item.isascii() and _lone_surrogate(item)):
                    raise RecordProblem(_bad_text(path, item))
            elif t is dict:
                size += self._walk(item, f"{path}[].", depth + 1, [])
            elif t is list:
                size += self._walk_list(item, path, depth + 1)
            elif t is int and not _INT64_MIN <= item <= _INT64_MAX:
                raise RecordProblem(_too_big(path))
            else:
                size += 8
        return size


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_KINDS: dict[type, str] = {
    list: "JSON array",
    str: "bare JSON string",
    int: "bare JSON number",
    float: "bare JSON number",
    bool: "bare JSON boolean",
    type(None): "bare JSON null",
}


def _too_big(path: str) -> str:
    return (
        f"field {path} holds an integer beyond 64 bits, which no column stores exactly; "
        "send it as a string"
    )


def _lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _bad_text(path: str, text: str) -> str:
    what = "a NUL character (\\u0000)" if "\x00" in text else "a lone surrogate"
    return f"field {path} holds {what}, which is not text a store can keep; remove it"
