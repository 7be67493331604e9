"""The synonym lexicon: general data vocabulary kept as data (``lexicon.json``).

It knows words, never a schema: "customer" and "client" mean the same thing, "older" compares
an age, "ms" is a thousandth of a second. A database can extend it with ``nl_lexicon.json``
in its data directory (same shape; groups merge with the built-in ones).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from thermodb.catalog.naming import singular

__all__ = ["Lexicon", "load_lexicon", "root", "stem"]

_SUFFIXES = ("ations", "ation", "ances", "ance", "ences", "ence", "ments", "ment", "ings", "ing",
             "ions", "ion", "ers", "er", "ed", "es", "s", "e")  # fmt: skip


def stem(word: str) -> str:
    """A cheap normal form for matching: lower-case singular (``entries`` → ``entry``)."""
    return singular(word.lower())


def root(word: str) -> str:
    """A rough word root for derived forms: insurance, insured → insur; needed, need → need."""
    w = word.lower()
    for suffix in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            return w[: -len(suffix)]
    return w


@dataclass
class Lexicon:
    """Synonym groups, generic nouns, comparatives, units and role names."""

    groups: list[frozenset[str]] = field(default_factory=list)
    generic: frozenset[str] = frozenset()
    comparatives: dict[str, tuple[str, str]] = field(default_factory=dict)
    units: dict[str, tuple[str, float]] = field(default_factory=dict)
    """Unit word → (dimension, size in the dimension's base unit): ``km`` → (length, 1000)."""
    currencies: dict[str, str] = field(default_factory=dict)
    """Everyday currency name (stemmed words joined by ``_``) → ISO code: british_pound → GBP."""
    measure_names: tuple[str, ...] = ()
    text_names: tuple[str, ...] = ()
    activity_names: tuple[str, ...] = ()
    entity_events: dict[str, str] = field(default_factory=dict)
    """Nouns for the creation of an entity ("signup") → the synonym group of that entity."""
    _by_word: dict[str, set[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for group in self.groups:
            for word in group:
                self._by_word.setdefault(word, set()).update(group)

    def synonyms(self, word: str) -> set[str]:
        """Every word that means ``word`` (itself included), in stemmed form."""
        w = stem(word)
        return self._by_word.get(w, set()) | {w}

    def known(self, word: str) -> bool:
        """Whether ``word`` belongs to a synonym group (a word the lexicon knows)."""
        return stem(word) in self._by_word or word.lower() in self._by_word

    def same(self, a: str, b: str) -> bool:
        return stem(b) in self.synonyms(a)

    def unit(self, word: str) -> tuple[str, float] | None:
        """(dimension, size) of a unit word, or None when it is no unit."""
        w = word.lower()
        if w in self.units:
            return self.units[w]
        return self.units.get(stem(w))

    def unit_factor(self, word: str) -> float | None:
        """The size of one ``word`` unit in its dimension's base unit, or None."""
        got = self.unit(word)
        return got[1] if got else None


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = [*out[key], *value]
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


@lru_cache(maxsize=8)
def load_lexicon(extra: Path | None = None) -> Lexicon:
    """The built-in lexicon, merged with ``extra`` (a database's own file) when it exists."""
    raw: dict[str, Any] = json.loads(
        resources.files("thermodb.nl").joinpath("lexicon.json").read_text(encoding="utf-8")
    )
    if extra is not None and extra.is_file():
        raw = _merge(raw, json.loads(extra.read_text(encoding="utf-8")))
    groups = [frozenset(stem(w) for w in g) for g in raw.get("synonyms", [])]
    merged: list[frozenset[str]] = []
    for g in groups:  # groups sharing a word become one group
        for i, other in enumerate(merged):
            if (g & other and len(g & other) == len(g)) or g == other:
                merged[i] = other | g
                break
        else:
            merged.append(g)
    comparatives = {k: (v[0], v[1]) for k, v in raw.get("comparatives", {}).items()}
    return Lexicon(
        groups=merged,
        generic=frozenset(stem(w) for w in raw.get("generic_nouns", [])),
        comparatives=comparatives,
        units={
            word.lower(): (dim, float(size))
            for dim, table in raw.get("units", {}).items()
            if isinstance(table, dict)
            for word, size in table.items()
        },
        currencies={
            "_".join(stem(w) for w in name.split()): code
            for code, names in raw.get("currencies", {}).items()
            if isinstance(names, list)
            for name in names
        },
        measure_names=tuple(raw.get("measure_names", [])),
        text_names=tuple(raw.get("text_names", [])),
        activity_names=tuple(raw.get("activity_names", [])),
        entity_events={stem(k): stem(v) for k, v in raw.get("entity_events", {}).items()},
    )
