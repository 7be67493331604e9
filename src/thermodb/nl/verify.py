"""The reading check: words that signal a query element must be honoured by the spec.

Runs after the reader (or the derived-answer path) has chosen its final
:class:`QuerySpec`, independently of how it got there. A handful of English signals are
high-precision: "don't have" / "without" / "never" need a null, empty, false or negated
check; "mention" / "containing" need a text match; "what percentage" needs a share; "for
each X" / "per X" need a grouping; a word that is only a value of the data needs a
condition on it, and a value two fields of the collection hold needs words that say which.
A reading that leaves such a signal unhonoured would answer a different question, so it is
refused ("I can't answer that, because …") instead of returned. Nothing here knows any
data set: the rules are about English and the spec's shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from thermodb.errors import NotUnderstoodError
from thermodb.nl.lexicon import stem
from thermodb.nl.schema import SYNONYM_VALUE_SCORE, SchemaIndex
from thermodb.nl.text import Token, tokenize
from thermodb.nl.words import BUCKETS, FILLER
from thermodb.query.spec import And, Condition, Filter, Not, Or, QuerySpec

__all__ = ["check_reading"]

_AUX = frozenset({"do", "does", "did", "have", "has", "had", "is", "are", "was", "were"})
_NOT_NEGATING = frozenset(
    {"more", "less", "fewer", "over", "under", "above", "below", "greater", "higher", "lower",
     "only", "just", "counting", "including", "longer", "later", "earlier", "than", "at", "exactly",
     "equal", "all", "sure", "counted"}
)  # fmt: skip
"""After "not"/"no", words that make a comparison or a hedge, not an absence."""
_ABSENCE = frozenset({"without", "missing", "never", "unassigned"})
_TEXT_VERBS = frozenset(
    {"mention", "mentions", "mentioning", "mentioned", "contain", "contains", "containing"}
)
_SHARE = frozenset({"percentage", "percent", "share", "proportion", "fraction", "ratio"})
_TEXT_OPS = frozenset({"contains", "starts_with"})
_NEG_OPS = frozenset({"is_null", "is_empty", "not_null", "not_empty", "!=", "not_in"})
_STRONG_GROUP = (("broken", "down", "by"), ("broken", "out", "by"), ("grouped", "by"),
                 ("split", "by"), ("breakdown", "by"), ("break", "down", "by"))  # fmt: skip


def _conditions(f: Filter | None, negated: bool = False) -> Iterator[tuple[Condition, bool]]:
    if f is None:
        return
    if isinstance(f, Condition):
        yield f, negated
    elif isinstance(f, And):
        for g in f.and_:
            yield from _conditions(g, negated)
    elif isinstance(f, Or):
        for g in f.or_:
            yield from _conditions(g, negated)
    elif isinstance(f, Not):
        yield from _conditions(f.not_, not negated)


def _all_conditions(spec: QuerySpec) -> list[tuple[Condition, bool]]:
    found = list(_conditions(spec.where)) + list(_conditions(spec.having))
    for link in spec.links:
        found += list(_conditions(link.where, link.kind == "anti"))
    return found


def _has_negation(spec: QuerySpec) -> bool:
    if any(link.kind == "anti" for link in spec.links):
        return True
    for cond, negated in _all_conditions(spec):
        if negated or cond.op in _NEG_OPS or cond.value is False:
            return True
        if cond.op in ("=", "<=") and cond.value == 0:
            return True  # "never" as a count of zero
    return False


def _values(spec: QuerySpec) -> set[str]:
    out: set[str] = set()
    for cond, _ in _all_conditions(spec):
        vals = cond.value if isinstance(cond.value, list) else [cond.value]
        out |= {str(v).lower() for v in vals if v is not None}
    return out


def _fields(spec: QuerySpec) -> set[str]:
    used = {c.field for c, _ in _all_conditions(spec)}
    used |= {g.field for g in spec.group_by if g.field}
    used |= {a.field for a in spec.aggregates if a.field}
    used |= set(spec.select or [])
    used |= {o.field for o in spec.order}
    if spec.time and spec.time.field:
        used.add(spec.time.field)
    return used


def _names_field(ix: SchemaIndex, word: str, spec: QuerySpec) -> bool:
    """The word names a field or value the spec uses (``share_count``, status ``missing``)."""
    used, values = _fields(spec), _values(spec)
    for hit in ix.lookup(word):
        if hit.kind in ("field", "bool", "unset") and hit.path in used:
            return True
        if hit.kind == "value" and str(hit.value).lower() in values:
            return True
    return False


def _refuse(words: str, why: str, hint: str) -> None:
    raise NotUnderstoodError(f"I can't answer that, because {why} ({words!r})", hint=hint)


def _negation(toks: list[Token], ix: SchemaIndex, spec: QuerySpec) -> str | None:
    """The words of an absence the spec must honour, or None."""
    w = [t.text if not t.literal else "" for t in toks]
    for i, word in enumerate(w):
        nxt = w[i + 1] if i + 1 < len(w) else ""
        if word == "not" and i > 0 and w[i - 1] in _AUX and nxt not in _NOT_NEGATING:
            return " ".join(w[i - 1 : i + 3]).strip()
        if word == "no" and nxt and nxt not in _NOT_NEGATING and nxt not in FILLER:
            return f"no {nxt}"
        if word == "not" and nxt == "yet":
            return "not yet"
        if word in _ABSENCE and not _names_field(ix, word, spec):
            return word
        if word == "still" and nxt and nxt not in FILLER and not _names_field(ix, nxt, spec):
            return f"still {nxt}"  # "still open": not yet closed, unless a value says so
    return None


def _text_verb(toks: list[Token]) -> str | None:
    for i, t in enumerate(toks):
        if t.literal:
            continue
        if t.text in _TEXT_VERBS:
            return t.text
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if t.text in ("include", "includes") or (t.text == "about" and nxt and nxt.literal):
            return t.text if t.text != "about" or nxt is None else f"about '{nxt.raw}'"
    return None


def _share(question: str, toks: list[Token], ix: SchemaIndex, spec: QuerySpec) -> str | None:
    w = [t.text if not t.literal else "" for t in toks]
    if re.search(r"\bwhat\s*%", question.lower()):
        return "what %"
    for i, word in enumerate(w):
        before = toks[i - 1].number if i > 0 else None
        if word in _SHARE and before is None and not _names_field(ix, word, spec):
            return word
        if word == "rate" and w[i + 1 : i + 2] == ["of"] and not _names_field(ix, word, spec):
            return "rate of"
    return None


def _own_entity(ix: SchemaIndex, word: str, spec: QuerySpec) -> bool:
    return any(h.kind == "coll" and h.collection == spec.collection for h in ix.lookup(word))


def _grouping(toks: list[Token], ix: SchemaIndex, spec: QuerySpec) -> str | None:
    w = [t.text if not t.literal else "" for t in toks]
    for phrase in _STRONG_GROUP:
        n = len(phrase)
        if any(tuple(w[i : i + n]) == phrase for i in range(len(w))):
            return " ".join(phrase) if not spec.group_by else None
    for i, word in enumerate(w):
        nxt = w[i + 1] if i + 1 < len(w) else ""
        if word not in ("per", "each") or not nxt or nxt in ("cent", "other", "one", "of"):
            continue
        if word == "each" and nxt in FILLER:
            continue
        if nxt in BUCKETS:
            if not any(g.bucket for g in spec.group_by):
                return f"{word} {nxt}"
            continue
        if spec.group_by or _own_entity(ix, nxt, spec):
            continue
        return f"{word} {nxt}"
    return None


def _dropped_value(toks: list[Token], ix: SchemaIndex, spec: QuerySpec) -> tuple[str, str] | None:
    """A content word that can only be a value of the data (by its own name, not a
    synonym), and that the spec ignores."""
    values, fields = _values(spec), _fields(spec)
    text = " ".join(values)
    for t in toks:
        if t.literal or t.number is not None or t.text in FILLER or len(t.text) < 3:
            continue
        if ix.lexicon.known(t.text) or ix.lexicon.known(stem(t.text)):
            continue  # general vocabulary ("people", "chats") the reader may read otherwise
        if ix.lexicon.unit(t.text):
            continue  # "in euros": a unit of the answer, not a filter
        hits = ix.lookup(t.text)
        if not hits or any(h.kind != "value" or h.score <= SYNONYM_VALUE_SCORE for h in hits):
            continue
        if t.text in text or any(str(h.value).lower() in values for h in hits):
            continue
        if any(h.path in fields for h in hits if h.collection == spec.collection):
            continue  # the field is grouped or listed: the word is one of its values
        where = sorted({f"{h.collection}.{h.path}" for h in hits})
        return t.raw, ", ".join(where)
    return None


def _located(spec: QuerySpec) -> list[tuple[str, Condition]]:
    """Each condition with the collection it tests (the spec's, or a link's)."""
    out = [(spec.collection, c) for c, _ in _conditions(spec.where)]
    for link in spec.links:
        out += [(link.collection, c) for c, _ in _conditions(link.where)]
    return out


def _ambiguous_value(toks: list[Token], ix: SchemaIndex, spec: QuerySpec) -> str | None:
    """ "live in Dublin": two fields of one collection hold the value, no word says which."""
    words = {t.text for t in toks if not t.literal}
    fields = _fields(spec)
    for coll, cond in _located(spec):
        if cond.op not in ("=", "in") or not isinstance(cond.value, str):
            continue
        hits = [h for h in ix.lookup(cond.value.lower()) if h.kind == "value" and h.path]
        # one collection only: a linked collection's copy of a value is the same entity's
        holders = {(h.collection, h.path) for h in hits if h.collection == coll and h.path}
        others = {x for x in holders if x != (coll, cond.field) and x[1] not in fields}
        if (coll, cond.field) not in holders or not others:
            continue
        named = {
            h.path
            for word in words
            for h in ix.lookup(word)
            if h.kind in ("field", "bool") and h.collection == coll
        }
        if cond.field in named:
            continue
        both = " and ".join(
            sorted({_label(spec, coll, cond.field), *(_label(spec, c, p or "") for c, p in others)})
        )
        return f"{cond.value} is a value of {both}; say which"
    return None


def _label(spec: QuerySpec, coll: str, path: str) -> str:
    return path if coll == spec.collection else f"{coll}.{path}"


def _partial_value(toks: list[Token], spec: QuerySpec) -> str | None:
    """A several-word value the question names only in part ("blood pressure" read as
    reason = "high blood pressure")."""
    said = {stem(t.text) for t in toks if not t.literal} | {t.text for t in toks}
    for _, cond in _located(spec):
        if cond.op != "=" or not isinstance(cond.value, str):
            continue
        parts = [w for w in tokenize(cond.value) if not w.literal]
        content = [w.text for w in parts if w.text not in FILLER and w.number is None]
        if len(parts) < 2 or not content:
            continue
        missing = [w for w in content if w not in said and stem(w) not in said]
        if missing and len(missing) < len(content):
            return f"{cond.field} = {cond.value!r}, but the question does not say {missing[0]!r}"
    return None


def check_reading(
    question: str,
    spec: QuerySpec,
    ix: SchemaIndex,
    *,
    share: bool,
    notes: list[str] | None = None,
) -> None:
    """Raise :class:`NotUnderstoodError` when a signal word of ``question`` is not honoured
    by ``spec``. ``share`` says whether the answer computes a share or ratio; ``notes`` are
    the reader's (an ambiguity it already names as "also possible" is shown, not silent)."""
    toks = tokenize(question)
    neg = _negation(toks, ix, spec)
    if neg and not _has_negation(spec):
        _refuse(
            neg,
            "the reading has no check for something absent, false or not yet done",
            "name the field that is empty or false, e.g. 'where <field> is empty'",
        )
    verb = _text_verb(toks)
    if verb and not any(c.op in _TEXT_OPS for c, _ in _all_conditions(spec)):
        _refuse(
            verb,
            "the reading does not match any text",
            "say which text field should contain the words, in quotes",
        )
    pct = _share(question, toks, ix, spec)
    if pct and not share:
        _refuse(
            pct,
            "the reading computes no share or ratio",
            "ask 'what share of <records> are/were <condition>'",
        )
    group = _grouping(toks, ix, spec)
    if group:
        _refuse(group, "the reading is not grouped", "say 'grouped by <field>'")
    dropped = _dropped_value(toks, ix, spec)
    if dropped:
        _refuse(
            dropped[0],
            f"it is a value of {dropped[1]} that the reading does not use",
            "name the field it belongs to",
        )
    partial = _partial_value(toks, spec)
    if partial:
        _refuse(partial.split(" = ")[0], f"the reading uses {partial}", "quote the whole value")
    ambiguous = _ambiguous_value(toks, ix, spec)
    if ambiguous and not any(n.startswith("also possible") for n in notes or []):
        _refuse(ambiguous.split(" is ")[0], ambiguous, "name the field")
