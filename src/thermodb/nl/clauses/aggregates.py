"""Counts, distinct counts and values, sum/avg/min/max and percentiles, and the field
each aggregate word is about.
"""

from __future__ import annotations

from thermodb.errors import NotUnderstoodError
from thermodb.nl.clauses.links import LinkClauses
from thermodb.nl.linking import Mention, suggest
from thermodb.nl.words import (
    AGG_WORDS,
    BUCKET_ADVERBS,
    COUNT_WORDS,
    DISTINCT_WORDS,
    FILLER,
    ORDER_WORDS,
)
from thermodb.query.spec import (
    Aggregate,
)

__all__ = ["AggregateClauses"]


class AggregateClauses(LinkClauses):
    """Aggregate clauses of :class:`~thermodb.nl.builder.SpecBuilder`."""

    def _field_after(self, i: int, numeric: bool = False) -> tuple[str, str, Mention] | None:
        m = self._past_main_noun(self.next_mention(i + 1, ("field", "coll", "value"), span=5))
        if m is None or m.hit is None:
            return None
        h = m.hit
        if h.kind == "field" and h.path:
            return h.collection, h.path, m
        return None

    def _distinct_and_aggregates(self) -> None:
        words = self.r.words
        counting = self.r.has("many", "count", "number", "counts", "tally")
        if "number" in words:
            k = words.index("number")
            if self.w(k + 1) == "of":
                m = self.next_mention(k + 2, ("field", "coll", "value"), span=3)
                if (
                    m
                    and m.hit
                    and m.hit.kind == "field"
                    and m.hit.path
                    and self.ix.colls[m.hit.collection].fields[m.hit.path].numeric
                ):
                    counting = False
        # percentile
        if self.r.percentile is not None:
            q, i = self.r.percentile
            got = self._field_after(i)
            if got is None:
                got2 = self.prev_mention(i, ("field",), span=3)
                if got2 and got2.hit and got2.hit.path:
                    got = (got2.hit.collection, got2.hit.path, got2)
            path = got[1] if got else self.ix.measure_field(self.main)
            if got:
                for k in range(got[2].first, got[2].last):
                    self.r.tokens[k].used = "field-used"
            if path is None:
                self._no_field("a percentile")
            self.aggs.append(Aggregate(fn="percentile", field=path, q=q))
            return
        # distinct
        for i, w in enumerate(words):
            if w in DISTINCT_WORDS and not self.used(i):
                self.use(i, "agg")
                m = self._past_main_noun(
                    self.next_mention(i + 1, ("field", "coll", "value"), span=3)
                )
                if m and m.hit and m.hit.kind == "field" and m.hit.path:
                    for k in range(m.first, m.last):
                        self.r.tokens[k].used = "field-used"
                    if counting:
                        self.aggs.append(
                            Aggregate(
                                fn="count_distinct",
                                field=m.hit.path,
                                alias=f"distinct_{m.hit.path}",
                            )
                        )
                    else:
                        self.select = [m.hit.path]
                        self.distinct = True
                    return
                if m and m.hit and m.hit.kind == "coll" and m.hit.collection != self.main:
                    continue
                if m and m.hit and m.hit.kind == "coll" and m.hit.collection == self.main:
                    other = [
                        o
                        for o in self.links
                        if self.links[o]["kind"] == "semi" and self.main in self.ix.colls[o].fks
                    ]
                    if other:
                        self._switch_to(other[0], count_distinct=True)
                        return
        # aggregate words
        for i, w in enumerate(words):
            if w not in AGG_WORDS or self.used(i):
                continue
            if self.limit is not None and w in ORDER_WORDS:
                continue
            if w in ORDER_WORDS and self._asks_which_field(i):
                continue  # "which country had the largest points": a ranking, not a max
            fn = AGG_WORDS[w]
            if w == "total" and counting:
                self.use(i, "agg")
                continue
            got = self._field_after(i)
            if got is None:
                nxt = self.next_mention(i + 1, ("coll", "value", "field"), span=4)
                if (
                    w in ("total", "most", "highest")
                    and nxt is not None
                    and nxt.hit
                    and nxt.hit.kind == "coll"
                ):
                    continue
                if self._unknown_after(i):
                    self._no_field(f"'{w}'")
                path = self.ix.measure_field(self.main)
                if path is None:
                    if w in ORDER_WORDS:
                        continue
                    self._no_field(f"'{w}'")
            else:
                path = got[1]
                for k in range(got[2].first, got[2].last):
                    self.r.tokens[k].used = "field-used"
            self.use(i, "agg")
            self.aggs.append(Aggregate(fn=fn, field=path))
            return
        if not counting and self.limit is None and self._implied_sum():
            return
        if counting:
            for i, w in enumerate(words):
                if w in COUNT_WORDS:
                    self.use(i, "agg")
            if self.limit is None or self.rank_is_group():
                self.aggs.append(Aggregate(fn="count", alias="count"))

    def _asks_which_field(self, i: int) -> bool:
        """ "which/who <field> ... <superlative>": the question asks for the field's value
        of the top record or group, so the superlative ranks."""
        words = self.r.words
        if not words or words[0] not in ("which", "who", "what"):
            return False
        m = self.next_mention(1, ("field",), span=2)
        if m is None or m.hit is None or m.hit.path is None or m.last > i:
            return False
        fi = self.ix.colls[m.hit.collection].fields[m.hit.path]
        return m.hit.collection == self.main and not fi.numeric

    def _implied_sum(self) -> bool:
        """A measure noun grouped (or asked "how much") without an aggregate word is its
        sum: "weekly revenue", "sales per country", "how much revenue"."""
        words = self.r.words
        grouped = any(
            w in BUCKET_ADVERBS or (w in ("per", "by", "each") and not self.used(i))
            for i, w in enumerate(words)
        )
        how_much = any(w == "how" and self.w(i + 1) == "much" for i, w in enumerate(words))
        if not grouped and not how_much:
            return False
        for m in self.r.mentions:
            h = m.hit
            if h is None or h.kind != "field" or h.collection != self.main or not h.path:
                continue
            fi = self.ix.colls[self.main].fields[h.path]
            if (
                self.r.tokens[m.first].used != "mention"
                or not fi.numeric
                or h.path == self.ix.colls[self.main].key
            ):
                continue
            if fi.head and fi.head[-1] in self.ix.lexicon.measure_names:
                for k in range(m.first, m.last):
                    self.r.tokens[k].used = "field-used"
                self.aggs.append(Aggregate(fn="sum", field=h.path))
                return True
        return False

    def _past_main_noun(self, m: Mention | None) -> Mention | None:
        """ "average order value", "distinct order statuses": the main collection's noun
        used as a modifier; the field named right after it is the one meant."""
        if m is None or m.hit is None or m.hit.kind != "coll" or m.hit.collection != self.main:
            return m
        nxt = self.mention_at(m.last)
        if (
            nxt is not None
            and nxt.hit is not None
            and nxt.hit.kind == "field"
            and nxt.hit.collection == self.main
        ):
            self.r.tokens[m.first].used = "coll-modifier"
            return nxt
        return m

    def _unknown_after(self, i: int) -> bool:
        """An unread content word right after an aggregate word: a field we do not know."""
        for j in range(i + 1, min(i + 4, len(self.r.tokens))):
            t = self.r.tokens[j]
            if t.used is not None or t.literal:
                return False
            if t.text not in FILLER and t.number is None:
                return True
        return False

    def rank_is_group(self) -> bool:
        return True

    def _no_field(self, what: str) -> None:
        unknown = [
            t.text
            for t in self.r.tokens
            if t.used is None
            and t.text not in FILLER
            and not t.literal
            and t.text not in AGG_WORDS
            and t.text not in ORDER_WORDS
            and t.number is None
        ]
        word = unknown[0] if unknown else what
        close = suggest(word, self.ix, self.main)
        if unknown:
            msg = f"no field '{word}' in {self.main}"
        else:
            msg = f"I could not tell which field of {self.main} {what} is about"
        if not close:
            info = self.ix.colls[self.main]
            close = [p for p, fi in info.fields.items() if fi.numeric and p != info.key][:3]
        hint = (
            f"did you mean {' or '.join(repr(c) for c in close)}?"
            if close
            else "name a numeric field"
        )
        raise NotUnderstoodError(msg, hint=hint)
