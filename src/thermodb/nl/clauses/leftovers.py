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

_FIELD_NOUNS = frozenset({"level", "levels", "reading", "readings", "score", "scores", "rating",
                          "ratings", "figure", "figures", "measurement", "measurements",
                          "value", "values", "amount", "amounts", "rate"})  # fmt: skip
_PREPOSITIONS = frozenset({"in", "from", "on", "at", "with", "to", "for", "by", "into", "via"})


class LeftoverClauses(LinkClauses):
    """Leftover clauses of :class:`~thermodb.nl.builder.SpecBuilder`."""

    def _agent_verb(self, i: int) -> bool:
        """A verb followed by "by" and a value the question filters on ("handled by Chen")."""
        if self.w(i + 1) != "by":
            return False
        m = self.mention_at(i + 2)
        after = self.mention_at(m.last) if m is not None else None
        return bool(
            m is not None
            and m.hit is not None
            and m.hit.kind == "value"
            and m.hit.collection == self.main
            and self.r.tokens[m.first].used not in (None, "mention")
            and (after is None or after.hit is None or after.hit.kind != "coll")
        )

    def _names_kind_of_field(self, i: int) -> bool:
        if self.r.tokens[i].text not in _FIELD_NOUNS:
            return False
        m = self.mention_at(i - 1)
        if m is None or m.hit is None or m.hit.kind != "field" or m.hit.path is None:
            return False
        fi = self.ix.colls[m.hit.collection].fields[m.hit.path]
        return fi.numeric and self.r.tokens[m.first].used != "mention"

    def _verb_of_used_word(self, i: int) -> bool:
        w = self.r.tokens[i].text
        if not w.endswith(("ed", "s")) and not self.ix.lexicon.known(w):
            return False
        tm = self.r.time
        if tm is not None and i == tm.first - 1 and self.ix.lexicon.known(w):
            return True
        nxt = self.r.tokens[i + 1].used if i + 1 < len(self.r.tokens) else None
        if nxt == "cmp" and (w.endswith("ed") or self.ix.lexicon.known(w.removesuffix("s"))):
            return True
        bases = {w[:-1], w[:-2], w[:-3]} if w.endswith("ed") else {w[:-1]}
        for m in self.r.mentions:
            if m.hit is None or m.hit.path is None:
                continue
            if self.r.tokens[m.first].used == "mention" or abs(m.first - i) > 4:
                continue
            words = set(self.ix.colls[m.hit.collection].fields[m.hit.path].words)
            if bases & words:
                return True
        return False

    def _connector_verb(self, i: int) -> bool:
        """An unread word between the records (or who/that/which) and a preposition that
        introduces a value the question filters on."""
        before = self.r.tokens[i - 1] if i > 0 else None
        if before is None:
            return False
        if self.r.tokens[i + 1 if i + 1 < len(self.r.tokens) else i].used in ("order", "rank"):
            # "which mechanic handled the most repairs": between the group and the ranking
            m = self.mention_at(i - 1)
            return bool(m is not None and m.hit is not None and m.hit.kind == "field")
        if self.w(i + 1) in ("the",) and self.w(i + 2) in ("most", "fewest", "least"):
            m = self.mention_at(i - 1)
            return bool(m is not None and m.hit is not None and m.hit.kind == "field")
        if self.w(i + 1) not in _PREPOSITIONS:
            return False
        subject = before.text in ("who", "that", "which", "do", "does", "did") or (
            (m := self.mention_at(i - 1)) is not None and m.hit is not None and m.hit.kind == "coll"
        )
        if not subject:
            return False
        j = i + 2
        while self.w(j) in ("a", "an", "the"):
            j += 1
        m = self.mention_at(j)
        return bool(
            m is not None
            and m.hit is not None
            and m.hit.kind in ("value", "coll")
            and self.r.tokens[m.first].used not in (None, "mention")
        )

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
        problems: list[NotUnderstoodError] = []
        for i, t in enumerate(self.r.tokens):
            if t.used is not None:
                continue
            if t.literal:
                problems.append(
                    NotUnderstoodError(
                        f"I did not understand what to do with {t.raw!r}",
                        hint="say 'that mention ...' or 'that contain ...'",
                    )
                )
                continue
            if t.text in TIME_WORDS or t.text in TIME_OPERATORS:
                problems.append(
                    NotUnderstoodError(
                        f"I could not read the time phrase around '{t.text}'",
                        hint="try 'last week', 'in the past 7 days', 'since March 10', "
                        "'on 2026-03-05'",
                    )
                )
                continue
            if t.number is not None:
                problems.append(
                    NotUnderstoodError(
                        f"I did not understand the number '{t.raw}' here",
                        hint="say 'more than N', 'at least N', 'top N'",
                    )
                )
                continue
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
                problems.append(
                    NotUnderstoodError(
                        f"I do not know which time of {self.time_target or self.main} "
                        f"'{t.text} {tm.text}' is about",
                        hint=f"name the time field: {times or 'there is none'}",
                    )
                )
                continue
            prev = self.w(i - 1)
            if self._agent_verb(i):
                # "repairs handled by Chen": the verb of a value that names who did it
                self.use(i, "verb")
                continue
            if (
                prev in ("was", "were", "is", "are", "been", "be", "get", "got")
                and t.text.endswith("ed")
                and not self.ix.lexicon.known(t.text)
                and self.w(i + 1) in ("", "by", "and", "or")
            ):
                # "orders that were returned (by ...)": a state this data does not record
                problems.append(
                    NotUnderstoodError(
                        f"I do not know which field or value of {self.main} says '{prev} {t.text}'",
                        hint=f"closest in {self.main}: {', '.join(close)}"
                        if close
                        else "name the field and value",
                    )
                )
                continue
            if self._names_kind_of_field(i):
                # "battery level", "satisfaction score": the value of the field just named
                self.use(i, "field-noun")
                continue
            if self._verb_of_used_word(i):
                # "opted in to marketing" (marketing_opt_in), "lasted longer than 2 minutes",
                # "joined last year": a verb whose meaning a clause has already read
                self.use(i, "verb")
                self.r.penalty += 0.05
                continue
            if self._connector_verb(i):
                # "riders who pay in euros", "pings that came from SC-7": a verb between the
                # records and a value it introduces, explained by that value
                self.use(i, "verb")
                self.r.penalty += 0.1
                self.r.notes.append(f"read '{t.text}' as joining words")
                continue
            problems.append(
                NotUnderstoodError(
                    f"I did not understand '{t.text}' (no collection, field or value of that name)",
                    hint=f"closest in {self.main}: {', '.join(close)}"
                    if close
                    else "check the spelling",
                )
            )
            continue
        if problems:
            # every word that was not understood, named at once
            first = problems[0]
            message = "; ".join(dict.fromkeys(p.message for p in problems))
            raise NotUnderstoodError(message, hint=first.hint)
