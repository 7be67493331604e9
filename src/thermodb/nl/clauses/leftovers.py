"""The last pass: words no clause read. Fuzzy matches and unread words lower the
confidence; an unread value-like word, number or time word refuses the question with the
closest names, rather than answering a different question.
"""

from __future__ import annotations

from thermodb.errors import NotUnderstoodError
from thermodb.nl.clauses.base import TIME_OPERATORS
from thermodb.nl.clauses.links import LinkClauses
from thermodb.nl.linking import suggest
from thermodb.nl.timeexpr import TIME_WORDS
from thermodb.nl.words import (
    BUCKETS,
    COUNT_WORDS,
    FILLER,
    LATEST_WORDS,
    NEG_WORDS,
    ORDER_WORDS,
    TEXT_VERBS,
)

__all__ = ["LeftoverClauses"]


class LeftoverClauses(LinkClauses):
    """Leftover clauses of :class:`~thermodb.nl.builder.SpecBuilder`."""

    def _check_leftovers(self) -> None:
        for m in self.r.mentions:
            h = m.hit
            if h is None:
                continue
            if (
                h.kind == "coll"
                and h.collection not in (self.main, self.switched_from)
                and h.collection not in self.links
                and self.r.tokens[m.first].used == "mention"
            ):
                self._link(h.collection)
            if m.fuzzy:
                self.r.penalty += 0.1
                self.r.notes.append(f"read '{m.text}' as '{h.path or h.collection}'")
            if self.r.tokens[m.first].used == "mention" and h.kind == "field":
                self.r.penalty += 0.05
        for coll in list(self.filters):
            if coll != self.main and coll not in self.links:
                self._link(coll)
        for i, t in enumerate(self.r.tokens):
            if t.used is not None:
                continue
            if t.literal:
                raise NotUnderstoodError(
                    f"I did not understand what to do with {t.raw!r}",
                    hint="say 'that mention ...' or 'that contain ...'",
                )
            if t.text in TIME_WORDS or t.text in TIME_OPERATORS:
                raise NotUnderstoodError(
                    f"I could not read the time phrase around '{t.text}'",
                    hint="try 'last week', 'in the past 7 days', 'since March 10', 'on 2026-03-05'",
                )
            if t.number is not None:
                raise NotUnderstoodError(
                    f"I did not understand the number '{t.raw}' here",
                    hint="say 'more than N', 'at least N', 'top N'",
                )
            if (
                t.text in FILLER
                or t.text in NEG_WORDS
                or t.text in COUNT_WORDS
                or t.text in ORDER_WORDS
                or t.text in LATEST_WORDS
                or t.text in BUCKETS
                or t.text in TEXT_VERBS
            ):
                continue
            close = suggest(t.text, self.ix, self.main)
            tm = self.r.time
            if (
                tm is not None
                and i == tm.first - 1
                and t.text.endswith("ed")
                and not self.ix.lexicon.known(t.text)
            ):
                # "customers churned last week": the verb says which time the period is of
                times = ", ".join(self.ix.time_fields(self.time_target or self.main))
                raise NotUnderstoodError(
                    f"I do not know which time of {self.time_target or self.main} "
                    f"'{t.text} {tm.text}' is about",
                    hint=f"name the time field: {times or 'there is none'}",
                )
            prev = self.w(i - 1)
            if (
                prev in ("was", "were", "is", "are", "been", "be", "get", "got")
                and t.text.endswith("ed")
                and not self.ix.lexicon.known(t.text)
                and self.w(i + 1) in ("", "by", "and", "or")
            ):
                # "orders that were returned (by ...)": a state this data does not record
                raise NotUnderstoodError(
                    f"I do not know which field or value of {self.main} says '{prev} {t.text}'",
                    hint=f"closest in {self.main}: {', '.join(close)}"
                    if close
                    else "name the field and value",
                )
            self.r.penalty += 0.25
            nxt_m = self.mention_at(i + 1)
            value_slot = prev in ("from", "in", "on", "with", "for") or (
                nxt_m is not None and nxt_m.hit is not None and nxt_m.hit.kind in ("coll", "value")
            )
            if value_slot or self.r.penalty >= 0.5:
                raise NotUnderstoodError(
                    f"I did not understand '{t.text}' (no collection, field or value of that name)",
                    hint=f"closest in {self.main}: {', '.join(close)}"
                    if close
                    else "check the spelling",
                )
            self.r.notes.append(f"ignored '{t.text}'")
