"""Value shapes: what a value looks like, beyond its JSON type.

A shape is a short string: ``bool``, ``int``, ``float``, ``time``, ``date``, ``email``,
``ip``, ``url``, ``uuid``, ``phone``, ``digits``, ``enum`` (``INFO``), ``word`` (one token),
``text`` (words), ``code`` (``api-1``), ``pid:<prefix>`` (an id with a prefix: ``msg_12`` is
``pid:msg``), ``object``, ``list``, ``empty`` and ``null``. Two records whose ``email`` fields
both hold addresses agree; a ``msg_…`` id and a ``sess_…`` id disagree. Numbers also carry a
magnitude (their decade) so that ages and epoch times do not look alike.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from thermodb.ingest.inference import epoch_to_datetime, parse_timestamp
from thermodb.ingest.routing.lexicon import FieldName

__all__ = ["NEUTRAL", "RecordField", "compatibility", "id_prefix", "magnitude", "shape"]

NEUTRAL = frozenset({"null", "empty"})
"""Shapes that say nothing either way (a missing value agrees with every shape)."""

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_IPV6 = re.compile(r"^[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}$")
_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)
_PHONE = re.compile(r"^\+?[\d\s().-]{7,20}$")
_PREFIXED = re.compile(r"^([A-Za-z]{1,15})[_\-:]([A-Za-z0-9]*\d[A-Za-z0-9]*)$")
_GLUED = re.compile(r"^([A-Z]{2,5})(\d{3,})$")
_ENUM = re.compile(r"^[A-Z][A-Z0-9_]{0,15}$")


@dataclass(frozen=True)
class RecordField:
    """One top-level field of a record as the router sees it: name, value shape, magnitude."""

    name: FieldName
    shape: str
    decade: int | None
    own: bool = False
    """Whether this is the record's own id (``id``, or a leading ``<thing>_id``)."""


# Shapes that are nearly the same thing, and how much they agree (symmetric).
_NEAR: dict[frozenset[str], float] = {
    frozenset({"int", "float"}): 0.8,
    frozenset({"time", "date"}): 0.8,
    frozenset({"word", "text"}): 0.5,
    frozenset({"word", "enum"}): 0.6,
    frozenset({"word", "code"}): 0.6,
    frozenset({"word", "digits"}): 0.4,
    frozenset({"digits", "int"}): 0.4,
    frozenset({"code", "enum"}): 0.4,
    frozenset({"phone", "digits"}): 0.5,
    frozenset({"uuid", "word"}): 0.3,
}


def shape(value: Any, name: FieldName) -> str:
    """The shape of one value of the field ``name``."""
    t = type(value)
    if t is str:
        return _text_shape(value, name)
    if t is bool:
        return "bool"
    if t is int or t is float:
        if name.concept == "time" and epoch_to_datetime(value) is not None:
            return "time"
        return "int" if t is int else "float"
    if value is None:
        return "null"
    if t is dict:
        return "object"
    if t is list:
        return "list"
    return "word"


def _text_shape(s: str, name: FieldName) -> str:
    n = len(s)
    if n == 0:
        return "empty"
    c0 = s[0]
    if c0.isdigit():
        if n >= 10 and s[4:5] == "-" and parse_timestamp(s) is not None:
            return "time" if n > 10 else "date"
        if _IPV4.match(s):
            return "ip"
        if n >= 32 and _UUID.match(s):
            return "uuid"
        if s.isdigit():
            return "digits"
    if c0 == "+" and _PHONE.match(s):
        return "phone"
    if "@" in s and _EMAIL.match(s):
        return "email"
    if "://" in s:
        return "url"
    if " " in s or n > 40:
        return "phone" if c0.isdigit() and _PHONE.match(s) else "text"
    if n >= 32 and _UUID.match(s):
        return "uuid"
    if ":" in s and _IPV6.match(s):
        return "ip"
    prefix = id_prefix(s)
    if prefix is not None:
        return f"pid:{prefix}" if name.concept in ("id", "ref") else "code"
    if _ENUM.match(s):
        return "enum"
    if c0.isdigit() and _PHONE.match(s):
        return "phone"
    return "word"


def id_prefix(s: str) -> str | None:
    """The letters before an id's number: ``sess_28b7`` → ``sess``; ``ORD12345`` → ``ord``.

    Letters glued to the digits count only in capitals: ``v4e1200`` is a hex string.
    """
    m = _PREFIXED.match(s) or _GLUED.match(s)
    return m.group(1).lower() if m else None


def magnitude(value: Any) -> int | None:
    """The decade of a number (``42`` → 1, ``0.5`` → -1), clipped to -3..15; None otherwise."""
    if type(value) not in (int, float) or not value or not math.isfinite(value):
        return None
    return max(-3, min(15, math.floor(math.log10(abs(value)))))


def compatibility(a: str, b: str) -> float:
    """How well two shapes agree, from 0 (never the same field) to 1 (the same)."""
    if a == b:
        return 1.0
    if a.startswith("pid:") and b.startswith("pid:"):
        return 0.1
    if a.startswith("pid:") or b.startswith("pid:"):
        other = b if a.startswith("pid:") else a
        return 0.5 if other in ("code", "word") else 0.1
    return _NEAR.get(frozenset((a, b)), 0.0)
