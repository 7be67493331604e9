"""Grouping: "per X", "by X", "for each X", calendar buckets ("per day", "weekly") and
"break down".
"""

from __future__ import annotations

from thermodb.nl.clauses.base import PARTICIPLE_BY
from thermodb.nl.clauses.ranking import RankingClauses
from thermodb.nl.words import (
    BUCKET_ADVERBS,
    BUCKETS,
)
from thermodb.query.spec import (
    GroupKey,
)

__all__ = ["GroupingClauses"]


class GroupingClauses(RankingClauses):
    """Grouping clauses of :class:`~thermodb.nl.builder.SpecBuilder`."""

    def _grouping(self) -> None:
        words = self.r.words
        for i, w in enumerate(words):
            if self.used(i):
                continue
            if w in BUCKET_ADVERBS:
                self.use(i, "group")
                self.group.append(GroupKey(bucket=BUCKET_ADVERBS[w], field=self._bucket_field()))
                continue
            if w not in ("per", "by", "each", "every"):
                continue
            j = i + 1
            while self.w(j) in ("the", "a", "their", "its", "each", "every", "one", "of"):
                j += 1
            if w == "by" and self.w(i - 1) in PARTICIPLE_BY:
                continue
            if self.w(j) in BUCKETS and not self.used(j):
                for k in range(i, j + 1):
                    self.use(k, "group")
                self.group.append(GroupKey(bucket=BUCKETS[self.w(j)], field=self._bucket_field()))
                continue
            m = self.mention_at(j)
            if m is None or m.hit is None:
                continue
            h = m.hit
            after = self.mention_at(m.last)
            if (
                h.kind == "coll"
                and h.collection == self.main
                and after is not None
                and after.hit is not None
                and after.hit.kind == "field"
                and after.hit.collection == self.main
            ):
                # "by scooter model": the collection's noun naming its own field
                self.r.tokens[m.first].used = "coll-modifier"
                m, h = after, after.hit
            if h.kind == "field" and h.path and w == "by" and self.limit is not None:
                subj = self._ranking_subject()
                if subj is not None and subj.hit is not None and subj.hit.kind == "coll":
                    continue
            if h.kind == "field" and h.path:
                for k in range(i, m.last):
                    self.use(k, "group")
                    self.r.tokens[k].used = (
                        "group" if self.r.tokens[k].used == "mention" else self.r.tokens[k].used
                    )
                self.group.append(GroupKey(field=h.path))
            elif (
                h.kind == "coll"
                and h.collection != self.main
                and h.collection in self.ix.colls[self.main].fks
            ):
                for k in range(i, m.last):
                    self.r.tokens[k].used = "group"
                self.group.append(GroupKey(field=self.ix.colls[self.main].fks[h.collection]))
                self.links.pop(h.collection, None)
        for i, w in enumerate(words):
            if w in ("break", "broken", "group", "grouped", "split", "breakdown") and not self.used(
                i
            ):
                self.use(i, "group")
                if self.w(i + 1) == "down":
                    self.use(i + 1, "group")

    def _bucket_field(self) -> str | None:
        return self.time_field
