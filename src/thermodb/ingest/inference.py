"""Schema inference: the type of a value, of a field, and a collection's key, time and kind.

Pure functions over Python values, shared by the ingest pipeline and by the public
:func:`suggest_types` (in the spirit of sqlite-utils' helper of the same name).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from thermodb.catalog.model import Collection
from thermodb.catalog.naming import singular, split_words
from thermodb.catalog.types import FieldType, Kind, widen

__all__ = [
    "choose_key_field",
    "choose_kind",
    "choose_time_field",
    "explain_key_field",
    "looks_like_time_name",
    "parse_timestamp",
    "suggest_types",
    "value_type",
]

_TS = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?"
    r"(?:Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)
_TIME_WORDS = frozenset({"at", "time", "ts", "timestamp", "date", "datetime", "when", "on"})
_TIME_NAMES = frozenset({"created", "updated", "modified", "deleted", "expires", "expiry"})
# Occurrence times name when an event happened; lifecycle times name later changes.
_OCCURRENCE = (
    "ts",
    "timestamp",
    "time",
    "event",
    "occurred",
    "sent",
    "logged",
    "recorded",
    "received",
    "started",
    "start",
    "created",
    "published",
    "posted",
    "placed",
    "signup",
    "signed",
    "registered",
    "joined",
    "date",
    "at",
)
_LIFECYCLE = frozenset(
    {
        "updated",
        "modified",
        "last",
        "ended",
        "end",
        "expires",
        "expired",
        "edited",
        "deleted",
        "closed",
        "seen",
        "finished",
        "completed",
    }
)
_CREATION = frozenset({"created", "signup", "signed", "registered", "joined"})
_IDENTITY = frozenset(
    {"email", "username", "handle", "full", "first", "title", "sku", "slug", "phone", "address"}
)
# Epoch numbers between 2001 and 2100, in seconds, milliseconds or microseconds.
_EPOCH_RANGES = ((1e9, 4.2e9, 1.0), (1e12, 4.2e12, 1e3), (1e15, 4.2e15, 1e6))


def looks_like_time_name(name: str) -> bool:
    """Whether a field's name says it holds a time (``sent_at``, ``ts``, ``createdAt``...)."""
    words = split_words(name)
    return bool(words) and (
        words[-1] in _TIME_WORDS
        or words[-1] in _TIME_NAMES
        or (len(words) == 1 and words[0] in _TIME_NAMES)
    )


def epoch_to_datetime(value: float) -> datetime | None:
    for low, high, scale in _EPOCH_RANGES:
        if low <= value < high:
            return datetime.fromtimestamp(value / scale, tz=UTC)
    return None


def parse_timestamp(value: Any, *, allow_epoch: bool = True) -> datetime | None:
    """An aware UTC datetime for an ISO-8601 string or epoch number, else None."""
    if isinstance(value, str):
        if not _TS.match(value):
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if allow_epoch and isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return epoch_to_datetime(value)
    return None


def value_type(value: Any, *, time_name: bool = False) -> FieldType | None:
    """The narrowest field type of one JSON value (None for null).

    A string is a timestamp when it is ISO-8601; a number only when the field's name says
    it is a time (``created_at: 1767225600``) and it falls in a plausible epoch range.
    """
    t = type(value)
    if t is str:
        if value[:1].isdigit() and len(value) >= 10 and parse_timestamp(value) is not None:
            return FieldType.TIMESTAMP
        return FieldType.TEXT
    if t is bool:
        return FieldType.BOOL
    if t is int:
        if time_name and epoch_to_datetime(value) is not None:
            return FieldType.TIMESTAMP
        return FieldType.INT
    if t is float:
        if time_name and epoch_to_datetime(value) is not None:
            return FieldType.TIMESTAMP
        return FieldType.FLOAT
    if value is None:
        return None
    if t is dict or t is list:
        return FieldType.JSON
    if isinstance(value, datetime):
        return FieldType.TIMESTAMP
    return FieldType.TEXT


def suggest_types(records: Iterable[Mapping[str, Any]]) -> dict[str, FieldType]:
    """The column types thermodb would give these records' top-level fields."""
    types: dict[str, FieldType] = {}
    for record in records:
        for key, value in record.items():
            vt = value_type(value, time_name=looks_like_time_name(key))
            if vt is not None:
                types[key] = widen(types[key], vt) if key in types else vt
    return types


_IDENTIFIER_KEYS = frozenset(
    {"sku", "isbn", "code", "email", "slug", "uuid", "guid", "username", "handle", "asin",
     "ean", "upc", "iban", "barcode", "login"}
)  # fmt: skip
"""Last words of names that identify a thing when their values are unique and present."""
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")
_SHAPES = (("UUIDs", _UUID), ("e-mail addresses", _EMAIL), ("slugs", _SLUG))


def choose_key_field(
    collection: Collection, sample: list[Mapping[str, Any]], other_collections: Iterable[str] = ()
) -> str | None:
    """A field that identifies records: present, scalar and unique in the first batch."""
    found = explain_key_field(collection, sample, other_collections)
    return found[0] if found else None


def explain_key_field(
    collection: Collection, sample: list[Mapping[str, Any]], other_collections: Iterable[str] = ()
) -> tuple[str, str] | None:
    """The key field and why: present, scalar and unique in the first batch, and named or
    shaped like an identifier.

    Preference: ``id`` (before ``ID`` or ``Id``); ``<singular>_id``; ``uuid``/``guid``/
    ``key``; another ``*_id`` that does not point at a known collection (``user_id`` in
    messages points at users); then, from a first batch of at least two records, a name
    that identifies a thing (``sku``, ``isbn``, ``code``, ``email``, ``slug``...), then
    values shaped like identifiers (UUIDs, e-mail addresses, slugs).
    """
    if not sample:
        return None
    refs = {singular(n) for n in other_collections}
    own = singular(collection.name)
    time_field = choose_time_field(collection)
    # a name or shape alone keys only things, not occurrences: records dated by when they
    # happened (sent_at, ts) are events, whose e-mail or code repeats over time
    by_name = len(sample) >= 2 and (
        time_field is None or bool(set(split_words(time_field)) & _CREATION)
    )
    candidates: list[tuple[int, bool, str, str]] = []
    for path, f in collection.fields.items():
        if f.column is None or f.type not in (FieldType.INT, FieldType.TEXT):
            continue
        words = split_words(path)
        why = ""
        if path.lower() in ("id", "_id"):
            rank, why = 0, f"it is named {path!r}"
        elif words[-1:] == ("id",) and len(words) == 2 and singular(words[0]) == own:
            rank, why = 1, f"{path!r} names the id of a {own}"
        elif path.lower() in ("uuid", "guid", "key", "uid"):
            rank, why = 2, f"it is named {path!r}"
        elif words[-1:] in (("id",), ("uuid",)) and singular(words[0]) not in refs:
            rank, why = 3, f"{path!r} names an id that no other collection owns"
        elif by_name and words[-1:] and words[-1] in _IDENTIFIER_KEYS:
            rank, why = 4, f"{path!r} is named like an identifier"
        elif by_name and f.type is FieldType.TEXT:
            shape = _identifier_shape([r.get(path) for r in sample])
            if shape is None:
                continue
            rank, why = 5, f"its values are {shape}"
        else:
            continue
        candidates.append((rank, path != path.lower(), path, why))
    for _rank, _cased, path, why in sorted(candidates):
        values = [r.get(path) for r in sample]
        if any(v is None or isinstance(v, bool | dict | list) for v in values):
            continue
        if len(set(values)) == len(values):
            return path, f"{why}; present and unique in the first batch"
    return None


def _identifier_shape(values: list[Any]) -> str | None:
    if not all(type(v) is str for v in values):
        return None
    for shape, pattern in _SHAPES:
        if all(map(pattern.fullmatch, values)):
            return shape
    return None


def choose_time_field(collection: Collection) -> str | None:
    """The field that dates a record: an occurrence time rather than a lifecycle one."""
    best: tuple[int, int, str] | None = None
    for order, (path, f) in enumerate(collection.fields.items()):
        if f.type is not FieldType.TIMESTAMP or f.column is None:
            continue
        words = set(split_words(path))
        rank = 5
        if words & _LIFECYCLE:
            rank = 9
        else:
            for i, word in enumerate(_OCCURRENCE):
                if word in words:
                    rank = min(rank, i // 4)
        if best is None or (rank, order) < best[:2]:
            best = (rank, order, path)
    return best[2] if best else None


def choose_kind(collection: Collection) -> Kind:
    """Entity (keyed, updated in place) or event (append-mostly, dated).

    An entity has a key and either no time field, identity fields (email, username...), or
    a creation time beside lifecycle times (``signup_at`` and ``last_seen_at``).
    """
    if not collection.key_field:
        return "event"
    if not collection.time_field:
        return "entity"
    key_words = split_words(collection.key_field)
    if key_words and key_words[-1] in _IDENTIFIER_KEYS:
        return "entity"  # a sku, isbn or e-mail identifies a thing, not an occurrence
    words = {w for path in collection.fields for w in split_words(path)}
    time_words = set(split_words(collection.time_field))
    if words & _IDENTITY or (time_words & _CREATION and words & _LIFECYCLE):
        return "entity"
    return "event"
