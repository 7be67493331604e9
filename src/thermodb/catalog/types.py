"""Field types and the widening lattice used by schema evolution.

A conflicting value never loses data: the column widens to a type that holds both the old
and the new values (int → float → text; anything → json). Pure functions, no I/O.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

__all__ = ["EvolutionMode", "FieldType", "Kind", "iso", "widen"]

EvolutionMode = Literal["evolve", "freeze", "discard_row", "discard_value"]
Kind = Literal["entity", "event"]


class FieldType(StrEnum):
    BOOL = "bool"
    INT = "int"
    FLOAT = "float"
    TEXT = "text"
    TIMESTAMP = "timestamp"
    JSON = "json"

    @property
    def is_numeric(self) -> bool:
        return self in (FieldType.INT, FieldType.FLOAT)


def widen(current: FieldType, new: FieldType) -> FieldType:
    """The narrowest type that holds values of both types.

    >>> widen(FieldType.INT, FieldType.FLOAT)
    <FieldType.FLOAT: 'float'>
    >>> widen(FieldType.BOOL, FieldType.INT)
    <FieldType.TEXT: 'text'>
    """
    if current is new:
        return current
    if FieldType.JSON in (current, new):
        return FieldType.JSON
    if current.is_numeric and new.is_numeric:
        return FieldType.FLOAT
    return FieldType.TEXT


def iso(moment: datetime) -> str:
    """``2026-03-18T15:30:00Z``: UTC, with microseconds only when there are some."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    spec = "microseconds" if moment.microsecond else "seconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"
