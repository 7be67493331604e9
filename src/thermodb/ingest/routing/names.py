"""Naming a new collection after the record that needs one.

Evidence, strongest first (each candidate gets a strength; the strongest free name wins):

1. the record's own id has a word prefix: ``sess_123`` → sessions, ``ORD-9`` → orders
   (common abbreviations expanded from the lexicon);                          strength 5
2. an event archetype: ``level`` + ``message`` → logs, ``metric`` + ``value`` → metrics,
   ``text`` + ``room`` → messages...                                        strength 4..4.75
3. a leading ``<thing>_id`` names the record itself (``order_id`` first → orders)  3.9
4. an entity archetype: ``email`` or ``username`` → users...               strength 3..3.75
5. otherwise ``records``.

A page-view event that starts with ``user_id`` is still a page view (2 beats 3); a customer
record that starts with ``customer_id`` is a customer, not a user (3 beats 4).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from thermodb.catalog.naming import is_valid_collection_name, plural, split_words
from thermodb.ingest.routing.lexicon import Lexicon, lexicon
from thermodb.ingest.routing.shapes import RecordField

__all__ = ["FALLBACK", "suggest_name"]

FALLBACK = "records"
_VOWELS = frozenset("aeiouy")


def suggest_name(record: Sequence[RecordField], taken: Collection[str]) -> tuple[str, str]:
    """A valid collection name for a record that fits no collection, and why it was chosen.

    ``taken`` are names already in use; the best free candidate is chosen, else the best
    with a numeric suffix (``logs_2``).
    """
    lex = lexicon()
    candidates = sorted(_candidates(record, lex), key=lambda c: -c[0])
    candidates.append((0.0, FALLBACK, "no id prefix or field pattern names it"))
    for _strength, name, why in candidates:
        if name not in taken and is_valid_collection_name(name):
            return name, why
    _strength, base, why = candidates[0]
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}", f"{why}; {base} is taken by records that differ"


def _candidates(record: Sequence[RecordField], lex: Lexicon) -> list[tuple[float, str, str]]:
    out: list[tuple[float, str, str]] = []
    canons = {rf.name.canon for rf in record}
    words = {w for c in canons for w in c.split("_")}
    for position, rf in enumerate(record):
        own = rf.name.concept == "id" or (position == 0 and rf.name.concept == "ref")
        if own and rf.shape.startswith("pid:"):
            prefix = rf.shape[4:]
            noun = _noun(prefix, lex)
            if noun is not None:
                out.append((5.0, _plural_name(noun), f"id prefix {prefix!r} of {rf.name.raw!r}"))
    for a in lex.archetypes:
        found = [_found(group, canons, words) for group in a.all]
        if all(found):
            bonus = min(0.75, 0.25 * len(_found(a.any, canons, words)))
            strength = (4.0 if a.event else 3.0) + bonus
            shown = ", ".join(sorted(f[0] for f in found))
            out.append((strength, a.name, f"fields {shown} look like {a.name}"))
    if record:
        first = record[0]
        parts = split_words(first.name.canon)
        if first.name.concept == "ref" and len(parts) >= 2:
            noun = _noun("_".join(parts[:-1]), lex)
            if noun is not None:
                out.append((3.9, _plural_name(noun), f"its first field {first.name.raw!r}"))
    return out


def _found(terms: frozenset[str], canons: set[str], words: set[str]) -> list[str]:
    """Terms of an archetype the record has: a whole canonical name, or one word of one."""
    return sorted(t for t in terms if t in canons or ("_" not in t and t in words))


def _noun(word: str, lex: Lexicon) -> str | None:
    """The noun an id prefix or key stands for (``sess`` → session), if it is one."""
    word = word.lower()
    if word in lex.abbreviations:
        return lex.abbreviations[word]
    if word in lex.not_nouns or len(word) < 3 or not re.fullmatch(r"[a-z][a-z_]*", word):
        return None
    if not _VOWELS & set(word):
        return None
    return word


def _plural_name(noun: str) -> str:
    words = [w for w in re.split(r"[^a-z0-9]+", noun.lower()) if w]
    if not words:
        return FALLBACK
    words[-1] = plural(words[-1])
    name = "_".join(words)[:63]
    return name if is_valid_collection_name(name) else FALLBACK
