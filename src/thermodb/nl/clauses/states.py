"""States said in everyday words that the data records as a missing value.

"still open", "unresolved", "pending": the collection's end time (``resolved_at``,
``closed_at``, ``ended_at``) is not set yet; "closed", "resolved" without a period: it is.
"unassigned", "unowned": the field that holds the person a record is given to is empty.
Each applies only when no collection, field or value of the question's data has that name
(a ``status`` value ``open`` is matched as a value, as it should be).
"""

from __future__ import annotations

import re

from thermodb.catalog.types import FieldType
from thermodb.nl.clauses.links import LinkClauses
from thermodb.query.spec import Condition

__all__ = ["StateClauses"]

OPEN_WORDS = frozenset({"open", "unresolved", "pending", "outstanding", "ongoing", "unfinished",
                        "unclosed", "unfixed", "incomplete", "unanswered", "running"})  # fmt: skip
DONE_WORDS = frozenset({"closed", "resolved", "finished", "completed", "fixed", "done", "ended",
                        "answered"})  # fmt: skip
SOMEONE = {"someone": "not_null", "somebody": "not_null", "anyone": "not_null",
           "anybody": "not_null", "something": "not_null", "anything": "not_null",
           "nobody": "is_null", "nothing": "is_null"}  # fmt: skip
UNSET_PERSON = frozenset({"unassigned", "unowned", "unallocated", "unclaimed", "unhandled",
                          "unstaffed"})  # fmt: skip
END_HEADS = ("end", "finish", "stop", "clos", "resolv", "complet", "fix", "done", "answer",
             "ship", "deliver")  # fmt: skip
_VALUE_NOUNS = frozenset({"version", "versions", "value", "values", "kind", "kinds", "type",
                          "types", "name", "names", "option", "options", "variant",
                          "variants", "code", "codes", "category", "categories"})  # fmt: skip
_NAME = re.compile(r"^[A-Z][a-z'\-]+(?: [A-Z][a-z'\-]+)?$")


class StateClauses(LinkClauses):
    """State clauses of :class:`~thermodb.nl.builder.SpecBuilder`."""

    def _states(self) -> None:
        info = self.ix.colls[self.main]
        for i, t in enumerate(self.r.tokens):
            if t.used is not None or t.literal:
                continue
            w = t.text
            if w in OPEN_WORDS or w in DONE_WORDS:
                tm = self.r.time
                if w in DONE_WORDS and tm is not None and tm.first in (i + 1, i + 2):
                    continue  # "resolved last week": the verb names the period's time field
                end = self._end_time()
                if end is None:
                    continue
                self.use(i, "state")
                if self.w(i - 1) in ("still", "yet", "currently", "now") and not self.used(i - 1):
                    self.use(i - 1, "state")
                op = "is_null" if w in OPEN_WORDS else "not_null"
                self.add_filter(self.main, Condition(field=end, op=op))
            elif w in SOMEONE:
                # "referred by someone": the field just named is set
                m = self.prev_mention(i, ("field",), span=2)
                if (
                    m is None
                    or m.hit is None
                    or m.hit.path is None
                    or m.hit.collection != self.main
                ):
                    continue
                if self.r.tokens[m.first].used != "mention":
                    continue
                for k in range(m.first, i + 1):
                    self.r.tokens[k].used = "state"
                self.add_filter(self.main, Condition(field=m.hit.path, op=SOMEONE[w]))
            elif w in UNSET_PERSON:
                person = self._person_field()
                if person is None:
                    continue
                self.use(i, "state")
                fi = info.fields[person]
                op = "is_null" if fi.type is not FieldType.TEXT else "is_empty"
                self.add_filter(self.main, Condition(field=person, op=op))

    def _end_time(self) -> str | None:
        """The one time field of the main collection that marks an ending."""
        info = self.ix.colls[self.main]
        ends = [
            p
            for p in self.ix.time_fields(self.main)
            if p != info.time and "_".join(info.fields[p].head).startswith(END_HEADS)
        ]
        return ends[0] if len(ends) == 1 else None

    def _person_field(self) -> str | None:
        """The one nullable text field whose values are people's names."""
        info = self.ix.colls[self.main]
        found = []
        for path, fi in info.fields.items():
            f = info.coll.fields[path]
            if fi.type is not FieldType.TEXT or not fi.categories or path == info.key:
                continue
            names = [v for v in fi.categories if _NAME.match(v)]
            if len(names) == len(fi.categories) and (f.nulls or f.present < info.coll.records):
                found.append(path)
        return found[0] if len(found) == 1 else None

    def _distinct_listing(self) -> None:
        """ "which firmware versions do pings report", "what statuses are there": the
        distinct values of a field named right after which/what, when nothing else
        (a count, a grouping, a ranking) uses it."""
        if self.aggs or self.group or self.limit is not None or self.select is not None:
            return
        words = self.r.words
        if not words or words[0] not in ("which", "what"):
            return
        j = 1
        while self.w(j) in ("are", "is", "were", "the", "different", "distinct", "kinds", "of"):
            j += 1
        m = self.mention_at(j)
        if m is None or m.hit is None or m.hit.kind != "field" or m.hit.path is None:
            return
        if m.hit.collection != self.main or self.r.tokens[m.first].used != "mention":
            return
        if m.hit.path == self.ix.colls[self.main].key:
            return
        for k in range(m.first, m.last):
            self.r.tokens[k].used = "field-used"
        for k in range(1, m.first):
            self.use(k, "distinct")
        if self.w(m.last) in _VALUE_NOUNS:
            self.use(m.last, "distinct")
        self.select = [m.hit.path]
        self.distinct = True

    def _output_units(self) -> None:
        """ "average distance in kilometres", "total fare in euros": the aggregate of a
        field measured in a unit (``distance_m``, ``fare_cents``) converted to the unit
        the question names, of the same dimension; the same unit needs no conversion."""
        for i, t in enumerate(self.r.tokens):
            if t.used == "unit-held":
                t.used = None  # unread again unless an aggregate below takes it
            if t.used is not None or t.literal:
                continue
            named = self.ix.lexicon.unit(t.text)
            if named is None:
                continue
            dim, size = named
            for agg in self.aggs:
                if agg.field is None or agg.fn == "count_distinct":
                    continue
                fi = self.ix.colls[self.main].fields.get(agg.field)
                if fi is None or fi.dim != dim or not fi.unit:
                    continue
                self.use(i, "unit")
                if self.w(i - 1) in ("in", "as") and not self.used(i - 1):
                    self.use(i - 1, "unit")
                if abs(fi.unit / size - 1) > 1e-9:
                    self.scale[agg.name] = (fi.unit / size, t.text)
