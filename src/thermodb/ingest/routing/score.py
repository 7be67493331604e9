"""The routing score: how well one record fits one collection's profile, and why.

The score is an F1 of two coverages, each weighted by how telling a field name is:

* *record coverage*: the share of the record's fields that the collection knows (by
  canonical name), each discounted when the collection rarely has the field or when the
  value's shape disagrees with the collection's values;
* *collection coverage*: the share of the collection's usual fields (weighted by how
  often its records have them) that the record has, so missing optional fields cost little.

A record field with no canonical match may still pair with an unmatched collection field,
for part of the credit: one of the same role (two time fields, two references), a like
name (``temp`` ~ ``temperature``, ``rule`` ~ ``alert_rule``), the same distinctive value
shape (both hold e-mail addresses, IPs, URLs...) or numbers of the same type and magnitude.
A time pairs only with a time, a reference only with a reference of a like name or the
same id prefix. Finally the record's own id speaks (see :func:`_id_evidence`): an id with
the collection's prefix (``msg_``) lifts the score halfway to 1, an id with another prefix
halves it, an own id of another name (``comment_id`` against ``post_id``) costs 40%.
See ``docs/routing.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from thermodb.catalog.naming import singular
from thermodb.ingest.routing.lexicon import FieldName
from thermodb.ingest.routing.profile import SOFT_MIN_FREQ, FieldProfile, ProfileView
from thermodb.ingest.routing.shapes import RecordField

__all__ = ["Fit", "RecordField", "score"]

CONCEPT_CREDIT = 0.6
SHAPE_CREDIT = 0.5
NAME_CREDIT = 0.7
NUMBER_CREDIT = 0.3
OWN_ID_PENALTY = 0.6
MAX_PAIRING = 64
"""Fields of a side considered for pairing: bounds the work on very wide records."""
_DISTINCTIVE = frozenset({"email", "ip", "url", "uuid", "phone", "time", "date"})
_NUMERIC = frozenset({"int", "float"})
_PLAIN_WORDS = frozenset({"id", "at"})


@dataclass
class Fit:
    """The score of one record against one collection, with what it rests on."""

    score: float
    record_coverage: float
    collection_coverage: float
    matched: int
    fields: int
    renamed: list[tuple[str, str]] = field(default_factory=list)
    """(record field, collection field) pairs that matched under another spelling."""
    shape_misfits: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """Usual fields of the collection the record lacks."""
    id_note: str = ""

    def explain(self) -> str:
        parts = [f"{self.matched}/{self.fields} fields match"]
        if self.renamed:
            shown = ", ".join(f"{a}~{b}" for a, b in self.renamed[:4])
            parts.append(f"as {shown}")
        if self.shape_misfits:
            parts.append(f"values differ in {', '.join(self.shape_misfits[:3])}")
        if self.missing:
            parts.append(f"lacks {', '.join(self.missing[:3])}")
        if self.id_note:
            parts.append(self.id_note)
        return "; ".join(parts)


def score(record: Sequence[RecordField], view: ProfileView) -> Fit:
    """Score a record (its fields, canonical names unique) against a collection's profile."""
    known = view.fields
    credit: dict[str, float] = {}
    renamed: list[tuple[str, str]] = []
    misfits: list[str] = []
    unmatched: list[RecordField] = []
    for rf in record:
        fp = known.get(rf.name.canon)
        if fp is None or fp.freq <= 0:
            unmatched.append(rf)
            continue
        agreement = fp.shape_agreement(rf.shape, rf.decade)
        if agreement < 0.5:
            misfits.append(rf.name.raw)
        credit[rf.name.canon] = min(1.0, 0.5 + fp.freq) * (0.4 + 0.6 * agreement)
        if rf.name.plain != rf.name.canon:
            renamed.append((rf.name.raw, rf.name.canon))
    paired = _pair_soft(unmatched, view.soft, credit)
    for rf, fp, c in paired:
        credit[fp.name.canon] = c
        renamed.append((rf.name.raw, fp.name.canon))
    record_credit = {rf.name.canon: credit.get(rf.name.canon, 0.0) for rf in record}
    for rf, _fp, c in paired:
        record_credit[rf.name.canon] = c
    weight = sum(rf.name.weight for rf in record) or 1.0
    p = sum(rf.name.weight * record_credit[rf.name.canon] for rf in record) / weight
    r = sum(fp.name.weight * fp.freq * credit.get(fp.name.canon, 0.0) for fp in view.usual)
    r /= view.expected
    f1 = 0.0 if p + r == 0 else 2 * p * r / (p + r)
    fit = Fit(
        score=f1,
        record_coverage=p,
        collection_coverage=r,
        matched=sum(1 for v in record_credit.values() if v > 0),
        fields=len(record),
        renamed=renamed,
        shape_misfits=misfits,
        missing=[fp.name.canon for fp in view.typical if fp.name.canon not in credit],
    )
    _id_evidence(record, view, fit)
    return fit


def _pair_soft(
    unmatched: list[RecordField], soft: list[FieldProfile], taken: dict[str, float]
) -> list[tuple[RecordField, FieldProfile, float]]:
    """Pair renamed fields by role or distinctive shape, best pairs first, each field once."""
    if not unmatched:
        return []
    free = [fp for fp in soft if fp.name.canon not in taken][:MAX_PAIRING]
    options: list[tuple[float, int, int]] = []
    for i, rf in enumerate(unmatched[:MAX_PAIRING]):
        for j, fp in enumerate(free):
            credit = fp.pair_credit(rf, _soft_credit)
            if credit > 0.2:
                options.append((credit, i, j))
    pairs: list[tuple[RecordField, FieldProfile, float]] = []
    used_r: set[int] = set()
    used_c: set[int] = set()
    for credit, i, j in sorted(options, reverse=True):
        if i in used_r or j in used_c:
            continue
        used_r.add(i)
        used_c.add(j)
        pairs.append((unmatched[i], free[j], credit))
    return pairs


def _soft_credit(rf: RecordField, fp: FieldProfile) -> float:
    """The credit of pairing a record field with a collection field of another name."""
    concepts = rf.name.concept or fp.name.concept
    if concepts and rf.name.concept != fp.name.concept:
        return 0.0  # a reference never pairs with a plain field, nor a time
    agreement = fp.shape_agreement(rf.shape, rf.decade)
    credit = NAME_CREDIT * _name_likeness(rf.name, fp.name) * agreement
    if rf.name.concept == "time":
        credit = max(credit, CONCEPT_CREDIT * agreement)
    elif rf.name.concept is not None:
        # References pair by name or by a shared id prefix only: a post_id is no user_id.
        if rf.shape.startswith("pid:") and fp.dominant == rf.shape:
            credit = max(credit, CONCEPT_CREDIT)
    elif rf.shape in _DISTINCTIVE and fp.dominant == rf.shape:
        credit = max(credit, SHAPE_CREDIT)
    elif rf.shape in _NUMERIC and fp.dominant == rf.shape:
        credit = max(credit, NUMBER_CREDIT * agreement)
    return credit * min(1.0, 0.5 + fp.freq)


def _name_likeness(a: FieldName, b: FieldName) -> float:
    return _likeness(a.canon, b.canon)


@lru_cache(maxsize=16384)
def _likeness(a: str, b: str) -> float:
    """How alike two names the lexicon does not equate are (``temp`` ~ ``temperature``).

    1 when one's words contain the other's (``rule`` ~ ``alert_rule``), 0.8 when a word of
    one abbreviates a word of the other (at least 3 letters), else 0: sharing a word is not
    enough (``payment_status`` is not ``order_status``). ``id`` and ``at`` do not count.
    """
    wa = set(a.split("_")) - _PLAIN_WORDS
    wb = set(b.split("_")) - _PLAIN_WORDS
    if not wa or not wb:
        return 0.0
    if wa <= wb or wb <= wa:
        return 1.0
    for x in wa:
        for y in wb:
            short, long_ = (x, y) if len(x) <= len(y) else (y, x)
            if len(short) >= 3 and long_ != short and long_.startswith(short):
                return 0.8
    return 0.0


def _id_evidence(record: Sequence[RecordField], view: ProfileView, fit: Fit) -> None:
    """What the record's own id says about the collection.

    With word prefixes on both sides, the collection's prefix lifts the score halfway to 1
    and another prefix (``pay_`` against ``ORD-``) halves it. Otherwise the names of the own
    ids speak: a record whose own id (``comment_id``) the collection lacks, or that lacks the
    collection's own id (``post_id``), is another kind of thing (score × 0.6); so is one
    with a named own id (``comment_id``, not ``id``) that a collection without own ids
    (links such as likes) lacks. ``id`` and ``<collection>_id`` (``user_id`` in users) are
    the same own id.
    """
    own = next((rf for rf in record if rf.own), None)
    if own is None:
        return
    theirs = view.fields.get(own.name.canon)
    known_here = theirs is not None and theirs.freq >= SOFT_MIN_FREQ
    if view.own_id is None:
        if own.name.concept == "ref" and not known_here:
            fit.score *= OWN_ID_PENALTY
            fit.id_note = f"its own id {own.name.raw} is not a field of the collection"
        return
    fp = view.fields.get(view.own_id)
    dominant = fp.dominant if fp is not None else None
    if own.shape.startswith("pid:") and dominant is not None and dominant.startswith("pid:"):
        if dominant == own.shape:
            fit.score += (1.0 - fit.score) * 0.5
            fit.id_note = f"id prefix {own.shape[4:]} agrees"
        else:
            fit.score *= 0.5
            fit.id_note = f"id prefix {own.shape[4:]} is not the collection's {dominant[4:]}"
        return
    if _same_own_id(own.name.canon, view.own_id, view.name):
        return
    if not known_here or all(rf.name.canon != view.own_id for rf in record):
        fit.score *= OWN_ID_PENALTY
        fit.id_note = f"its own id {own.name.raw} is not the collection's {view.own_id}"


def _same_own_id(a: str, b: str, collection: str) -> bool:
    if a == b:
        return True
    own = {"id", f"{singular(collection)}_id"}
    return a in own and b in own
