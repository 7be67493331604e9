"""Which time field a time phrase applies to (the collection's, one a verb names such as
"signed up", the activity time of "active X", or a linked collection's) and its range.
"""

from __future__ import annotations

from thermodb.errors import NotUnderstoodError
from thermodb.nl.clauses.links import LinkClauses
from thermodb.query.spec import (
    Condition,
    Filter,
)

__all__ = ["TimeClauses"]


class TimeClauses(LinkClauses):
    """Time clauses of :class:`~thermodb.nl.builder.SpecBuilder`."""

    def _time(self) -> None:
        tm = self.r.time
        info = self.ix.colls[self.main]
        field = self._verb_time_field(self.main)
        act_field = self.ix.activity_field(self.main)
        created = field in (None, act_field) and tm is not None and self._names_creation()
        if created:
            field = None
        if created and (self.activity or (act_field is not None and self.r.has("active"))):
            # "active users who signed up last week": the period is of the sign-up (the
            # record's own time); "active" is that the activity time is set
            act = self.ix.activity_field(self.main)
            if act is not None:
                self.add_filter(self.main, Condition(field=act, op="not_null"))
        if self.activity and tm is not None and field is None and not created:
            field = self.ix.activity_field(self.main)
        target = self.main
        if field is None and self.links and info.coll.kind == "entity" and tm is not None:
            for other in self.links:
                f2 = self._verb_time_field(other)
                if f2 is not None or self.links[other]["kind"] == "semi":
                    target, field = other, f2 or self.ix.colls[other].time
                    break
        if field is None:
            field = self.ix.colls[target].time
        self.time_field = field if target == self.main else None
        self.time_target = target
        self.resolved_time_field = field
        if tm is None:
            return
        if field is None:
            times = self.ix.time_fields(target)
            raise NotUnderstoodError(
                f"{target} has no time field for '{tm.text}'",
                hint=f"name the time field to use: {', '.join(times) or 'none exist'}",
            )
        if target != self.main:
            conds: list[Filter] = []
            if tm.start is not None:
                conds.append(Condition(field=field, op=">=", value=tm.start.isoformat()))
            if tm.end is not None:
                conds.append(Condition(field=field, op="<", value=tm.end.isoformat()))
            for cnd in conds:
                self.add_filter(target, cnd)

    def _names_creation(self) -> bool:
        """ "signed up", "joined", "registered": the creation of an entity record, whose
        time is the collection's own time field."""
        info = self.ix.colls[self.main]
        if info.coll.kind != "entity" or info.time is None:
            return False
        signup = self.ix.lexicon.synonyms("signup")
        words = self.r.words
        for i, w in enumerate(words):
            for form, span in ((f"{w}_{self.w(i + 1)}", 2), (w, 1)):
                if form in signup:
                    for k in range(i, i + span):
                        self.use(k, "time-verb")
                    return True
        return False

    def _verb_time_field(self, coll: str) -> str | None:
        default = self.ix.colls[coll].time
        words = self.r.words
        for i, w in enumerate(words):
            for form in (f"{w}_{self.w(i + 1)}", w):
                f = self.ix.time_field_for_verb(coll, form)
                if f is not None:
                    if f == default:
                        return None
                    mention = self.mention_at(i)
                    if (
                        mention is None
                        or mention.hit is None
                        or mention.hit.path == f
                        or (mention.hit.kind == "value" and self.r.time is not None)
                    ):
                        self.use(i, "time-verb")
                        return f
        return None
