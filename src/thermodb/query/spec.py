"""`QuerySpec`: the one typed query plan every interface produces and the planner runs.

JSON round-trips exactly (``QuerySpec.model_validate_json(spec.model_dump_json())``).
Field names may be dotted paths into nested JSON (``settings.theme``), the alias of an
aggregate (in ``having`` and ``order``), or ``alias.field`` for a field of a linked
collection (``lookup`` links).

Example — "top 5 rooms by messages last week"::

    {"collection": "messages",
     "time": {"start": "2026-03-09T00:00:00Z", "end": "2026-03-16T00:00:00Z"},
     "group_by": [{"field": "room"}],
     "aggregates": [{"fn": "count", "alias": "messages"}],
     "order": [{"field": "messages", "desc": true}], "limit": 5}
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "Aggregate",
    "AggregateFn",
    "And",
    "Bucket",
    "Condition",
    "Filter",
    "GroupKey",
    "Link",
    "Not",
    "Op",
    "Or",
    "OrderKey",
    "QuerySpec",
    "TimeRange",
]

Op = Literal[
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "in",
    "not_in",
    "contains",
    "starts_with",
    "is_null",
    "not_null",
    "between",
    "is_empty",
    "not_empty",
]
Bucket = Literal["minute", "hour", "day", "week", "month", "year"]
AggregateFn = Literal["count", "count_distinct", "sum", "avg", "min", "max", "percentile"]

MAX_LIMIT = 2**53
"""Bounds of limit and offset: any real row count, and still a 64-bit integer for SQL."""

_NO_VALUE: frozenset[str] = frozenset({"is_null", "not_null", "is_empty", "not_empty"})
_LIST_VALUE: frozenset[str] = frozenset({"in", "not_in"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """``field op value``. ``contains`` and ``starts_with`` are case-insensitive;
    ``is_null`` also matches a missing field; ``is_empty`` matches null, missing, an empty
    string and an empty list or object ("X without a Y"), ``not_empty`` the rest; text
    ``=`` compares exactly (the NL engine resolves case before it builds a spec). A missing
    value fails every comparison except ``!=``, ``not_in``, ``is_null`` and ``is_empty``."""

    field: str = Field(min_length=1, max_length=300)
    op: Op
    value: Any = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> Condition:
        if self.op in _NO_VALUE:
            if self.value is not None:
                raise ValueError(f"operator {self.op} takes no value")
        elif self.op in _LIST_VALUE:
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(f"operator {self.op} needs a non-empty list of values")
        elif self.op == "between":
            if not isinstance(self.value, list) or len(self.value) != 2:
                raise ValueError("operator between needs [low, high] (inclusive)")
        elif self.value is None:
            raise ValueError(f"operator {self.op} needs a value (use is_null for nulls)")
        elif isinstance(self.value, dict | list):
            raise ValueError(f"operator {self.op} compares with one scalar value")
        return self


class And(_Strict):
    and_: list[Filter] = Field(alias="and", min_length=1)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Or(_Strict):
    or_: list[Filter] = Field(alias="or", min_length=1)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Not(_Strict):
    not_: Filter = Field(alias="not")
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


Filter = Annotated[Union[Condition, And, Or, Not], Field(union_mode="smart")]  # noqa: UP007


class TimeRange(_Strict):
    """A half-open range [start, end) on the collection's time field or a named one."""

    field: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        for bound in (self.start, self.end):
            if bound is not None and bound.tzinfo is None:
                raise ValueError("time bounds need a time zone (use Z for UTC)")
        if self.start and self.end and self.start > self.end:
            raise ValueError("time range start is after its end")
        return self


class GroupKey(_Strict):
    """Group by a field's value, or by a calendar bucket of a time field (UTC; weeks start
    on Monday; a bucket is named by its start)."""

    field: str | None = None
    """None with a bucket means the collection's time field."""
    bucket: Bucket | None = None
    alias: str | None = None

    @model_validator(mode="after")
    def _something(self) -> GroupKey:
        if self.field is None and self.bucket is None:
            raise ValueError("a group key needs a field or a bucket")
        return self


class Aggregate(_Strict):
    fn: AggregateFn
    field: str | None = None
    """None only for count (count of records)."""
    q: float | None = Field(default=None, gt=0, lt=1)
    """The fraction for percentile (0.95 for p95): continuous, linear interpolation."""
    alias: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Aggregate:
        if self.fn != "count" and self.field is None:
            raise ValueError(f"aggregate {self.fn} needs a field")
        if (self.fn == "percentile") != (self.q is not None):
            raise ValueError("percentile needs q (and only percentile takes q)")
        return self

    @property
    def name(self) -> str:
        if self.alias:
            return self.alias
        if self.fn == "count" and self.field is None:
            return "count"
        if self.fn == "percentile":
            return f"p{round((self.q or 0) * 100):g}_{self.field}"
        return f"{self.fn}_{self.field}"


class OrderKey(_Strict):
    field: str
    desc: bool = False


class Link(_Strict):
    """Another collection joined through a key.

    * ``semi`` / ``anti``: keep records whose ``on[0]`` is (not) among the other's
      ``on[1]`` values where ``where`` holds ("messages from pro users").
    * ``lookup``: many-to-one; the other record's fields read as ``alias.field``
      ("average order value per customer country").
    * ``aggregate``: one-to-many; ``aggregate`` over the other's matching records is a
      value named ``alias`` ("users with more than 10 messages"); 0 when none match a count.

    ``on`` defaults to the field that holds the other's key (``user_id`` → ``users.id``) or
    the reverse.
    """

    collection: str
    kind: Literal["semi", "anti", "lookup", "aggregate"] = "semi"
    on: tuple[str, str] | None = None
    where: Filter | None = None
    aggregate: Aggregate | None = None
    alias: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Link:
        if (self.kind == "aggregate") != (self.aggregate is not None):
            raise ValueError("an aggregate link needs an aggregate (and only it takes one)")
        return self

    @property
    def name(self) -> str:
        if self.alias:
            return self.alias
        if self.kind == "aggregate" and self.aggregate is not None:
            return self.aggregate.alias or f"{self.collection}_{self.aggregate.fn}"
        return self.collection


class QuerySpec(_Strict):
    """A query over one collection (and linked ones): filter, group, aggregate, order."""

    collection: str
    where: Filter | None = None
    time: TimeRange | None = None
    links: list[Link] = Field(default_factory=list)
    group_by: list[GroupKey] = Field(default_factory=list)
    aggregates: list[Aggregate] = Field(default_factory=list)
    having: Filter | None = None
    select: list[str] | None = None
    """Fields to list (None: every field) when there is no aggregate."""
    distinct: bool = False
    """With ``select``: distinct combinations of the selected fields."""
    order: list[OrderKey] = Field(default_factory=list)
    limit: int | None = Field(default=None, ge=0, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0, le=MAX_LIMIT)

    @model_validator(mode="after")
    def _coherent(self) -> QuerySpec:
        if self.having is not None and not (self.aggregates or self.group_by):
            raise ValueError("having needs aggregates or group_by")
        if self.group_by and not self.aggregates and self.select:
            raise ValueError("with group_by, list aggregates instead of select")
        return self

    @property
    def is_aggregate(self) -> bool:
        return bool(self.aggregates or self.group_by)


for _model in (And, Or, Not):
    _model.model_rebuild()
