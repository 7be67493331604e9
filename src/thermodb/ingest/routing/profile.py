"""A collection's learned signature: which fields its records have and what their values look like.

The signature is stored in ``Collection.signature`` (persisted with the catalog) as a flat
``dict[str, int]`` of counters, so it stays JSON and is cheap to update on every record:

* ``#``                       records learned;
* ``f|<canon>``               records that had the (canonical) field;
* ``s|<canon>|<shape>``       values of that field with that shape (see :mod:`.shapes`);
* ``m|<canon>|<decade>``      numeric values of that field in that decade;
* ``o|<canon>``               records whose own id was that field.

Its size is bounded (:data:`MAX_KEYS`): the rarest shape and magnitude counters go first,
and counts halve once a collection has seen :data:`DECAY_AT` records, so old habits fade.
A collection filled by a named ingest (``--collection``) has statistics in its schema but
no learned signature; :func:`bootstrap` seeds one from the schema's fields and examples.
:class:`ProfileView` is the read-only, parsed form the scorer uses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from thermodb.catalog.model import Collection
from thermodb.catalog.types import FieldType
from thermodb.ingest.routing.lexicon import FieldName, field_name
from thermodb.ingest.routing.shapes import NEUTRAL, RecordField, compatibility, magnitude, shape

if TYPE_CHECKING:
    from thermodb.ingest.routing.score import Fit

__all__ = ["DECAY_AT", "MAX_KEYS", "FieldProfile", "ProfileView", "bootstrap", "needs_bootstrap"]

MAX_KEYS = 600
RARE = 0.05
"""Collection fields rarer than this are not expected of a record."""
SOFT_MIN_FREQ = 0.15
"""Collection fields rarer than this do not pair with renamed record fields."""
TYPICAL = 0.5
"""Fields at least this common are named when a record lacks them."""
DECAY_AT = 1 << 20
_TYPE_SHAPES = {
    FieldType.BOOL: "bool",
    FieldType.INT: "int",
    FieldType.FLOAT: "float",
    FieldType.TEXT: "word",
    FieldType.TIMESTAMP: "time",
    FieldType.JSON: "object",
}


@dataclass
class FieldProfile:
    """One canonical field of a collection as the scorer sees it."""

    name: FieldName
    freq: float
    """Share of the collection's records that have the field (0..1)."""
    shapes: Counter[str] = field(default_factory=Counter)
    magnitudes: Counter[int] = field(default_factory=Counter)
    _agreements: dict[tuple[str, int | None], float] = field(default_factory=dict, repr=False)
    _pairs: dict[tuple[str, str, int | None], float] = field(default_factory=dict, repr=False)

    def pair_credit(
        self, rf: RecordField, credit: Callable[[RecordField, FieldProfile], float]
    ) -> float:
        """``credit(rf, self)``, memoised per record field name, shape and magnitude."""
        key = (rf.name.canon, rf.shape, rf.decade)
        known = self._pairs.get(key)
        if known is None:
            known = self._pairs[key] = credit(rf, self)
        return known

    def shape_agreement(self, shape_: str, decade: int | None) -> float:
        """How well one value's shape (and magnitude) fits this field's values (0..1).

        Memoised: a view is never changed after it is parsed.
        """
        key = (shape_, decade)
        known = self._agreements.get(key)
        if known is None:
            known = self._agreements[key] = self._agreement(shape_, decade)
        return known

    def _agreement(self, shape_: str, decade: int | None) -> float:
        if shape_ in NEUTRAL:
            return 1.0
        informative = [(s, n) for s, n in self.shapes.items() if s not in NEUTRAL]
        total = sum(n for _, n in informative)
        if not total:
            return 1.0
        score = sum(n * compatibility(shape_, s) for s, n in informative) / total
        if decade is not None and self.magnitudes:
            near = sum(n for d, n in self.magnitudes.items() if abs(d - decade) <= 1)
            score *= 0.5 + 0.5 * near / sum(self.magnitudes.values())
        return score

    @cached_property
    def dominant(self) -> str | None:
        """The most common informative shape, if most values have it."""
        informative = [(n, s) for s, n in self.shapes.items() if s not in NEUTRAL]
        if not informative:
            return None
        n, s = max(informative)
        return s if n >= 0.8 * sum(c for c, _ in informative) else None


@dataclass
class ProfileView:
    """A parsed signature: records learned and the profile of each canonical field."""

    records: int
    fields: dict[str, FieldProfile]
    own_id: str | None = None
    """The field most records had as their own id, if most had one."""
    name: str = ""
    """The collection's name (set by the router)."""
    fits: dict[Hashable, Fit] = field(default_factory=dict, repr=False)
    """Scores of records against this view, kept by the router (a view never changes)."""

    @cached_property
    def usual(self) -> list[FieldProfile]:
        """Fields a record of this collection is expected to have (not rare ones)."""
        return [fp for fp in self.fields.values() if fp.freq >= RARE]

    @cached_property
    def expected(self) -> float:
        """The weight of a record that has every usual field."""
        return sum(fp.name.weight * fp.freq for fp in self.usual) or 1.0

    @cached_property
    def soft(self) -> list[FieldProfile]:
        """Fields common enough to pair with a renamed record field."""
        return [fp for fp in self.fields.values() if fp.freq >= SOFT_MIN_FREQ]

    @cached_property
    def typical(self) -> list[FieldProfile]:
        """Fields most records have, commonest first."""
        return sorted((fp for fp in self.usual if fp.freq >= TYPICAL), key=lambda fp: -fp.freq)

    @classmethod
    def parse(cls, signature: dict[str, int]) -> ProfileView:
        n = max(signature.get("#", 0), 1)
        fields: dict[str, FieldProfile] = {}
        for key, count in signature.items():
            kind, _, rest = key.partition("|")
            if kind == "f":
                fields[rest] = FieldProfile(field_name(rest), min(1.0, count / n))
        for key, count in signature.items():
            kind, _, rest = key.partition("|")
            if kind in ("s", "m"):
                canon, _, value = rest.rpartition("|")
                fp = fields.get(canon)
                if fp is None:
                    continue
                if kind == "s":
                    fp.shapes[value] += count
                else:
                    fp.magnitudes[int(value)] += count
        owners = [(count, key[2:]) for key, count in signature.items() if key[:2] == "o|"]
        top = max(owners, default=None)
        own_id = top[1] if top is not None and top[0] * 2 >= n else None
        return cls(signature.get("#", 0), fields, own_id)


def needs_bootstrap(collection: Collection) -> bool:
    """Whether the schema knows of many more records than the learned signature does."""
    return collection.records > 0 and 2 * collection.signature.get("#", 0) < collection.records


def bootstrap(collection: Collection) -> dict[str, int]:
    """A signature seeded from the schema's statistics (for collections filled by name).

    Field frequencies come from each top-level field's present and null counts; shapes and
    magnitudes from its examples (or, without examples, from its type), scaled to its count.
    """
    n = max(collection.records, 1)
    sig: dict[str, int] = {"#": n}
    if collection.key_field:
        sig[f"o|{field_name(collection.key_field).canon}"] = n
    for f in collection.top_fields():
        fname = field_name(f.path)
        seen = min(n, f.present + f.nulls)
        if not seen:
            continue
        fkey = f"f|{fname.canon}"
        sig[fkey] = max(sig.get(fkey, 0), seen)
        shapes: Counter[str] = Counter()
        decades: Counter[int] = Counter()
        for example in f.examples:
            shapes[shape(example, fname)] += 1
            if (d := magnitude(example)) is not None:
                decades[d] += 1
        if not shapes:
            shapes[_TYPE_SHAPES[f.type]] += 1
        scale = max(f.present, 1) / sum(shapes.values())
        for s, c in shapes.items():
            sig[f"s|{fname.canon}|{s}"] = max(1, round(c * scale))
        if decades:
            dscale = max(f.present, 1) / sum(decades.values())
            for d, c in decades.items():
                sig[f"m|{fname.canon}|{d}"] = max(1, round(c * dscale))
    prune(sig)
    return sig


def prune(signature: dict[str, int]) -> None:
    """Keep a signature under :data:`MAX_KEYS` keys and its counts under :data:`DECAY_AT`."""
    if signature.get("#", 0) >= DECAY_AT:
        for key in list(signature):
            signature[key] //= 2
            if signature[key] <= 0 and key != "#":
                del signature[key]
    if len(signature) <= MAX_KEYS:
        return
    # Shapes and magnitudes first, rarest first; then the rarest fields and their detail.
    detail = sorted(
        (k for k in signature if k[:2] in ("s|", "m|", "o|")), key=signature.__getitem__
    )
    for key in detail[: len(signature) - MAX_KEYS]:
        del signature[key]
    if len(signature) > MAX_KEYS:
        rare = sorted((k for k in signature if k[:2] == "f|"), key=signature.__getitem__)
        for key in rare[: len(signature) - MAX_KEYS]:
            canon = key[2:]
            for k in [k for k in signature if k.startswith((f"s|{canon}|", f"m|{canon}|"))]:
                del signature[k]
            del signature[key]
