"""Field names as the router compares them: one canonical spelling per idea.

``userId``, ``user_id`` and ``author_id`` meet as ``user_id``; ``ts``, ``timestamp`` and
``event_time`` as ``time``; ``duration_ms`` and ``latency`` as ``duration``. The synonyms are
data (``thermodb/ingest/field_synonyms.json``), so a deployment can extend them without
touching code. Every function here is memoised per distinct name: a stream of records
repeats a handful of field names millions of times.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal

from thermodb.catalog.naming import singular, split_words

__all__ = ["Archetype", "FieldName", "Lexicon", "field_name", "lexicon"]

Concept = Literal["time", "id", "ref"] | None


@dataclass(frozen=True)
class FieldName:
    """What the router knows about one raw field name."""

    raw: str
    plain: str
    """The raw name only split, lower-cased and singularised (``userIds`` → ``user_id``)."""
    canon: str
    """The canonical spelling: synonyms, case, separators, plurals and units folded away."""
    concept: Concept
    """A coarse role that lets renamed fields of the same role still pair up."""
    weight: float
    """How much a match on this name says (``id`` is everywhere, ``email`` is telling)."""


@dataclass(frozen=True)
class Archetype:
    """A field pattern that names a new collection (``level`` + ``message`` → logs)."""

    name: str
    event: bool
    all: tuple[frozenset[str], ...]
    any: frozenset[str]


@dataclass(frozen=True)
class Lexicon:
    names: dict[str, str]
    words: dict[str, str]
    time_words: frozenset[str]
    unit_words: frozenset[str]
    count_words: frozenset[str]
    id_suffixes: frozenset[str]
    flag_prefixes: frozenset[str]
    weights: dict[str, float]
    abbreviations: dict[str, str]
    not_nouns: frozenset[str]
    archetypes: tuple[Archetype, ...]


def _groups(groups: list[list[str]]) -> dict[str, str]:
    """Each spelling (normalised like a field name) → the group's first entry."""
    out: dict[str, str] = {}
    for group in groups:
        head = _phrase(group[0])
        for spelling in group:
            out.setdefault(_phrase(spelling), head)
    return out


def _phrase(name: str) -> str:
    return "_".join(_singular(w) for w in split_words(name)) or name.lower()


def _singular(word: str) -> str:
    """``singular``, but Latin plurals in ``-a`` stay (``delta`` is not ``deltum``)."""
    one = singular(word)
    return word if one.endswith("um") and word.endswith("a") else one


@cache
def lexicon() -> Lexicon:
    """The lexicon shipped with thermodb (read once)."""
    text = resources.files("thermodb.ingest").joinpath("field_synonyms.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    archetypes = tuple(
        Archetype(
            name=a["name"],
            event=bool(a.get("event")),
            all=tuple(frozenset(_phrase(n) for n in group) for group in a["all"]),
            any=frozenset(_phrase(n) for n in a.get("any", ())),
        )
        for a in data["archetypes"]["list"]
    )
    return Lexicon(
        names=_groups(data["names"]["groups"]),
        words={k: v for k, v in _groups(data["words"]["groups"]).items() if "_" not in k},
        time_words=frozenset(data["time_words"]),
        unit_words=frozenset(data["unit_words"]),
        count_words=frozenset(data["count_words"]),
        id_suffixes=frozenset(data["id_suffixes"]),
        flag_prefixes=frozenset(data["flag_prefixes"]),
        weights={_phrase(k): float(v) for k, v in data["generic_names"]["weights"].items()},
        abbreviations=dict(data["abbreviations"]["map"]),
        not_nouns=frozenset(data["abbreviations"]["not_nouns"]),
        archetypes=archetypes,
    )


@lru_cache(maxsize=8192)
def field_name(raw: str) -> FieldName:
    """Normalise one raw field name (memoised: call it freely on every record)."""
    lex = lexicon()
    canon, is_time = _canonical(raw, lex)
    if canon == "id":
        concept: Concept = "id"
    elif canon.endswith("_id") or canon.endswith("_uuid"):
        concept = "ref"
    elif is_time or canon == "time" or canon.endswith("_at"):
        concept = "time"
    else:
        concept = None
    return FieldName(raw, _phrase(raw), canon, concept, lex.weights.get(canon, 1.0))


def _canonical(raw: str, lex: Lexicon) -> tuple[str, bool]:
    """Fold a name step by step, stopping at the first spelling the lexicon knows.

    Steps: the whole name; without an ``is_``/``has_`` flag prefix; without a unit
    (``_ms``, ``_s``); ``_id`` for an identifier suffix (``order_number``, ``payment_ref``);
    without a count word (``reaction_count`` → ``reaction``); a time
    name (``sent_at``, ``signupTime``) becomes ``<words>_at``; finally each word through
    the word synonyms (``author_id`` → ``user_id``).
    """
    words = list(split_words(raw))
    if not words:
        return raw.lower() or "_", False
    if len(words) > 1 and words[0] in lex.flag_prefixes:
        words = words[1:]
    words = [_singular(w) for w in words]
    is_time = False

    def known() -> str | None:
        return lex.names.get("_".join(words))

    if (hit := known()) is not None:
        return hit, hit.endswith("_at") or hit == "time"
    if len(words) > 1 and words[-1] in lex.unit_words:
        words = words[:-1]
        if (hit := known()) is not None:
            return hit, hit.endswith("_at") or hit == "time"
    if len(words) > 1 and words[-1] in lex.id_suffixes:
        words[-1] = "id"
        if (hit := known()) is not None:
            return hit, False
    if len(words) > 1 and (words[-1] in lex.count_words or words[0] in lex.count_words):
        words = words[:-1] if words[-1] in lex.count_words else words[1:]
        if (hit := known()) is not None:
            return hit, False
    if len(words) > 1 and words[-1] in lex.time_words:
        while len(words) > 1 and words[-1] in lex.time_words:
            words = words[:-1]
        words.append("at")
        is_time = True
        if (hit := known()) is not None:
            return hit, True
    words = [lex.words.get(w, w) for w in words]
    phrase = "_".join(words)
    hit = lex.names.get(phrase)
    return (hit, is_time or hit.endswith("_at")) if hit is not None else (phrase, is_time)
