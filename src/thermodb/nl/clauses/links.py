"""Links to other collections: semi-, anti- and aggregate joins, and re-rooting a
question on the collection that holds the counted records ("users who sent the most messages").
"""

from __future__ import annotations

from typing import Any

from thermodb.errors import NotUnderstoodError
from thermodb.nl.clauses.base import ClauseBase
from thermodb.nl.linking import Mention
from thermodb.query.spec import (
    Aggregate,
    Condition,
)

__all__ = ["LinkClauses"]


class LinkClauses(ClauseBase):
    """Link clauses of :class:`~thermodb.nl.builder.SpecBuilder`."""

    def _link(self, other: str, *, anti: bool = False) -> None:
        entry = self.links.setdefault(other, {"kind": "semi", "where": []})
        if anti:
            entry["kind"] = "anti"

    def _collect_links(self) -> None:
        for m in self.r.mentions:
            h = m.hit
            if (
                h is not None
                and h.kind == "coll"
                and h.collection not in (self.main, self.switched_from)
                and self.r.tokens[m.first].used == "mention"
            ):
                self._link(h.collection)
        for coll in list(self.filters):
            if coll != self.main and coll not in self.links:
                self._link(coll)

    def _aggregate_link(self, other: str, c: Any, m: Mention) -> None:
        alias = f"{other}_count"
        agg = Aggregate(fn="count", alias=alias)
        self.agg_links.append(
            (
                other,
                agg,
                Condition(field=alias, op=c.op if c.op != "between" else ">=", value=int(c.value)),
            )
        )
        self.links.setdefault(other, {"kind": "aggregate", "where": []})["kind"] = "aggregate"
        for k in range(m.first, m.last):
            self.r.tokens[k].used = "link"

    def _switch_to(self, other: str, *, count_distinct: bool = False) -> None:
        """The question counts entities through another collection's records: ask that one."""
        old = self.main
        fk = self.ix.colls[other].fks[old]
        link = self.links.pop(other)
        for f in link.get("where", []):
            self.add_filter(other, f)
        old_filters = self.filters.pop(old, [])
        if old_filters:
            self.links[old] = {"kind": "semi", "where": old_filters}
        self.filters.setdefault(other, [])
        if other in self.filters and old in self.links:
            pass
        self.main = other
        self.switched_from = old
        if count_distinct:
            self.aggs.append(Aggregate(fn="count_distinct", field=fk, alias=f"distinct_{fk}"))
        self.fk_group = fk
        if self.time_target == other:
            self.filters[other] = [
                f
                for f in self.filters[other]
                if not (
                    isinstance(f, Condition)
                    and f.field == self.resolved_time_field
                    and f.op in (">=", "<")
                )
            ]
            self.time_field = (
                self.resolved_time_field
                if self.resolved_time_field != self.ix.colls[other].time
                else None
            )
            self.time_target = other

    def _counted_other(self) -> str | None:
        for other, link in list(self.links.items()):
            if self.main in self.ix.colls[other].fks and link["kind"] == "semi":
                return other
        return None

    def _on(self, main: str, other: str) -> tuple[str, str] | None:
        a, b = self.ix.colls[main], self.ix.colls[other]
        if other in a.fks and b.key:
            return (a.fks[other], b.key)
        if main in b.fks and a.key:
            return (a.key, b.fks[main])
        raise NotUnderstoodError(
            f"I do not know how {main} and {other} are linked",
            hint=f"neither has a field holding the other's key (like {b.noun}_id)",
        )
