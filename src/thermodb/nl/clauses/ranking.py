"""Top/bottom N, latest N and "which 3 X ... the most": the limit, the order and what is
ranked.
"""

from __future__ import annotations

from thermodb.catalog.types import FieldType
from thermodb.errors import NotUnderstoodError
from thermodb.nl.clauses.links import LinkClauses
from thermodb.nl.lexicon import stem
from thermodb.nl.linking import Mention
from thermodb.nl.words import (
    LATEST_WORDS,
    ORDER_WORDS,
)
from thermodb.query.spec import (
    Aggregate,
    GroupKey,
    OrderKey,
)

__all__ = ["COMMON_WORDS", "RankingClauses"]

COMMON_WORDS = frozenset({"common", "frequent", "popular", "usual", "prevalent", "often"})

_SUPERLATIVE_DIMS: dict[str, tuple[str, ...]] = {
    "longest": ("length", "time"), "shortest": ("length", "time"), "farthest": ("length",),
    "furthest": ("length",), "nearest": ("length",), "closest": ("length",),
    "priciest": ("money",), "cheapest": ("money",), "costliest": ("money",),
    "fastest": ("speed",), "slowest": ("speed",), "heaviest": ("mass",),
    "lightest": ("mass",), "biggest": ("bytes", "mass"), "largest": ("bytes", "mass"),
    "smallest": ("bytes", "mass"),
}  # fmt: skip
"""Superlatives → the dimensions of the field they rank by, in order of preference."""


class RankingClauses(LinkClauses):
    """Ranking clauses of :class:`~thermodb.nl.builder.SpecBuilder`."""

    def _number_after(self, i: int) -> tuple[int, int] | None:
        t = self.r.tokens[i] if i < len(self.r.tokens) else None
        if t is not None and not t.used and t.number is not None and float(t.number).is_integer():
            return int(t.number), i
        return None

    def _most_common(self) -> bool:
        """ "the most common repair issue", "3 least frequent models": the values of a
        field ranked by how many records hold them."""
        words = self.r.words
        for i, w in enumerate(words):
            word = self.w(i + 1)
            at = self.mention_at(i + 1)
            participle = (
                word.endswith("ed")
                and i + 1 < len(self.r.tokens)
                and self.r.tokens[i + 1].used in (None, "mention")
                and (at is None or self._is_time_mention(at))
            )
            if w not in ("most", "least") or self.used(i):
                continue
            if word not in COMMON_WORDS and not participle:
                continue  # "the most prescribed drug": most often, as "most common"
            m = self.next_mention(i + 2, ("field", "coll"), span=3)
            if m is not None and m.hit is not None and m.hit.kind == "coll":
                if m.hit.collection != self.main:
                    return False
                nxt = self.mention_at(m.last)
                if nxt is None or nxt.hit is None or nxt.hit.kind != "field":
                    return False
                self.r.tokens[m.first].used = "coll-modifier"
                m = nxt
            if m is None or m.hit is None or m.hit.kind != "field" or m.hit.path is None:
                return False
            n = 1
            for j in (i - 1, i - 2):
                t = self.r.tokens[j] if j >= 0 else None
                if t is not None and not t.used and t.number is not None:
                    n = int(t.number)
                    self.use(j, "rank")
                    if self.w(j - 1) == "top":
                        self.use(j - 1, "rank")
                    break
            self.use(i, "order")
            self.r.tokens[i + 1].used = "order"
            for k in range(m.first, m.last):
                self.r.tokens[k].used = "group"
            self.group.append(GroupKey(field=m.hit.path))
            self.rank_desc = w == "most"
            self.limit = n
            return True
        return False

    def _is_time_mention(self, m: Mention) -> bool:
        h = m.hit
        if h is None or h.kind != "field" or h.path is None:
            return False
        return self.ix.colls[h.collection].fields[h.path].type is FieldType.TIMESTAMP

    def _top_and_latest(self) -> None:
        words = self.r.words
        if self._most_common():
            return
        for i, w in enumerate(words):
            if self.used(i):
                continue
            if w in ("top", "bottom", "first", "last") or w in (
                "latest",
                "newest",
                "oldest",
                "earliest",
                "recent",
            ):
                got = self._number_after(i + 1)
                if got is None and w in ("top", "bottom"):
                    got = (10, -1)
                if got is None and w in LATEST_WORDS and w not in ("first", "last"):
                    # "the most recent 5 tickets", "the 5 most recent / newest tickets"
                    before = i - 2 if w == "recent" and self.w(i - 1) == "most" else i - 1
                    if w == "recent" and self.w(i - 1) == "most":
                        got = self._number_after(i + 1)
                    if got is None and before >= 0:
                        got = self._number_after(before)
                if got is None:
                    continue
                n, k = got
                self.use(i, "rank")
                if k >= 0:
                    self.use(k, "rank")
                if w == "recent":
                    self.use(i - 1, "rank")
                if w in ("top", "bottom"):
                    self.rank_desc = w == "top"
                    self.limit = n
                else:
                    self.latest = LATEST_WORDS.get(w, True)
                    self.limit = n
                return
        # "which 3 users ... the most messages", "the 5 rooms with the most ..."
        for i, t in enumerate(self.r.tokens):
            if t.used or t.number is None or not float(t.number).is_integer():
                continue
            if self.w(i - 1) in ("which", "the", "what") and any(
                w in ORDER_WORDS and not self.used(j) for j, w in enumerate(words) if j > i
            ):
                self.use(i, "rank")
                self.limit = int(t.number)
                return

    def _finish_order(self) -> None:
        words = self.r.words
        desc_word = None
        for i, w in enumerate(words):
            if w in ORDER_WORDS and not self.used(i) and w not in ("top", "bottom"):
                desc_word = (i, ORDER_WORDS[w])
                break
        latest = self.latest
        if latest is not None and self.limit is not None:
            tf = self.time_field or self.ix.colls[self.main].time
            if tf is None:
                raise NotUnderstoodError(
                    f"{self.main} has no time field to order by",
                    hint="ask for a top N by a field instead",
                )
            self.order = [OrderKey(field=tf, desc=latest)]
            key = self.ix.colls[self.main].key
            self.select = [p for p in (key, tf) if p]
            self.aggs = [a for a in self.aggs if a.fn != "count"]
            return
        rank = self.rank_desc
        if self.limit is None and desc_word is not None and (self.group or self._ranking_subject()):
            self.limit = 1
        if self.limit is None:
            return
        if desc_word is not None:
            self.use(desc_word[0], "order")
            rank = desc_word[1] if rank is None else rank
        if rank is None:
            rank = True
        # what is ranked: the first mention after the number / top word
        subject = self._ranking_subject()
        if subject is not None and subject.hit is not None:
            h = subject.hit
            if (
                h.kind == "field"
                and h.path
                and h.collection != self.main
                and self.main in self.ix.colls[h.collection].fks
            ):
                # "which vet saw the most pets": the vet is a field of visits, which hold the
                # pet's key; count the distinct pets per vet there
                self.links.setdefault(h.collection, {"kind": "semi", "where": []})
                self._switch_to(h.collection, count_distinct=True)
            if h.kind == "field" and h.path and h.collection != self.main:
                raise NotUnderstoodError(
                    f"'{subject.text}' is a field of {h.collection}, not of {self.main}",
                    hint=f"ask about {h.collection}",
                )
            if h.kind == "field" and h.path and not any(g.field == h.path for g in self.group):
                self.group.insert(0, GroupKey(field=h.path))
                for k in range(subject.first, subject.last):
                    self.r.tokens[k].used = "group"
            elif (
                h.kind == "coll"
                and h.collection != self.main
                and self.main in self.ix.colls[h.collection].fks
            ):
                pass
            elif h.kind == "coll" and h.collection == self.main:
                other = self._counted_other()
                measured = None if other is not None else self._measured_other()
                if measured is not None:
                    other = measured[0]
                    self._link(other)
                if other is not None:
                    self._switch_to(other)
                    self.group.insert(0, GroupKey(field=self.fk_group))
                    if not self.aggs and measured is not None:
                        self.aggs.append(Aggregate(fn="sum", field=measured[1]))
                    if not self.aggs:
                        self.aggs.append(Aggregate(fn="count", alias="count"))
        key_of_rank = self._rank_value()
        if self.group:
            if not self.aggs and key_of_rank is not None:
                # "which clinic earns the most in fees": the groups ranked by the sum
                fi = self.ix.colls[self.main].fields.get(key_of_rank)
                if fi is not None and fi.numeric:
                    self.aggs.append(Aggregate(fn="sum", field=key_of_rank))
            if not self.aggs:
                self.aggs.append(Aggregate(fn="count", alias="count"))
            self.aggs = self.aggs[:1]
            self.order = [OrderKey(field=self.aggs[0].name, desc=rank)]
        else:
            self.aggs = []
            if key_of_rank is None:
                # "the 3 longest page views": the field its comparative names; "the 4
                # biggest invoices": the collection's one measure
                key_of_rank = self._superlative_field() or self.ix.measure_field(self.main)
            if key_of_rank is None:
                fields = ", ".join(list(self.ix.colls[self.main].fields)[:8])
                raise NotUnderstoodError(
                    "I could not tell what to rank by",
                    hint=f"say 'top N {self.main} by <field>'; fields: {fields}",
                )
            self.order = [OrderKey(field=key_of_rank, desc=rank)]
            key = self.ix.colls[self.main].key
            self.select = [p for p in (key, key_of_rank) if p]

    def _measured_other(self) -> tuple[str, str] | None:
        """ "top 3 clients by total spend": a measure of another collection whose records
        hold the ranked entity's key (orders.total_amount for customers)."""
        for m in self.r.mentions:
            h = m.hit
            if h is None or h.kind != "field" or not h.path or h.collection == self.main:
                continue
            info = self.ix.colls[h.collection]
            if info.fields[h.path].numeric and self.main in info.fks:
                return h.collection, h.path
        return None

    def _superlative_field(self) -> str | None:
        """The field a superlative's comparative names ("longest" → longer → duration)."""
        info = self.ix.colls[self.main]
        for w in self.r.words:
            if not w.endswith("est"):
                continue
            comp = self.ix.lexicon.comparatives.get(w[:-3] + "er")
            if comp:
                word = stem(comp[0])
                for p, fi in info.fields.items():
                    if word in fi.head and fi.numeric:
                        return p
        for w in self.r.words:
            # "the 3 longest trips": the one field measured in a length (or a duration)
            for dim in _SUPERLATIVE_DIMS.get(w, ()):
                same = [p for p, fi in info.fields.items() if fi.dim == dim and fi.numeric]
                if len(same) == 1:
                    return same[0]
        return None

    def _ranking_subject(self) -> Mention | None:
        for i, t in enumerate(self.r.tokens):
            if t.used == "rank":
                m = self.next_mention(i + 1, ("field", "coll", "value"), span=3)
                if m is not None:
                    return m
        for i, w in enumerate(self.r.words):
            if w in ("which", "what"):
                m = self.next_mention(i + 1, ("field", "coll"), span=2)
                if m is not None and m.hit and m.hit.kind == "field":
                    return m
        return None

    def _rank_value(self) -> str | None:
        for m in self.r.mentions:
            h = m.hit
            if h is None or h.kind != "field" or h.path is None:
                continue
            if self.r.tokens[m.first].used == "mention":
                fi = self.ix.colls[h.collection].fields[h.path]
                if fi.numeric or (fi.type is FieldType.TIMESTAMP and self.w(m.first - 1) == "by"):
                    for k in range(m.first, m.last):
                        self.r.tokens[k].used = "order"
                    if self.w(m.first - 1) == "by":
                        self.use(m.first - 1, "order")
                    return h.path
        for a in self.aggs:
            if a.field:
                return a.field
        return None
