"""Question → :class:`QuerySpec`: the deterministic reader.

Stages, each marking the tokens it used: time phrases → structure words (aggregates,
comparisons, grouping, order) → schema and value linking → the spec. Whatever is left
unread and is not a filler word lowers confidence; a slot that needs a field and finds
none (``average salary``) raises :class:`NotUnderstoodError` naming the closest fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from thermodb.catalog.types import FieldType
from thermodb.errors import NotUnderstoodError
from thermodb.nl.lexicon import stem
from thermodb.nl.linking import Mention, link_mentions, suggest
from thermodb.nl.schema import SYNONYM_VALUE_SCORE, SchemaIndex
from thermodb.nl.text import Token, tokenize
from thermodb.nl.timeexpr import TIME_WORDS, TimeMatch, find_times
from thermodb.nl.words import (
    AGG_WORDS,
    BUCKET_ADVERBS,
    BUCKETS,
    CMP_PHRASES,
    COUNT_WORDS,
    DISTINCT_WORDS,
    FILLER,
    LATEST_WORDS,
    NEG_WORDS,
    NULL_WORDS,
    ORDER_WORDS,
    TEXT_VERBS,
)
from thermodb.query.spec import (
    Aggregate,
    And,
    Condition,
    Filter,
    GroupKey,
    Link,
    Or,
    OrderKey,
    QuerySpec,
    TimeRange,
)

__all__ = ["Reading", "read_question"]


@dataclass
class Reading:
    """What the reader made of a question: the spec, how sure it is, and why."""

    spec: QuerySpec
    confidence: float
    notes: list[str] = field(default_factory=list)
    time: TimeMatch | None = None
    time_field: str | None = None
    parts: dict[str, Any] = field(default_factory=dict)
    """The pieces found (filters, links, group, aggregate...) for follow-up merging."""


@dataclass
class _Cmp:
    first: int
    last: int
    op: str
    value: float
    hint: str | None = None


class _Reader:
    def __init__(
        self, question: str, now: datetime, index: SchemaIndex, default: str | None
    ) -> None:
        self.question = question
        self.now = now
        self.index = index
        self.default = default
        self.tokens: list[Token] = self._split_compounds(tokenize(question), index)
        self.words = [t.text for t in self.tokens]
        self.notes: list[str] = []
        self.penalty = 0.0

    @staticmethod
    def _split_compounds(tokens: list[Token], index: SchemaIndex) -> list[Token]:
        """ "gold-tier", "still-open": a hyphenated word that names nothing as a whole is
        read as its parts (a value and the field that holds it, two words...)."""
        out: list[Token] = []
        for t in tokens:
            parts = t.text.split("-")
            whole = index.lookup(t.text) or index.lookup(stem(t.text))
            if t.literal or len(parts) < 2 or whole or any(not p for p in parts):
                out.append(t)
                continue
            if any(p[0].isdigit() for p in parts):
                out.append(t)  # codes and dates ("sc-0007", "2026-03") stay whole
                continue
            out.extend(Token(p, p, 0) for p in parts)
        for i, t in enumerate(out):
            t.index = i
        return out

    # -- helpers --------------------------------------------------------------------------
    def w(self, i: int) -> str:
        return self.words[i] if 0 <= i < len(self.words) and not self.tokens[i].literal else ""

    def use(self, i: int, what: str) -> None:
        if 0 <= i < len(self.tokens) and self.tokens[i].used is None:
            self.tokens[i].used = what

    def has(self, *words: str) -> bool:
        return any(w in self.words for w in words)

    # -- main -----------------------------------------------------------------------------
    def read(self) -> Reading:
        if not self.tokens:
            raise NotUnderstoodError(
                "the question is empty", hint="ask something like 'how many users are there?'"
            )
        times = find_times(self.tokens, self.now)
        if len(times) > 1:
            raise NotUnderstoodError(
                "the question names more than one time period "
                f"({', '.join(t.text for t in times)})",
                hint="ask about one period at a time",
            )
        self.time = times[0] if times else None
        self.cmps = self._comparisons()
        self.percentile = self._percentile()
        self._hold_output_units()
        mentions = link_mentions(self.tokens, self.index)
        self.main = self._main_collection(mentions)
        self.mentions = self._resolve(mentions)
        return self._build()

    # -- structure words ------------------------------------------------------------------
    def _comparisons(self) -> list[_Cmp]:
        found: list[_Cmp] = []
        i = 0
        while i < len(self.tokens):
            for phrase, op in CMP_PHRASES:
                n = len(phrase)
                if tuple(self.words[i : i + n]) != phrase or any(
                    t.used for t in self.tokens[i : i + n]
                ):
                    continue
                j = i + n
                if self.w(j) in ("a", "an", "the"):
                    j += 1
                num = self.tokens[j].number if j < len(self.tokens) else None
                if (
                    num is None
                    and j > i + n - 1
                    and self.w(j - 1) in ("a", "an")
                    and self.index.lexicon.unit(self.w(j))
                    and phrase not in (("min",), ("max",))
                ):
                    # "over an hour", "more than a kilometre": one of the unit
                    for k in range(i, j):
                        self.use(k, "cmp")
                    found.append(_Cmp(i, j, op, 1.0))
                    i = j - 1
                    break
                if num is None:
                    continue
                if phrase in (("min",), ("max",)):
                    continue
                for k in range(i, j + 1):
                    self.use(k, "cmp")
                found.append(_Cmp(i, j + 1, op, num))
                i = j
                break
            else:
                comp = self.index.lexicon.comparatives.get(self.w(i))
                num = self.tokens[i + 2].number if i + 2 < len(self.tokens) else None
                if comp and self.w(i + 1) == "than" and num is not None:
                    for k in range(i, i + 3):
                        self.use(k, "cmp")
                    found.append(_Cmp(i, i + 3, comp[1], num, comp[0]))
                    i += 3
                    continue
                if self.w(i) == "between" and i + 3 < len(self.tokens):
                    lo, hi = self.tokens[i + 1].number, self.tokens[i + 3].number
                    if lo is not None and hi is not None and self.w(i + 2) == "and":
                        for k in range(i, i + 4):
                            self.use(k, "cmp")
                        found.append(_Cmp(i, i + 4, "between", lo))
                        found[-1].value = lo
                        self._between_hi = hi
            i += 1
        return found

    def _hold_output_units(self) -> None:
        """ "total fare in euros": after an aggregate word, "in <unit>" of a dimension some
        field is measured in (``fare_cents``) asks for that unit, not for a value named so
        (a currency EUR); the aggregate clause converts it, or the word stays unread."""
        dims = {fi.dim for c in self.index.colls.values() for fi in c.fields.values() if fi.dim}
        for i in range(1, len(self.tokens)):
            # "more than 20 euros": an amount, not the currency EUR
            named = self.index.lexicon.unit(self.w(i))
            if (
                named
                and named[0] in dims
                and self.tokens[i - 1].number is not None
                and self.tokens[i].used is None
            ):
                self.tokens[i].used = "unit-held"
        agg_at = next(
            (i for i, w in enumerate(self.words) if w in AGG_WORDS or w == "median"), None
        )
        if agg_at is None:
            return
        for i in range(agg_at + 1, len(self.tokens)):
            named = self.index.lexicon.unit(self.w(i))
            if (
                named
                and named[0] in dims
                and self.w(i - 1) in ("in", "as")
                and self.tokens[i].used is None
            ):
                self.tokens[i].used = "unit-held"

    def _percentile(self) -> tuple[float, int] | None:
        for i, w in enumerate(self.words):
            q = None
            if len(w) > 1 and w[0] == "p" and w[1:].isdigit() and 0 < int(w[1:]) < 100:
                q = int(w[1:]) / 100
            elif (
                w.endswith(("th", "st", "nd", "rd"))
                and w[:-2].isdigit()
                and self.w(i + 1)
                in (
                    "percentile",
                    "pct",
                )
            ):
                q = int(w[:-2]) / 100
                self.use(i + 1, "agg")
            elif w == "median":
                q = 0.5
            if q is not None and 0 < q < 1:
                self.use(i, "agg")
                return q, i
        return None

    # -- collections ----------------------------------------------------------------------
    def _main_collection(self, mentions: list[Mention]) -> str:
        scores: dict[str, float] = {}
        first_coll: str | None = None
        for m in mentions:
            colls = {h.collection for h in m.hits if h.kind == "coll" and self._names_coll(m, h)}
            if colls and first_coll is None and not self._is_value_context(m):
                first_coll = next(iter(colls))
            for c in {h.collection for h in m.hits}:
                scores[c] = (
                    scores.get(c, 0.0) + max(h.score for h in m.hits if h.collection == c) / 3
                )
        if first_coll is not None:
            return self._owner_of_leading_field(mentions, first_coll)
        if self.default and self.default in self.index.colls:
            return self.default
        if not scores and len(self.index.colls) == 1:
            return next(iter(self.index.colls))  # one collection: every question is about it
        if not scores:
            names = ", ".join(self.index.colls) or "none yet"
            raise NotUnderstoodError(
                "I could not tell which collection the question is about",
                hint=f"name one of the collections: {names}",
            )
        return max(scores, key=lambda c: (scores[c], self.index.colls[c].coll.records))

    @staticmethod
    def _names_coll(m: Mention, h: Any) -> bool:
        """A collection hit counts unless a field is named more exactly by the same words
        ("visitors" is the field visitor_id, not customers by synonym)."""
        best_field = max((x.score for x in m.hits if x.kind == "field"), default=0.0)
        return bool(h.score >= best_field)

    def _owner_of_leading_field(self, mentions: list[Mention], first: str) -> str:
        """ "total revenue from customers in Spain": the measure named before the first
        collection belongs to another collection linked to it; that one is asked."""
        for m in mentions:
            if any(h.kind == "coll" for h in m.hits):
                break
            fields = [h for h in m.hits if h.kind == "field"]
            if not fields or any(h.collection == first for h in m.hits):
                continue
            best = max(h.score for h in fields)
            top = [h for h in fields if h.score == best]
            if len({h.collection for h in top}) == 1:
                info = self.index.colls[top[0].collection]
                fi = info.fields[top[0].path or ""]
                if fi.numeric and first in info.fks:
                    return top[0].collection
        return first

    def _is_value_context(self, m: Mention) -> bool:
        """A collection word used as a value ("the chat service"): a field name is next to it."""
        vals = [h for h in m.hits if h.kind == "value"]
        if not vals:
            return False
        near = {self.w(m.last), self.w(m.first - 1)}
        for h in vals:
            fi = self.index.colls[h.collection].fields[h.path or ""]
            if {stem(x) for x in near if x} & set(fi.head):
                return True
        return False

    def _resolve(self, mentions: list[Mention]) -> list[Mention]:
        """Choose one meaning per mention, preferring the main collection and confirmed values."""
        out: list[Mention] = []
        main = self.main
        for m in mentions:
            hits = m.hits
            value_hits = [
                h
                for h in hits
                if h.kind in ("value", "bool", "unset") and self._reachable(h.collection)
            ]
            # "visitors" is the field visitor_id, not the customers collection by synonym
            hits = [h for h in hits if h.kind != "coll" or self._names_coll(m, h)]
            if not value_hits and not [h for h in hits if h.kind != "value"]:
                # a value of a collection this question cannot reach: leave the words
                # unread, so the leftover check notes or refuses them
                for t in self.tokens[m.first : m.last]:
                    t.used = None
                continue
            main_fields = [h for h in hits if h.kind == "field" and h.collection == main]
            if (
                value_hits
                and main_fields
                and max(h.score for h in value_hits) <= SYNONYM_VALUE_SCORE
                and not self._is_value_context(m)
            ):
                value_hits = []  # "no phone number": the field phone, not the value mobile
            if (
                value_hits
                and any(h.score >= 2.4 for h in main_fields)
                and not any(h.collection == main for h in value_hits)
                and not {h.collection for h in value_hits} & self._mentioned_colls(mentions, m)
            ):
                # "average battery of scooters": the field battery_pct of scooters, not the
                # value battery of another collection the question never names
                value_hits = []
            coll_hits = [h for h in hits if h.kind == "coll"]
            field_hits = [h for h in hits if h.kind == "field"]
            chosen = None
            if value_hits and (self._is_value_context(m) or not coll_hits):
                chosen = self._pick_value(m, value_hits)
            if chosen is None and coll_hits:
                chosen = next((h for h in coll_hits if h.collection == main), coll_hits[0])
                if value_hits and chosen.collection != main:
                    in_main = [h for h in value_hits if h.collection == main]
                    if in_main and chosen.collection not in self._mentioned_colls(mentions, m):
                        chosen = self._pick_value(m, in_main)
            if chosen is None and field_hits:
                in_main = [h for h in field_hits if h.collection == main]
                pool = in_main or field_hits
                chosen = max(pool, key=lambda h: h.score)
            if chosen is None and value_hits:
                chosen = self._pick_value(m, value_hits)
            if chosen is None:
                continue
            m.hit = chosen
            out.append(m)
        return out

    def _reachable(self, coll: str) -> bool:
        """The main collection, or one linked to it by a key field (either way)."""
        info = self.index.colls[self.main]
        return coll == self.main or coll in info.fks or self.main in self.index.colls[coll].fks

    def _mentioned_colls(self, mentions: list[Mention], skip: Mention) -> set[str]:
        return {h.collection for m in mentions if m is not skip for h in m.hits if h.kind == "coll"}

    def _pick_value(self, m: Mention, hits: list[Any]) -> Any:
        near = {
            stem(x)
            for x in (self.w(m.last), self.w(m.last + 1), self.w(m.first - 1), self.w(m.first - 2))
            if x
        }

        def rank(h: Any) -> tuple[bool, bool, bool, bool, float]:
            fi = self.index.colls[h.collection].fields[h.path]
            confirmed = bool(near & (set(fi.head) | {fi.path.lower()}))
            in_main = h.collection == self.main
            linked = (
                h.collection in self.index.colls[self.main].fks
                or self.main in self.index.colls[h.collection].fks
            )
            return (confirmed, in_main, linked, not fi.is_leaf, h.score)

        best = max(hits, key=rank)
        rivals = [
            h
            for h in hits
            if rank(h) == rank(best) and (h.collection, h.path) != (best.collection, best.path)
        ]
        if rivals:
            # a value that two fields hold equally well: answer with one, name the other
            other = rivals[0]
            where = (
                other.path
                if other.collection == best.collection
                else (f"{other.collection}.{other.path}")
            )
            self.notes.append(f"also possible: {where} = {other.value}")
            self.penalty += 0.15
        fi = self.index.colls[best.collection].fields[best.path]
        for j in (m.last, m.last + 1, m.first - 1, m.first - 2):
            if stem(self.w(j)) in set(fi.head) and self.tokens[j].used in (None, "mention"):
                self.tokens[j].used = "value-field"
                break
        return best

    # -- building -------------------------------------------------------------------------
    def _build(self) -> Reading:
        from thermodb.nl.builder import SpecBuilder

        return SpecBuilder(self).build()


def read_question(
    question: str, now: datetime, index: SchemaIndex, default_collection: str | None = None
) -> Reading:
    """Read one question against a schema index; raise NotUnderstoodError when unsure."""
    return _Reader(question, now, index, default_collection).read()


_ = (AGG_WORDS, BUCKETS, BUCKET_ADVERBS, COUNT_WORDS, DISTINCT_WORDS, FILLER, LATEST_WORDS,
     NEG_WORDS, NULL_WORDS, ORDER_WORDS, TEXT_VERBS, TIME_WORDS, FieldType, And, Condition,
     Filter, GroupKey, Link, Or, OrderKey, QuerySpec, TimeRange, Aggregate, suggest)  # fmt: skip
