"""State shared by the clause readers of :class:`~thermodb.nl.builder.SpecBuilder`, and the
token helpers they use (look around a position, mark tokens as read, find negations).

Every clause reader is a mixin over :class:`ClauseBase`: it reads one clause shape of
``nlq/CONVENTIONS.md`` from the reader's tokens and mentions into this state, and marks the
tokens it consumed so later clauses (and the leftover check) see what is still unread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from thermodb.nl.linking import Mention
from thermodb.nl.words import (
    FILLER,
)
from thermodb.query.spec import (
    Aggregate,
    And,
    Condition,
    Filter,
    GroupKey,
    OrderKey,
)

if TYPE_CHECKING:
    from thermodb.nl.reader import _Reader

__all__ = ["PARTICIPLE_BY", "SKIP", "TIME_OPERATORS", "ClauseBase", "and_all"]

TIME_OPERATORS = frozenset(
    {"last", "past", "previous", "next", "ago", "since", "before", "after", "until"}
)
SKIP = frozenset({"a", "an", "the", "any", "their", "its", "of", "set", "all", "been", "ever"})
PARTICIPLE_BY = frozenset({"sent", "written", "posted", "reported", "created", "made", "logged",
                            "recorded", "emitted", "started", "opened", "placed", "done", "used",
                            "raised", "generated", "owned", "submitted", "authored"})  # fmt: skip


class ClauseBase:
    """What the clauses found so far, and the reader whose tokens they mark."""

    def __init__(self, r: _Reader) -> None:
        self.r = r
        self.ix = r.index
        self.main = r.main
        self.filters: dict[str, list[Filter]] = {}
        self.links: dict[str, dict[str, Any]] = {}
        self.group: list[GroupKey] = []
        self.aggs: list[Aggregate] = []
        self.order: list[OrderKey] = []
        self.limit: int | None = None
        self.select: list[str] | None = None
        self.distinct = False
        self.time_field: str | None = None
        self.time_target: str | None = None
        self.agg_links: list[tuple[str, Aggregate, Condition]] = []
        self.rank_desc: bool | None = None
        self.latest: bool | None = None
        self.activity = False
        self.switched_from: str | None = None
        self.fk_group = ""
        self.resolved_time_field: str | None = None
        self._unit_dim: str | None = None
        self.scale: dict[str, tuple[float, str]] = {}
        """Aggregate alias → (factor, unit word): "in kilometres" on ``distance_m``."""

    def w(self, i: int) -> str:
        return self.r.w(i)

    def used(self, i: int) -> bool:
        return 0 <= i < len(self.r.tokens) and self.r.tokens[i].used is not None

    def use(self, i: int, what: str) -> None:
        self.r.use(i, what)

    def mention_at(self, i: int) -> Mention | None:
        for m in self.r.mentions:
            if m.first <= i < m.last:
                return m
        return None

    def next_mention(self, i: int, kinds: tuple[str, ...], span: int = 4) -> Mention | None:
        j = i
        while j < len(self.r.tokens) and j <= i + span:
            m = self.mention_at(j)
            if m is not None and m.hit is not None:
                return m if m.hit.kind in kinds else None
            if (
                (
                    self.w(j) not in SKIP
                    and self.w(j) not in ("number", "value", "values", "session", "message")
                    and self.r.tokens[j].used not in ("agg",)
                )
                and j > i
                and self.w(j) not in FILLER
            ):
                return None
            j += 1
        return None

    def prev_mention(self, i: int, kinds: tuple[str, ...], span: int = 4) -> Mention | None:
        j = i - 1
        while j >= 0 and j >= i - span:
            m = self.mention_at(j)
            if m is not None and m.hit is not None:
                return m if m.hit.kind in kinds else None
            j -= 1
        return None

    def add_filter(self, coll: str, f: Filter) -> None:
        self.filters.setdefault(coll, []).append(f)

    def negated(self, m: Mention) -> bool:
        j = m.first - 1
        while j >= 0 and j >= m.first - 4:
            w = self.w(j)
            if w in ("not", "non", "nor", "excluding", "except") and not self.used(j):
                self.use(j, "neg")
                return True
            if self.used(j) and self.r.tokens[j].used != "value-field":
                return False
            if w not in SKIP and w not in (
                "is",
                "are",
                "was",
                "were",
                "be",
                "been",
                "have",
                "has",
                "that",
                "who",
                "which",
                "do",
                "does",
                "did",
                "on",
                "in",
                "from",
            ):
                return False
            j -= 1
        return False


def and_all(conds: list[Filter]) -> Filter | None:
    """One filter for a list of conditions (None when empty)."""
    if not conds:
        return None
    if len(conds) == 1:
        return conds[0]
    return And(and_=conds)
