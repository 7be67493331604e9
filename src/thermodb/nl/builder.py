"""Turning the reader's marked tokens and linked mentions into one :class:`QuerySpec`.

The clause shapes of ``nlq/CONVENTIONS.md`` are read by mixins in :mod:`thermodb.nl.clauses`,
one module per topic (filters, comparisons, time, aggregates, ranking, grouping, links,
leftovers); this module runs them in order and assembles the spec. The order matters:
each clause marks the tokens it consumed, so later ones only see what is left.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from thermodb.catalog.types import FieldType
from thermodb.errors import NotUnderstoodError
from thermodb.nl.clauses.aggregates import AggregateClauses
from thermodb.nl.clauses.base import and_all
from thermodb.nl.clauses.comparisons import ComparisonClauses
from thermodb.nl.clauses.filters import FilterClauses
from thermodb.nl.clauses.grouping import GroupingClauses
from thermodb.nl.clauses.leftovers import LeftoverClauses
from thermodb.nl.clauses.states import StateClauses
from thermodb.nl.clauses.timing import TimeClauses
from thermodb.query.spec import (
    Aggregate,
    And,
    Condition,
    Filter,
    Link,
    QuerySpec,
    TimeRange,
)

if TYPE_CHECKING:
    from thermodb.nl.reader import Reading

__all__ = ["SpecBuilder"]


def _conditions(f: Filter | None) -> list[Filter]:
    if f is None:
        return []
    if isinstance(f, And):
        return [c for x in f.and_ for c in _conditions(x)]
    return [f]


class SpecBuilder(
    FilterClauses,
    ComparisonClauses,
    TimeClauses,
    AggregateClauses,
    GroupingClauses,
    StateClauses,
    LeftoverClauses,
):
    """Builds the spec of one read question (``SpecBuilder(reader).build()``)."""

    def build(self) -> Reading:
        from thermodb.nl.reader import Reading

        self._text_search()
        self._top_and_latest()
        self._null_checks()
        self._states()
        self._comparisons()
        self._exact_numbers()
        self._values_and_bools()
        self._collect_links()
        self._time()
        self._distinct_and_aggregates()
        self._grouping()
        self._finish_order()
        self._distinct_listing()
        self._output_units()
        self._check_leftovers()
        spec = self._spec()
        self._check_numeric_use(spec)
        confidence = max(0.0, min(1.0, 1.0 - self.r.penalty))
        parts = {
            "aggregates": list(self.aggs),
            "group_by": list(self.group),
            "order": list(self.order),
            "limit": self.limit,
            "time_field": spec.time.field if spec.time else None,
            "scale": dict(self.scale),
        }
        return Reading(spec, confidence, self.r.notes, self.r.time, self.time_field, parts)

    def _check_numeric_use(self, spec: QuerySpec) -> None:
        """A maximum, a sum, a ranking or a "more than" over a field stored as text would
        compare letters, not amounts ("'1,200' < '422'"): refused, naming the field."""
        info = self.ix.colls[spec.collection]

        def text(path: str | None) -> bool:
            fi = info.fields.get(path or "")
            return fi is not None and fi.type is FieldType.TEXT

        bad = [a.field for a in spec.aggregates if a.fn not in ("count", "count_distinct")]
        bad += [o.field for o in spec.order if spec.limit is not None]
        bad += [
            c.field
            for c in _conditions(spec.where)
            if isinstance(c, Condition) and c.op in ("<", "<=", ">", ">=", "between")
        ]
        for path in bad:
            if text(path):
                raise NotUnderstoodError(
                    f"'{path}' holds text, so its largest, smallest or total would compare "
                    "letters, not amounts",
                    hint=f"store {path} as numbers, or ask for a count",
                )

    def _spec(self) -> QuerySpec:
        main = self.main
        info = self.ix.colls[main]
        links: list[Link] = []
        where_extra: list[Filter] = []
        for other, entry in self.links.items():
            if entry["kind"] == "aggregate":
                continue
            conds = list(entry.get("where", [])) + self.filters.get(other, [])
            on = self._on(main, other)
            where: Filter | None = None
            if len(conds) == 1:
                where = conds[0]
            elif conds:
                where = And(and_=conds)
            links.append(Link(collection=other, kind=entry["kind"], on=on, where=where))
        for other, agg, cond in self.agg_links:
            links.append(
                Link(
                    collection=other,
                    kind="aggregate",
                    on=self._on(main, other),
                    aggregate=agg,
                    where=and_all(self.filters.get(other, [])),
                    alias=agg.alias,
                )
            )
            where_extra.append(cond)
        conds = self.filters.get(main, []) + where_extra
        time = None
        tm = self.r.time
        if tm is not None and self.time_target == main:
            tf = self.resolved_time_field
            time = TimeRange(field=tf if tf != info.time else None, start=tm.start, end=tm.end)
        group = self.group
        aggs = self.aggs
        select = self.select
        if not aggs and not group and select is None:
            key = info.key
            select = [p for p in (key,) if p] or None
            if select is not None:
                for f in conds:
                    if (
                        isinstance(f, Condition)
                        and f.field not in select
                        and f.field in info.fields
                        and "." not in f.field
                    ):
                        select.append(f.field)
        if group and not aggs:
            aggs = [Aggregate(fn="count", alias="count")]
        return QuerySpec(
            collection=main,
            where=and_all(conds),
            time=time,
            links=links,
            group_by=group,
            aggregates=aggs,
            select=None if (group or aggs) else select,
            distinct=self.distinct,
            order=self.order,
            limit=self.limit,
        )
