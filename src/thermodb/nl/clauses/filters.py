"""Filters that are not comparisons: text search ("mention 'x'"), null and existence
checks ("with no phone", "that have an ended_at"), categorical values and boolean adjectives
("premium users", "inactive").
"""

from __future__ import annotations

from typing import Any

from thermodb.catalog.types import FieldType
from thermodb.errors import NotUnderstoodError
from thermodb.nl.clauses.links import LinkClauses
from thermodb.nl.linking import Mention
from thermodb.nl.words import (
    NULL_WORDS,
    TEXT_VERBS,
)
from thermodb.query.spec import (
    Condition,
)

__all__ = ["FilterClauses"]


class FilterClauses(LinkClauses):
    """Filter clauses of :class:`~thermodb.nl.builder.SpecBuilder`."""

    def _text_search(self) -> None:
        toks = self.r.tokens
        for i, t in enumerate(toks):
            if not t.literal or t.used:
                continue
            j = i - 1
            while j >= 0 and self.w(j) in (
                "the",
                "word",
                "words",
                "phrase",
                "string",
                "text",
                "term",
            ):
                j -= 1
            verb = j if self.w(j) in TEXT_VERBS else None
            target = self.main
            path: str | None = None
            before = self.prev_mention(verb if verb is not None else i, ("field",), span=3)
            if before and before.hit and before.hit.path:
                fi = self.ix.colls[before.hit.collection].fields[before.hit.path]
                if fi.type is FieldType.TEXT:
                    path, target = before.hit.path, before.hit.collection
                    for k in range(before.first, before.last):
                        self.r.tokens[k].used = "field-used"
            if path is None:
                path = self.ix.text_field(target)
            if path is None:
                raise NotUnderstoodError(
                    f"{self.main} has no text field to search for {t.raw!r}",
                    hint=f'name the field to search: "{self.main} whose <field> contains '
                    f"'{t.raw}'\"",
                )
            t.used = "text"
            if verb is not None:
                for k in range(verb, i):
                    self.use(k, "text")
            self.add_filter(target, Condition(field=path, op="contains", value=t.raw))

    def _null_checks(self) -> None:
        for m in self.r.mentions:
            h = m.hit
            if h is None or h.kind not in ("field", "coll", "bool"):
                continue
            j = m.first - 1
            while j >= 0 and self.w(j) in ("a", "an", "any", "the", "their"):
                j -= 1
            neg = self.w(j)
            after = self.w(m.last)
            after2 = self.w(m.last + 1)
            missing_after = (
                after in NULL_WORDS
                or (after in ("is", "are") and after2 in NULL_WORDS)
                or (after in ("is", "are") and after2 == "not" and self.w(m.last + 2) == "set")
            )
            is_neg = (
                neg in ("no", "without", "missing", "lacking") and not self.used(j)
            ) or missing_after
            if (
                h.kind == "field"
                and h.path is not None
                and neg in ("never", "yet")
                and not self.used(j)
                and h.collection == self.main
                and not self._collection_follows(m)
                and self.ix.colls[h.collection].fields[h.path].type is FieldType.TIMESTAMP
            ):
                # "visits that never checked in", "not yet shipped": the time is not set
                is_neg = True
                if neg == "yet" and self.w(j - 1) == "not":
                    self.use(j - 1, "null")
            if h.kind == "bool" and not (
                missing_after or (neg in ("missing", "lacking") and not self.used(j))
            ):
                continue  # "not verified" is the value false; "missing verified" is null
            if h.kind == "coll":
                if (
                    h.collection != self.main
                    and neg in ("no", "without", "never")
                    and not self.used(j)
                ):
                    self.use(j, "neg")
                    self._link(h.collection, anti=True)
                elif h.collection != self.main and self._never_before(m):
                    self._link(h.collection, anti=True)
                continue
            if not is_neg or h.path is None:
                continue
            if after in ("is", "are") or missing_after:
                for k in range(m.last, m.last + 4):
                    if self.w(k) in NULL_WORDS or self.w(k) in ("is", "are", "not", "set"):
                        self.use(k, "null")
                    else:
                        break
            if not missing_after:
                self.use(j, "null")
            fi = self.ix.colls[h.collection].fields[h.path]
            op = (
                "is_null"
                if fi.type in (FieldType.TIMESTAMP, FieldType.INT, FieldType.FLOAT, FieldType.BOOL)
                else "is_empty"
            )
            for k in range(m.first, m.last):
                self.r.tokens[k].used = "field-used"
            self.add_filter(h.collection, Condition(field=h.path, op=op))
        # existence: "sessions that have an ended_at", "with a phone"
        for m in self.r.mentions:
            h = m.hit
            if (
                h is None
                or h.kind != "field"
                or h.path is None
                or self.r.tokens[m.first].used != "mention"
            ):
                continue
            ftype = self.ix.colls[h.collection].fields[h.path].type
            if h.score < 2.4 or (ftype is FieldType.TIMESTAMP and h.score < 3):
                continue
            j = m.first - 1
            while j >= 0 and self.w(j) in ("a", "an", "any", "the", "their", "some"):
                j -= 1
            if (
                (
                    self.w(j) in ("have", "has", "having", "with")
                    and self.w(m.last)
                    not in (
                        "of",
                        "is",
                        "above",
                        "over",
                        "more",
                        "less",
                        "at",
                        "contain",
                        "containing",
                        "that",
                        "which",
                        "=",
                    )
                    and not (
                        m.last < len(self.r.tokens)
                        and self.r.tokens[m.last].used in ("cmp", "text")
                    )
                )
                and self.mention_at(m.last) is None
                and not self._group_word_before(m.first)
            ):
                fi = self.ix.colls[h.collection].fields[h.path]
                op = (
                    "not_null"
                    if fi.type
                    in (FieldType.TIMESTAMP, FieldType.INT, FieldType.FLOAT, FieldType.BOOL)
                    else "not_empty"
                )
                self.use(j, "exists")
                for k in range(m.first, m.last):
                    self.r.tokens[k].used = "field-used"
                self.add_filter(h.collection, Condition(field=h.path, op=op))

    def _group_word_before(self, i: int) -> bool:
        return self.w(i - 1) in ("per", "by", "each")

    def _collection_follows(self, m: Mention) -> bool:
        """ "never started a session": the verb is of another collection's records."""
        j = m.last
        while self.w(j) in ("a", "an", "any", "the", "one"):
            j += 1
        nxt = self.mention_at(j)
        return nxt is not None and nxt.hit is not None and nxt.hit.kind == "coll"

    def _never_before(self, m: Mention) -> bool:
        for j in range(max(0, m.first - 5), m.first):
            if self.w(j) == "never" and not self.used(j):
                self.use(j, "neg")
                return True
            if (
                self.w(j) == "not"
                and not self.used(j)
                and self.w(j - 1) in ("have", "has", "did", "do", "does")
            ):
                self.use(j, "neg")
                return True
        return False

    def _values_and_bools(self) -> None:
        by_field: dict[tuple[str, str], list[tuple[Any, bool]]] = {}
        for m in self.r.mentions:
            h = m.hit
            if (
                h is None
                or h.kind not in ("value", "bool", "unset")
                or self.r.tokens[m.first].used != "mention"
                or self._names_event_time(m)
            ):
                continue
            neg = self.negated(m)
            if h.kind == "unset":
                fi = self.ix.colls[h.collection].fields[h.path or ""]
                op = "is_empty" if fi.type is FieldType.TEXT else "is_null"
                if neg:
                    op = "not_empty" if fi.type is FieldType.TEXT else "not_null"
                self.add_filter(h.collection, Condition(field=h.path or "", op=op))
            elif h.kind == "bool":
                value = bool(h.value) != neg
                if self._bool_is_activity(h, m):
                    self.activity = True
                self.add_filter(h.collection, Condition(field=h.path or "", op="=", value=value))
            else:
                by_field.setdefault((h.collection, h.path or ""), []).append((h.value, neg))
            for k in range(m.first, m.last):
                self.r.tokens[k].used = "value"
        for (coll, path), vals in by_field.items():
            pos = list(dict.fromkeys(v for v, n in vals if not n))
            negs = list(dict.fromkeys(v for v, n in vals if n))
            if len(pos) == 1:
                self.add_filter(coll, Condition(field=path, op="=", value=pos[0]))
            elif pos:
                self.add_filter(coll, Condition(field=path, op="in", value=pos))
            if len(negs) == 1:
                self.add_filter(coll, Condition(field=path, op="!=", value=negs[0]))
            elif negs:
                self.add_filter(coll, Condition(field=path, op="not_in", value=negs))

    def _names_event_time(self, m: Mention) -> bool:
        """ "tickets closed yesterday", "invoices paid since May 1": with a time phrase, a
        word that is both a status value and the verb of a time field (closed_at) names the
        time, not the status (solved tickets were closed too)."""
        if self.r.time is None or m.last - m.first != 1 or m.hit is None or m.hit.kind != "value":
            return False
        coll = m.hit.collection
        if coll != self.main:
            return False
        f = self.ix.time_field_for_verb(coll, self.w(m.first))
        return f is not None and f != self.ix.colls[coll].time

    def _bool_is_activity(self, h: Any, m: Mention) -> bool:
        fi = self.ix.colls[h.collection].fields[h.path]
        return "active" in fi.head and h.collection == self.main
