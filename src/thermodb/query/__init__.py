"""Queries: the typed QuerySpec, the planner that runs it, and read-only SQL."""

from thermodb.query.result import Result
from thermodb.query.spec import (
    Aggregate,
    And,
    Condition,
    GroupKey,
    Link,
    Not,
    Or,
    OrderKey,
    QuerySpec,
    TimeRange,
)

__all__ = [
    "Aggregate",
    "And",
    "Condition",
    "GroupKey",
    "Link",
    "Not",
    "Or",
    "OrderKey",
    "QuerySpec",
    "Result",
    "TimeRange",
]
