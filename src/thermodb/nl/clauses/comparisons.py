"""Comparisons ("more than N", "older than 60", "over 2 seconds"): which field each one
compares, unit conversion, and per-entity counts ("users with more than 50 messages").
"""

from __future__ import annotations

from typing import Any

from thermodb.catalog.types import FieldType
from thermodb.errors import NotUnderstoodError
from thermodb.nl.clauses.links import LinkClauses
from thermodb.nl.lexicon import stem
from thermodb.nl.linking import suggest
from thermodb.nl.words import FILLER
from thermodb.query.spec import (
    Condition,
)

__all__ = ["ComparisonClauses"]


class ComparisonClauses(LinkClauses):
    """Comparison clauses of :class:`~thermodb.nl.builder.SpecBuilder`."""

    def _comparisons(self) -> None:
        for c in self.r.cmps:
            value: float = c.value
            nxt = c.last
            free = nxt < len(self.r.tokens) and self.r.tokens[nxt].used in (None, "unit-held")
            named = self.ix.lexicon.unit(self.w(nxt)) if self.w(nxt) and free else None
            unit = named[1] if named else None
            self._unit_dim = named[0] if named else None
            target: tuple[str, str] | None = None
            m_after = self.mention_at(nxt) if unit is None and not c.hint else None
            if m_after and m_after.hit:
                h = m_after.hit
                if h.kind == "coll" and h.collection != self.main:
                    self._aggregate_link(h.collection, c, m_after)
                    continue
                if h.kind == "field" and h.path and self._comparable(h.collection, h.path):
                    target = self._counted_field(h.collection, h.path)
                    for k in range(m_after.first, m_after.last):
                        self.r.tokens[k].used = "field-used"
            if target is None:
                comp = self.w(c.first)
                if comp in (
                    "older",
                    "younger",
                    "longer",
                    "shorter",
                    "bigger",
                    "larger",
                    "smaller",
                    "cheaper",
                    "pricier",
                    "slower",
                    "faster",
                    "heavier",
                    "lighter",
                ) or self.ix.lexicon.comparatives.get(comp):
                    pass
                m_before = None if c.hint else self.prev_mention(c.first, ("field",), span=4)
                if (
                    m_before
                    and m_before.hit
                    and m_before.hit.path
                    and self._comparable(m_before.hit.collection, m_before.hit.path)
                ):
                    target = self._counted_field(m_before.hit.collection, m_before.hit.path)
                    for k in range(m_before.first, m_before.last):
                        self.r.tokens[k].used = "field-used"
            if target is None and unit is not None:
                target = self._field_with_dim(self._unit_dim)
            if target is None:
                target = self._comparative_field(c, unit)
            if target is None:
                close = suggest(
                    " ".join(self.r.words[max(0, c.first - 2) : c.first]) or "value",
                    self.ix,
                    self.main,
                )
                phrase = " ".join(self.r.words[c.first : c.last])
                raise NotUnderstoodError(
                    f"I could not tell which field '{phrase}' compares",
                    hint=f"name the field; closest in {self.main}: {', '.join(close)}",
                )
            fi = self.ix.colls[target[0]].fields[target[1]]
            if unit is not None and (fi.dim is None or fi.dim == self._unit_dim):
                self.r.tokens[nxt].used = "unit"
                if fi.unit:
                    value = value * unit / fi.unit
            val: Any = (
                int(value) if fi.type is FieldType.INT and float(value).is_integer() else value
            )
            if c.op == "between":
                hi = getattr(self.r, "_between_hi", value)
                self.add_filter(
                    target[0], Condition(field=target[1], op="between", value=[val, hi])
                )
            else:
                self.add_filter(target[0], Condition(field=target[1], op=c.op, value=val))

    def _exact_numbers(self) -> None:
        """ "prescriptions with 3 refills", "rooms that have 2 beds": a bare number right
        before a numeric field of the main collection is that field's value."""
        for i, t in enumerate(self.r.tokens):
            if t.used is not None or t.literal or t.number is None:
                continue
            if self.w(i - 1) not in ("with", "have", "has", "had", "of", "exactly", "and"):
                continue
            m = self.mention_at(i + 1)
            if m is None or m.hit is None or m.hit.kind != "field" or m.hit.path is None:
                continue
            if m.hit.collection != self.main or self.r.tokens[m.first].used != "mention":
                continue
            fi = self.ix.colls[self.main].fields[m.hit.path]
            if not fi.numeric:
                continue
            self.use(i, "cmp")
            for k in range(m.first, m.last):
                self.r.tokens[k].used = "field-used"
            value: Any = int(t.number) if float(t.number).is_integer() else t.number
            self.add_filter(self.main, Condition(field=m.hit.path, op="=", value=value))

    def _field_with_dim(self, dim: str | None) -> tuple[str, str] | None:
        """ "longer than 9 km": the one field of the main collection measured in that
        dimension (``distance_m``)."""
        info = self.ix.colls[self.main]
        same = [p for p, fi in info.fields.items() if fi.dim is not None and fi.dim == dim]
        return (self.main, same[0]) if len(same) == 1 else None

    def _comparative_field(self, c: Any, unit: float | None) -> tuple[str, str] | None:
        info = self.ix.colls[self.main]
        if c.hint:
            word = stem(c.hint)
            for p, fi in info.fields.items():
                if word in fi.head and fi.numeric:
                    return (self.main, p)
        for j in range(max(0, c.first - 2), c.first + 1):
            spec = self.ix.lexicon.comparatives.get(self.w(j))
            if spec:
                word = stem(spec[0])
                for p, fi in info.fields.items():
                    if word in fi.head and fi.numeric:
                        self.use(j, "cmp")
                        return (self.main, p)
        if unit is not None:
            with_unit = [p for p, fi in info.fields.items() if fi.unit and fi.dim == self._unit_dim]
            if len(with_unit) == 1:
                return (self.main, with_unit[0])
            return None
        # "refunded orders over 500": the collection's one measure (its amount), unless an
        # unknown word names the field meant ("a discount over 10")
        j = c.first - 1
        while j >= 0 and self.w(j) in ("a", "an", "the", "of", "is", "are", "was", "were"):
            j -= 1
        t = self.r.tokens[j] if j >= 0 else None
        if t is not None and t.used is None and t.text not in FILLER and t.number is None:
            return None
        measure = self.ix.measure_field(self.main)
        return (self.main, measure) if measure else None

    def _comparable(self, coll: str, path: str) -> bool:
        """A bare number is not compared with a time ("placed this week over 400")."""
        return self.ix.colls[coll].fields[path].type is not FieldType.TIMESTAMP

    def _counted_field(self, coll: str, path: str) -> tuple[str, str]:
        """ "more than 5 items" on a list field: the numeric field that counts it
        (``item_count``, ``num_items``), when the collection has one."""
        info = self.ix.colls[coll]
        fi = info.fields[path]
        if fi.numeric or fi.type is not FieldType.JSON or not fi.head:
            return (coll, path)
        noun = fi.head[-1]
        count_words = {"count", "num", "number", "qty", "quantity", "total", "n"}
        for p, other in info.fields.items():
            words = set(other.words)
            if other.numeric and noun in words and words & count_words and p != path:
                return (coll, p)
        return (coll, path)
