"""Names: normalising field and collection names so that people's spellings meet.

Used by the router (``userId`` and ``user_id`` are one field), by the catalog (a safe column
name for any JSON key) and by the natural-language engine (``user`` finds ``users``).
"""

from __future__ import annotations

import re
from functools import lru_cache

import inflection

__all__ = [
    "column_name",
    "is_valid_collection_name",
    "plural",
    "singular",
    "split_words",
    "valid_collection_name",
]

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")
_COLLECTION_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
RESERVED_PREFIX = "thermo_"

# Words the inflector gets wrong for data vocabularies: the singular and plural are the same.
_INVARIANT = frozenset(
    {"data", "metadata", "status", "news", "series", "analytics", "metrics_data", "info"}
)


@lru_cache(maxsize=4096)
def split_words(name: str) -> tuple[str, ...]:
    """Lower-case words of a name split on separators, dots and camelCase.

    >>> split_words("userId.lastSeen_AT")
    ('user', 'id', 'last', 'seen', 'at')
    """
    parts: list[str] = []
    for chunk in _SEPARATORS.split(name):
        if chunk:
            parts.extend(p.lower() for p in _CAMEL.split(chunk) if p)
    return tuple(parts)


@lru_cache(maxsize=4096)
def singular(word: str) -> str:
    """The singular of an English noun (``messages`` → ``message``); unchanged if singular."""
    w = word.lower()
    if w in _INVARIANT or len(w) < 3:
        return w
    return str(inflection.singularize(w)) or w


@lru_cache(maxsize=4096)
def plural(word: str) -> str:
    """The plural of an English noun (``category`` → ``categories``); unchanged if plural."""
    w = word.lower()
    if w in _INVARIANT or singular(w) != w:
        return w
    return str(inflection.pluralize(w))


def column_name(field: str, taken: set[str]) -> str:
    """A safe SQL column name for a JSON key, unique among ``taken`` (case-insensitively)."""
    base = "_".join(split_words(field)) or "field"
    if base[0].isdigit():
        base = f"f_{base}"
    base = base[:55]
    if base.startswith("_"):
        base = f"f{base}"
    lowered = {t.lower() for t in taken}
    candidate, n = base, 2
    while candidate.lower() in lowered:
        candidate = f"{base}_{n}"
        n += 1
    return candidate


def is_valid_collection_name(name: str) -> bool:
    return bool(_COLLECTION_NAME.match(name)) and not name.startswith(RESERVED_PREFIX)


def valid_collection_name(name: str) -> str:
    """Return ``name`` if it can name a collection, else raise a ConfigError saying why."""
    from thermodb.errors import ConfigError

    if not is_valid_collection_name(name):
        raise ConfigError(
            f"{name!r} is not a valid collection name",
            hint="use 1-63 lower-case letters, digits or '_', starting with a letter, "
            f"and not starting with {RESERVED_PREFIX!r}",
        )
    return name
