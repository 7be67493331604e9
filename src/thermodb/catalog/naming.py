"""Names: normalising field and collection names so that people's spellings meet.

Used by the router (``userId`` and ``user_id`` are one field), by the catalog (a safe column
name for any JSON key) and by the natural-language engine (``user`` finds ``users``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import inflection

__all__ = [
    "column_name",
    "file_collection_name",
    "is_valid_collection_name",
    "join_path",
    "name_tag",
    "plural",
    "quote_segment",
    "singular",
    "split_path",
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


_MAX_COLUMN = 55
"""Longest column name made (PostgreSQL allows 63; room is left for index-name prefixes)."""


def name_tag(name: str) -> str:
    """Six hex digits that depend on ``name`` alone: the stable suffix of a column name."""
    return hashlib.blake2s(name.encode("utf-8", "surrogatepass"), digest_size=3).hexdigest()


def _ascii_words(name: str) -> tuple[str, ...]:
    """Words of a name with accents folded to ASCII (``Año`` → ``ano``); non-Latin
    letters have no ASCII form and drop out (the tag keeps such names apart)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return split_words(folded)


def column_name(field: str, taken: set[str]) -> str:
    """A safe SQL column name for any JSON key, unique among ``taken`` (case-insensitively).

    The column is snake case ASCII (``Pop. 1864`` → ``pop_1864``, ``№`` → ``f_…``); the
    key itself stays the field's name in the catalog, which is what people see and write.
    A name that is too long is cut and tagged, and one that meets a taken column after
    normalising (``No`` and ``No.``) gets a tag: six hex digits from its own text, so the
    same name always gets the same suffix, whatever order names arrive in.
    """
    words = _ascii_words(field)
    base = "_".join(words)
    tagged = False
    if not base:
        base, tagged = f"f_{name_tag(field)}", True
    elif base[0].isdigit():
        base = f"f_{base}"
    if len(base) > _MAX_COLUMN:
        base, tagged = f"{base[: _MAX_COLUMN - 7].rstrip('_')}_{name_tag(field)}", True
    lowered = {t.lower() for t in taken}
    if base.lower() not in lowered:
        return base
    if not tagged:
        candidate = f"{base[: _MAX_COLUMN - 7].rstrip('_')}_{name_tag(field)}"
        if candidate.lower() not in lowered:
            return candidate
        base = candidate
    n = 2
    while f"{base}_{n}".lower() in lowered:  # two names with one tag: vanishingly rare
        n += 1
    return f"{base}_{n}"


# -- field paths ----------------------------------------------------------------------------
# A top-level field's name is its JSON key, whatever it holds (``No.``, ``Pop. 1864``). A
# nested leaf's name is a path: its segments joined by '.', where a segment that holds a
# '.', starts with '"' or is empty is written in double quotes, a '"' inside doubled (as
# SQL quotes identifiers): ``meta."v.1"``, ``"Pop. 1864".rank``.


def quote_segment(segment: str) -> str:
    """One segment of a path, quoted when it must be (see above)."""
    if segment and "." not in segment and segment[0] != '"':
        return segment
    return '"' + segment.replace('"', '""') + '"'


def join_path(segments: Sequence[str], *, quote_all: bool = False) -> str:
    """The path of these segments; ``quote_all`` quotes every one (``"a"."b"``), which
    names the leaf b of a when a top-level field is itself called ``a.b``."""
    if quote_all:
        return ".".join('"' + s.replace('"', '""') + '"' for s in segments)
    return ".".join(map(quote_segment, segments))


@lru_cache(maxsize=4096)
def split_path(path: str) -> tuple[str, ...] | None:
    """The segments of a path written as above; None if its quotes do not close.

    >>> split_path('meta."v.1".x')
    ('meta', 'v.1', 'x')
    """
    if '"' not in path:
        return tuple(path.split("."))
    segments: list[str] = []
    i, n = 0, len(path)
    while True:
        if i < n and path[i] == '"':
            out: list[str] = []
            i += 1
            while True:
                end = path.find('"', i)
                if end < 0:
                    return None
                out.append(path[i:end])
                if path.startswith('""', end):
                    out.append('"')
                    i = end + 2
                    continue
                i = end + 1
                break
            segments.append("".join(out))
            if i < n and path[i] != ".":
                return None
        else:
            end = path.find(".", i)
            end = n if end < 0 else end
            segments.append(path[i:end])
            i = end
        if i >= n:
            return tuple(segments)
        i += 1  # the '.'
        if i >= n:
            segments.append("")
            return tuple(segments)


_GENERIC_FILE_NAMES = frozenset(
    {"data", "dump", "export", "exports", "file", "files", "input", "output", "records",
     "record", "sample", "samples", "test", "tests", "tmp", "temp", "out", "in", "stdin",
     "part", "batch", "backup", "all", "new", "old", "mixed", "misc", "various", "json",
     "ndjson", "jsonl", "csv"}
)  # fmt: skip
_FORMAT_SUFFIXES = (".gz", ".ndjson", ".jsonl", ".json", ".csv", ".tsv", ".txt")


def file_collection_name(path: str) -> str | None:
    """A collection name from a file's name (``users.csv.gz`` → ``users``), or None when
    the name says nothing about the records (``data.json``, ``part-0001.ndjson``)."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    changed = True
    while changed:
        changed = False
        for suffix in _FORMAT_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix):
                name, changed = name[: -len(suffix)], True
    # numbers in a file name are years, dates, part or batch numbers: they say which file,
    # not what the records are ("Football Teams 1998.csv" holds football teams)
    words = [w for w in split_words(name) if not w.isdigit()]
    if not words or len(words) > 4:
        return None
    candidate = "_".join(words)
    if candidate in _GENERIC_FILE_NAMES or len(candidate) < 3:
        return None
    if not is_valid_collection_name(candidate):
        return None
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
