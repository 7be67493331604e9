"""Finding the schema words in a question: n-grams → collections, fields and values.

Longest n-gram first, so "united states" is one value and "login method" one field. A word
that names nothing exactly is tried with typo tolerance (rapidfuzz) against every name the
schema knows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from thermodb.nl.lexicon import stem
from thermodb.nl.schema import Hit, SchemaIndex
from thermodb.nl.text import Token
from thermodb.nl.words import (
    AGG_WORDS,
    COUNT_WORDS,
    DISTINCT_WORDS,
    FILLER,
    NULL_WORDS,
    ORDER_WORDS,
)

__all__ = ["Mention", "link_mentions", "suggest"]

_STRUCTURE = (
    set(AGG_WORDS) | set(ORDER_WORDS) | COUNT_WORDS | DISTINCT_WORDS | NULL_WORDS
    | {"per", "by", "each", "top", "bottom", "latest", "newest", "recent", "oldest", "how",
       "which", "what", "list", "show", "not", "no", "without", "never", "and", "or", "the",
       "a", "an", "of", "in", "on", "with", "is", "are", "than", "more", "less", "who"}
)  # fmt: skip
FUZZY_CUTOFF = 86


@dataclass
class Mention:
    first: int
    last: int
    hits: list[Hit]
    text: str
    hit: Hit | None = None
    fuzzy: bool = False
    extra: dict[str, object] = field(default_factory=dict)


def _forms(tokens: list[Token]) -> list[str]:
    words = [t.text for t in tokens]
    joined = "_".join(words)
    out = [joined]
    last = stem(words[-1])
    if last != words[-1]:
        out.append("_".join([*words[:-1], last]))
    return out


def link_mentions(tokens: list[Token], index: SchemaIndex) -> list[Mention]:
    """Schema mentions among the unread tokens, marking them ``mention``."""
    found: list[Mention] = _scattered_flags(tokens, index)
    i = 0
    n_max = index.max_ngram
    while i < len(tokens):
        t = tokens[i]
        if t.used or t.literal:
            i += 1
            continue
        got = None
        for n in range(min(n_max, len(tokens) - i), 0, -1):
            span = tokens[i : i + n]
            if any(s.used or s.literal for s in span):
                continue
            if n > 1 and t.text in AGG_WORDS:
                continue  # "total amount" is sum(amount), not only a field total_amount
            if n == 1 and t.text in _STRUCTURE:
                exact = [h for h in index.lookup(t.text) if h.kind == "field" and h.score >= 3]
                if exact:
                    got = Mention(i, i + 1, exact, t.text)
                break
            hits = [h for form in _forms(span) for h in index.lookup(form)]
            if hits:
                got = Mention(i, i + n, hits, " ".join(s.text for s in span))
                break
        if got is None and t.text not in FILLER and t.text not in _STRUCTURE:
            partial = index.lookup_partial(stem(t.text))
            rooted = index.lookup_root(t.text) if len(t.text) >= 5 else []
            if partial:
                got = Mention(i, i + 1, list(partial), t.text)
            elif rooted:
                got = Mention(i, i + 1, list(rooted), t.text)
            elif len(t.text) >= 5 and not t.text[0].isdigit():
                got = _fuzzy(t, i, index)
        if got is None:
            i += 1
            continue
        for s in tokens[got.first : got.last]:
            s.used = "mention"
        found.append(got)
        i = got.last
    found.sort(key=lambda m: m.first)
    return found


def _same_word(token: str, word: str) -> bool:
    """ "opted" is "opt", "need" is "needed": one word, maybe inflected."""
    if token == word or stem(token) == word:
        return True
    short, long_ = sorted((token, word), key=len)
    return len(short) >= 3 and long_.startswith(short) and len(long_) - len(short) <= 3


def _scattered_flags(tokens: list[Token], index: SchemaIndex) -> list[Mention]:
    """ "owners who opted in to sms" (``sms_opt_in``), "visits that need a follow-up"
    (``follow_up_needed``): every word of a yes/no field's name, in any order, within a few
    words of each other, names that field as true."""
    found: list[Mention] = []
    flags = [
        (info.name, path, fi.words)
        for info in index.colls.values()
        for path, fi in info.fields.items()
        if fi.type.name == "BOOL" and len(fi.words) > 1 and fi.is_leaf is False
    ]
    for coll, path, words in flags:
        window = len(words) + 2
        for start in range(len(tokens)):
            if tokens[start].used or tokens[start].literal:
                continue
            span = tokens[start : start + window]
            matched: list[int] = []
            left = list(words)
            for k, t in enumerate(span):
                if t.used or t.literal:
                    break
                w = next((x for x in left if _same_word(t.text, x)), None)
                if w is not None:
                    left.remove(w)
                    matched.append(start + k)
                    if not left:
                        break
                elif t.text not in FILLER:
                    break
            if left or not matched or matched[0] != start:
                continue
            last = matched[-1] + 1
            hit = Hit("bool", coll, path, True, score=2.7)
            text = " ".join(t.text for t in tokens[start:last])
            found.append(Mention(start, last, [hit], text))
            for t in tokens[start:last]:
                t.used = "mention"
            break
    return found


def _fuzzy(t: Token, i: int, index: SchemaIndex) -> Mention | None:
    from rapidfuzz import fuzz, process

    best = process.extractOne(
        t.text, index.vocabulary(), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
    )
    if not best:
        return None
    hits = [
        Hit(h.kind, h.collection, h.path, h.value, h.score * 0.8)
        for h in index.lookup(best[0])
        # a near miss of a negative form is its opposite: "assigned" is not "unassigned"
        if h.kind != "unset" and not (h.kind == "bool" and h.value is False)
    ]
    return Mention(i, i + 1, hits, t.text, fuzzy=True) if hits else None


def suggest(
    word: str, index: SchemaIndex, collection: str | None = None, limit: int = 3
) -> list[str]:
    """The names closest to ``word``: fields of ``collection`` first, then anything."""
    from rapidfuzz import fuzz, process

    names: list[str] = []
    if collection and collection in index.colls:
        names = list(index.colls[collection].fields)
    pool = names or [n for c in index.colls.values() for n in c.fields] + list(index.colls)
    got = process.extract(word, pool, scorer=fuzz.WRatio, limit=limit, score_cutoff=50)
    return [g[0] for g in got]
