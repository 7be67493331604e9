"""Schema and value linking: what each word of a question can mean in this database.

Built only from what the catalog knows (collection names, field names split on ``_ . camelCase``,
field types, key and time fields, the categorical value index of each field) and the
general :mod:`lexicon <thermodb.nl.lexicon>`; nothing here knows any particular dataset.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from thermodb.catalog.model import Collection, Field
from thermodb.catalog.naming import plural, singular, split_words
from thermodb.catalog.types import FieldType
from thermodb.nl.lexicon import Lexicon, stem
from thermodb.nl.lexicon import root as word_root
from thermodb.nl.text import tokenize

__all__ = ["SYNONYM_VALUE_SCORE", "CollInfo", "FieldInfo", "Hit", "SchemaIndex"]

_TIME_SUFFIX = frozenset({"at", "ts", "time", "timestamp", "date", "on", "datetime", "when"})
_BOOL_PREFIX = frozenset({"is", "has", "was", "can", "should", "did", "does", "allow", "allows"})
SYNONYM_VALUE_SCORE = 2.0
"""The score of a value named by a synonym: below a field's own name (2.4 and up)."""
_NOT_TEXT = frozenset({"email", "url", "uri", "phone", "ip", "id", "uuid", "hash", "token", "key"})


_PARTICLES = frozenset({"in", "out", "on", "off", "up", "down", "over", "back", "at", "to", "by"})


def _verb_of(head: tuple[str, ...]) -> str:
    """The verb of a time field's name: ``checked_in`` → checked, ``closed`` → closed."""
    if len(head) > 1 and head[-1] in _PARTICLES:
        return head[-2]
    return head[-1] if head else ""


def _verb_bases(participle: str) -> set[str]:
    """The base forms a regular past participle may come from: closed → close, clos;
    shipped → shipp, ship."""
    stem_d, stem_ed = participle[:-1], participle[:-2]
    bases = {stem_d, stem_ed}
    if len(stem_ed) > 2 and stem_ed[-1] == stem_ed[-2]:
        bases.add(stem_ed[:-1])
    return bases


@dataclass(frozen=True)
class Hit:
    """One thing an n-gram can mean: a collection, a field or a field's value."""

    kind: str  # "coll" | "field" | "value" | "bool" | "unset" (a field's "un-" adjective)
    collection: str
    path: str | None = None
    value: object = None
    score: float = 1.0


@dataclass
class FieldInfo:
    path: str
    type: FieldType
    words: tuple[str, ...]
    head: tuple[str, ...]
    unit: float | None
    categories: dict[str, int] | None
    is_leaf: bool
    dim: str | None = None
    """The dimension of ``unit`` (time, length, money, percent...), from the name's suffix."""

    @property
    def numeric(self) -> bool:
        return self.type.is_numeric

    @property
    def label(self) -> str:
        return self.path


@dataclass
class CollInfo:
    name: str
    coll: Collection
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    fks: dict[str, str] = field(default_factory=dict)
    """Other collection → the field here that holds its key (``users`` → ``user_id``)."""

    @property
    def key(self) -> str | None:
        return self.coll.key_field

    @property
    def time(self) -> str | None:
        return self.coll.time_field

    @cached_property
    def noun(self) -> str:
        return singular(self.name.split("_")[-1])


class SchemaIndex:
    """Every collection, field and value of a catalog, indexed by the words that name them."""

    def __init__(self, collections: Iterable[Collection], lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.colls: dict[str, CollInfo] = {}
        self.forms: dict[str, list[Hit]] = {}
        self.partial: dict[str, list[Hit]] = {}
        self.roots: dict[str, list[Hit]] = {}
        """Root of a field's name word → the field ("insurance" → ``insured_with``)."""
        for coll in collections:
            self._add_collection(coll)
        for info in self.colls.values():
            self._find_fks(info)
        self.max_ngram = max((k.count("_") + 1 for k in self.forms), default=1)
        self.max_ngram = min(self.max_ngram, 4)

    # -- building -----------------------------------------------------------------------
    def _put(self, form: str, hit: Hit, table: dict[str, list[Hit]] | None = None) -> None:
        bucket = (self.forms if table is None else table).setdefault(form, [])
        for i, old in enumerate(bucket):
            if (old.kind, old.collection, old.path, old.value) == (
                hit.kind,
                hit.collection,
                hit.path,
                hit.value,
            ):
                if hit.score > old.score:
                    bucket[i] = hit
                return
        bucket.append(hit)

    def _add_collection(self, coll: Collection) -> None:
        info = CollInfo(coll.name, coll)
        self.colls[coll.name] = info
        words = split_words(coll.name)
        joined = "_".join(words)
        last = singular(words[-1]) if words else coll.name
        for form in {coll.name, joined, singular(joined), plural(joined), last}:
            self._put(form, Hit("coll", coll.name, score=3.0 if form != last else 2.5))
        if "_".join((*words[:-1], last)) != last:
            self._put("_".join((*words[:-1], last)), Hit("coll", coll.name, score=3.0))
        for syn in self.lexicon.synonyms(last) - {last}:
            self._put(syn, Hit("coll", coll.name, score=2.0))
        if len(last) >= 4 and last.isalpha():
            # "scooters never repaired": the participle of the collection's noun (repairs)
            done = last + ("d" if last.endswith("e") else "ed")
            self._put(done, Hit("coll", coll.name, score=1.9))
        for event, group in self.lexicon.entity_events.items():
            # "signups", "registrations": the records of the user-like collection
            if last in self.lexicon.synonyms(group):
                for form in (event, plural(event)):
                    self._put(form, Hit("coll", coll.name, score=1.8))
        for word in words[:-1]:
            # "pages" for page_views: a weaker name than the last word or a synonym
            if len(word) >= 3 and word not in self.lexicon.generic:
                self._put(singular(word), Hit("coll", coll.name, score=1.5))
                self._put(plural(word), Hit("coll", coll.name, score=1.5))
        for f in coll.fields.values():
            self._add_field(info, f)

    def _add_field(self, info: CollInfo, f: Field) -> None:
        words = tuple(stem(w) for w in split_words(f.path))
        leaf_words = tuple(stem(w) for w in split_words(f.path.rsplit(".", 1)[-1]))
        head = list(leaf_words)
        unit = None
        dim = None
        named_unit = self.lexicon.unit(head[-1]) if len(head) > 1 else None
        if named_unit and f.type.is_numeric:
            # fare_cents is the fare, in cents; distance_m the distance, in metres
            dim, unit = named_unit
            head = head[:-1]
        if f.type is FieldType.TIMESTAMP and len(head) > 1 and head[-1] in _TIME_SUFFIX:
            head = head[:-1]
        if f.type is FieldType.BOOL and len(head) > 1 and head[0] in _BOOL_PREFIX:
            head = head[1:]
        fi = FieldInfo(
            f.path, f.type, words, tuple(head), unit, f.categories or None, f.is_leaf, dim
        )
        info.fields[f.path] = fi
        name = info.name
        self._put(f.path.lower(), Hit("field", name, f.path, score=3.0))
        self._put("_".join(words), Hit("field", name, f.path, score=3.0))
        self._put("_".join(split_words(f.path)), Hit("field", name, f.path, score=3.0))
        head_form = "_".join(head)
        for word in head:
            if len(word) >= 5 and word not in self.lexicon.generic:
                self._put(word_root(word), Hit("field", name, f.path, score=1.9), self.roots)
        self._put(head_form, Hit("field", name, f.path, score=2.6 if not f.is_leaf else 2.4))
        self._put(plural(head_form), Hit("field", name, f.path, score=2.5))
        if len(head) > 1 and head[-1] in ("id", "uuid", "key"):
            # "visitors" for visitor_id: weaker than a collection's own name
            for form in ("_".join(head[:-1]), plural("_".join(head[:-1]))):
                self._put(form, Hit("field", name, f.path, score=2.2))
        if head:
            # synonyms of the head noun ("revenue" → total_amount): weaker for a nested or
            # multi-word name, stronger when the noun is a measure word (amount, price...)
            # (and a name made only of one group's words, total_amount, is its best target)
            noun = head[-1]
            group = self.lexicon.synonyms(noun)
            compound = len(head) > 1 and all(w in group for w in head)
            score = (1.8 if len(head) == 1 or compound else 1.7) - (0.1 if f.is_leaf else 0.0)
            score += 0.1 if noun in self.lexicon.measure_names else 0.0
            score += 0.1 if compound else 0.0
            for syn in group - {head_form}:
                self._put(syn, Hit("field", name, f.path, score=round(score, 2)))
        if f.type is not FieldType.BOOL and head and len(head[-1]) >= 5:
            # "unassigned" tickets: assignee is empty; "unowned", "unreviewed" alike
            root = head[-1]
            for suffix in ("ee", "er", "or", "ed"):
                if root.endswith(suffix) and len(root) - len(suffix) >= 4:
                    root = root[: -len(suffix)]
                    break
            self._put(f"un{root}ed", Hit("unset", name, f.path, None, score=2.3))
        if f.type is FieldType.BOOL:
            if len(head) > 1:
                # "opted in to marketing" for marketing_opt_in: one word of its name, weakly
                for word in head:
                    if len(word) >= 4 and word not in self.lexicon.generic:
                        self._put(word, Hit("bool", name, f.path, True, score=1.5))
            for adj in {head_form, "_".join(words)}:
                self._put(adj, Hit("bool", name, f.path, True, score=2.7))
                for neg in (f"un{adj}", f"in{adj}", f"non{adj}", f"non-{adj}"):
                    self._put(neg, Hit("bool", name, f.path, False, score=2.7))
        for value, count in (f.categories or {}).items():
            self._add_value(name, f.path, value, count)

    def _add_value(self, coll: str, path: str, value: str, count: int) -> None:
        toks = [t.text for t in tokenize(value) if not t.literal]
        if not toks:
            return
        joined = "_".join(toks)
        score = 2.8
        forms = {value.lower(), joined, "_".join([*toks[:-1], singular(toks[-1])])}
        forms.add("_".join([*toks[:-1], plural(toks[-1])]))
        for form in forms:
            self._put(form, Hit("value", coll, path, value, score=score))
        for name, code in self.lexicon.currencies.items():
            # "British pounds", "euros": the everyday name of a currency code a field holds
            if code == value.upper():
                for form in (name, plural(name)):
                    self._put(form, Hit("value", coll, path, value, score=2.6))
        if len(toks) == 1:
            # a synonym names the value less surely than the value itself ("phone" ≠ mobile)
            for form in self.lexicon.synonyms(toks[0]) - forms:
                self._put(form, Hit("value", coll, path, value, score=SYNONYM_VALUE_SCORE))
        words = [w for w in split_words(value) if len(w) >= 3 and not w.isdigit()]
        if len(words) > 1:
            for w in words:
                self._put(stem(w), Hit("value", coll, path, value, score=1.0), self.partial)

    def _find_fks(self, info: CollInfo) -> None:
        for other in self.colls.values():
            if other.name == info.name or not other.key:
                continue
            names = self.lexicon.synonyms(other.noun) | {other.noun}
            best: tuple[float, str] | None = None
            for path, fi in info.fields.items():
                if fi.type not in (FieldType.INT, FieldType.TEXT, FieldType.FLOAT):
                    continue
                leaf = split_words(path.rsplit(".", 1)[-1])
                if len(leaf) == 2 and leaf[1] in ("id", "key", "uuid") and stem(leaf[0]) in names:
                    rank: float = 0 if not fi.is_leaf else 2
                elif len(leaf) == 1 and stem(leaf[0]) in names and not fi.is_leaf:
                    rank = 1
                else:
                    continue
                if stem(leaf[0]) != other.noun:
                    rank += 0.5  # customer_id before visitor_id for customers
                if best is None or rank < best[0]:
                    best = (rank, path)
            if best:
                info.fks[other.name] = best[1]

    # -- looking up ---------------------------------------------------------------------
    def lookup(self, form: str) -> list[Hit]:
        return self.forms.get(form, [])

    def lookup_root(self, word: str) -> list[Hit]:
        return self.roots.get(word_root(word), [])

    def lookup_partial(self, form: str) -> list[Hit]:
        return self.partial.get(form, [])

    def vocabulary(self) -> list[str]:
        return [f for f in self.forms if len(f) >= 4]

    def text_field(self, coll: str) -> str | None:
        """The collection's main text field: free text, not a category, not an identifier."""
        info = self.colls[coll]
        return self._text_field(info, strict=True) or self._text_field(info, strict=False)

    def _text_field(self, info: CollInfo, *, strict: bool) -> str | None:
        best: tuple[float, str] | None = None
        for path, fi in info.fields.items():
            if fi.type is not FieldType.TEXT or path == info.key:
                continue
            if fi.categories and (
                strict or not (fi.head and fi.head[-1] in self.lexicon.text_names)
            ):
                continue
            if set(fi.words) & _NOT_TEXT:
                continue
            f = info.coll.fields[path]
            avg = sum(len(str(e)) for e in f.examples) / max(1, len(f.examples))
            named = fi.head[-1] in self.lexicon.text_names if fi.head else False
            rank = (100.0 if named else 0.0) + avg + (0 if fi.is_leaf else 5)
            if best is None or rank > best[0]:
                best = (rank, path)
        return best[1] if best else None

    def measure_field(self, coll: str) -> str | None:
        """The one numeric field a bare "average"/"maximum" can mean, if there is one."""
        info = self.colls[coll]
        nums = [
            p
            for p, fi in info.fields.items()
            if fi.numeric and p != info.key and p not in info.fks.values() and "id" not in fi.words
        ]
        if len(nums) == 1:
            return nums[0]
        named = [
            p
            for p in nums
            if info.fields[p].head[-1:] and info.fields[p].head[-1] in self.lexicon.measure_names
        ]
        if len(named) == 1:
            return named[0]

        # several: the one named by measure words only (total_amount before item_count),
        # top-level before nested
        def rank(p: str) -> tuple[float, bool]:
            head = info.fields[p].head
            share = sum(w in self.lexicon.measure_names for w in head) / len(head)
            return (share, not info.fields[p].is_leaf)

        ranked = sorted(named, key=rank, reverse=True)
        if len(ranked) > 1 and rank(ranked[0]) != rank(ranked[1]):
            return ranked[0]
        return None

    def activity_field(self, coll: str) -> str | None:
        info = self.colls[coll]
        names = set(self.lexicon.activity_names)
        for path, fi in info.fields.items():
            if fi.type is FieldType.TIMESTAMP and (
                "_".join(fi.head) in names
                or (fi.head and fi.head[-1] in names and path != info.time)
            ):
                return path
        return None

    def time_fields(self, coll: str) -> list[str]:
        info = self.colls[coll]
        return [
            p for p, fi in info.fields.items() if fi.type is FieldType.TIMESTAMP and not fi.is_leaf
        ]

    def time_field_for_verb(self, coll: str, word: str) -> str | None:
        """The time field a verb names ("signed up" → ``signup_at``, "ended" → ``ended_at``)."""
        if word in _PARTICLES:
            return None  # "in September" names no time field, even one called checked_in_at
        syns = self.lexicon.synonyms(word)
        parts = word.split("_")
        for path in self.time_fields(coll):
            fi = self.colls[coll].fields[path]
            verb = _verb_of(fi.head)
            if fi.head and (verb in syns or "_".join(fi.head) in syns):
                return path
        for path in self.time_fields(coll):
            # "close" / "closes" for closed_at, "ship" for shipped_at, "check in" for
            # checked_in_at
            head = self.colls[coll].fields[path].head
            verb = _verb_of(head)
            rest = head[head.index(verb) + 1 :] if verb in head else ()
            if len(parts) > 1 and tuple(parts[1:]) != tuple(rest):
                continue
            if verb.endswith("ed") and parts[0].rstrip("s") in _verb_bases(verb):
                return path
        return None
