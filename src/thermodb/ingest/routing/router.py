"""The router: send each record to the collection it fits best, or name a new one.

For a record with no collection named, :meth:`Router.route` scores it against every
candidate collection's learned profile (:mod:`.score`), joins the best one when the score
reaches :attr:`Router.threshold`, and otherwise names a new collection after the record
(:mod:`.names`). :meth:`Router.learn` then counts the record into the collection's
signature, so the next records are judged against what has actually landed there.

Routing must not dominate ingest time, so the work per record is kept near O(fields):

* field names are normalised once per distinct name (:func:`.lexicon.field_name`) and
  once per distinct *tuple* of keys;
* decisions are memoised per (keys, value types, id prefix). The memo is dropped when the
  set of candidate collections changes, and when a collection's learned record count
  reaches a power of 4 up to 4096, so that a young collection's profile is re-read as it
  grows (1, 4, 16, 64... records) and a mature one no longer drops the memo; scores
  against a profile that did not change are kept on its view;
* value shapes are learned from every record of a young collection, then from one in 16.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from thermodb.catalog.model import Collection
from thermodb.ingest.routing.lexicon import FieldName, field_name
from thermodb.ingest.routing.names import FALLBACK, suggest_name
from thermodb.ingest.routing.profile import (
    DECAY_AT,
    MAX_KEYS,
    ProfileView,
    bootstrap,
    needs_bootstrap,
    prune,
)
from thermodb.ingest.routing.score import Fit, score
from thermodb.ingest.routing.shapes import RecordField, id_prefix, magnitude, shape

__all__ = ["RouteDecision", "Router"]

MEMO_LIMIT = 8192
REREAD_FACTOR = 4
"""A collection's profile is re-read when its learned record count has grown this much."""
REREAD_UNTIL = 4096
"""Past this many records a collection's profile is mature: its growth no longer drops the memo."""
_REREAD_AT = frozenset(REREAD_FACTOR**k for k in range(16) if REREAD_FACTOR**k <= REREAD_UNTIL)
SHAPES_FROM_FIRST = 256
SHAPES_FROM_ONE_IN = 16
"""Learn value shapes from each of a collection's first 256 records, then from one in 16."""


@dataclass(frozen=True)
class RouteDecision:
    """Where one record goes, with the score and a one-line reason a person can check."""

    collection: str
    score: float
    """The fit to the chosen collection; for a new one, the best fit any existing one had."""
    reason: str
    created: bool = False


@dataclass(frozen=True)
class _Keys:
    """What the router derives once per distinct tuple of record keys."""

    names: tuple[FieldName, ...]
    unique: tuple[int, ...]
    """Positions of the first field of each canonical name."""
    counters: tuple[str, ...]
    """Signature keys (``f|<canon>``) of those fields."""
    id_at: int | None
    """Position of the record's own id (``id``, ``_id``... or a leading ``<thing>_id``)."""
    owner: str | None
    """Its signature key (``o|<canon>``)."""


class Router:
    """Scores records against collections' signatures; creates a collection when none fits."""

    threshold = 0.5
    """The least score that joins an existing collection."""

    def __init__(self, threshold: float | None = None) -> None:
        if threshold is not None:
            self.threshold = threshold
        self._keys: dict[tuple[str, ...], _Keys] = {}
        self._memo: dict[tuple[Any, ...], tuple[int, RouteDecision]] = {}
        self._generation = 0
        self._candidates: tuple[int, ...] = ()
        self._views: dict[str, tuple[Collection, int, ProfileView]] = {}

    # -- routing ---------------------------------------------------------------------------
    def route(self, record: Mapping[str, Any], collections: Sequence[Collection]) -> RouteDecision:
        """The collection this record belongs to (existing or new), and why."""
        keys = tuple(record)
        info = self._key_info(keys)
        values = tuple(record.values())
        own_id = values[info.id_at] if info.id_at is not None else None
        prefix = id_prefix(own_id) if type(own_id) is str else None
        candidates = tuple(map(id, collections))
        if candidates != self._candidates:
            self._candidates = candidates
            self._generation += 1
        memo_key = (keys, tuple(map(type, values)), prefix)
        hit = self._memo.get(memo_key)
        if hit is not None and hit[0] == self._generation:
            return hit[1]
        decision = self._decide(memo_key, self.fields(record, info), collections)
        if len(self._memo) >= MEMO_LIMIT:
            self._memo.clear()
        self._memo[memo_key] = (self._generation, decision)
        return decision

    def fields(self, record: Mapping[str, Any], info: _Keys | None = None) -> list[RecordField]:
        """A record's fields as the scorer sees them (one per canonical name)."""
        info = info or self._key_info(tuple(record))
        values = tuple(record.values())
        out = []
        for i in info.unique:
            name, value = info.names[i], values[i]
            out.append(RecordField(name, shape(value, name), magnitude(value), i == info.id_at))
        return out

    def _decide(
        self, key: Hashable, fields: list[RecordField], collections: Sequence[Collection]
    ) -> RouteDecision:
        if not fields:
            return self._empty(collections)
        fits = sorted(
            ((self._score(key, fields, self._view(c)), c.name) for c in collections),
            key=lambda fc: (-fc[0].score, fc[1]),
        )
        best: tuple[Fit, str] | None = fits[0] if fits else None
        if best is not None and best[0].score >= self.threshold:
            fit, name = best
            reason = f"fits {name} {fit.score:.2f}: {fit.explain()}"
            if len(fits) > 1:
                reason += f"; next {fits[1][1]} {fits[1][0].score:.2f}"
            return RouteDecision(name, round(fit.score, 3), reason)
        name, why = suggest_name(fields, {c.name for c in collections})
        if best is None:
            reason = f"new: no collections yet; named from {why}"
        else:
            reason = (
                f"new: best fit {best[1]} {best[0].score:.2f} < {self.threshold:.2f} "
                f"({best[0].explain()}); named from {why}"
            )
        return RouteDecision(name, round(best[0].score, 3) if best else 0.0, reason, created=True)

    @staticmethod
    def _empty(collections: Sequence[Collection]) -> RouteDecision:
        """A record with no fields fits nothing by score; they all go to one collection."""
        created = all(c.name != FALLBACK for c in collections)
        return RouteDecision(FALLBACK, 0.0, "the record has no fields", created=created)

    @staticmethod
    def _score(key: Hashable, fields: list[RecordField], view: ProfileView) -> Fit:
        """``score``, memoised on the view under the decision's memo key: when the decision
        memo is dropped because one collection grew, only that collection is scored again."""
        fit = view.fits.get(key)
        if fit is None:
            if len(view.fits) >= MEMO_LIMIT:
                view.fits.clear()
            fit = view.fits[key] = score(fields, view)
        return fit

    def _view(self, collection: Collection) -> ProfileView:
        """The parsed profile of a collection, re-read when its learned count quadruples."""
        learned = collection.signature.get("#", 0)
        cached = self._views.get(collection.name)
        if cached is not None and cached[0] is collection and learned < REREAD_FACTOR * cached[1]:
            return cached[2]
        signature = bootstrap(collection) if needs_bootstrap(collection) else collection.signature
        view = ProfileView.parse(signature)
        view.name = collection.name
        self._views[collection.name] = (collection, max(learned, view.records), view)
        return view

    # -- learning --------------------------------------------------------------------------
    def learn(self, collection: Collection, record: Mapping[str, Any]) -> None:
        """Count a record that landed in ``collection`` into its signature."""
        sig = collection.signature
        if "#" not in sig and sig:
            sig.clear()  # a signature in an older format: start again
        if needs_bootstrap(collection):
            seeded = bootstrap(collection)
            sig.clear()
            sig.update(seeded)
        info = self._key_info(tuple(record))
        n = sig.get("#", 0) + 1
        sig["#"] = n
        for key in info.counters:
            sig[key] = sig.get(key, 0) + 1
        if info.owner is not None:
            sig[info.owner] = sig.get(info.owner, 0) + 1
        if n <= SHAPES_FROM_FIRST or n % SHAPES_FROM_ONE_IN == 0:
            values = tuple(record.values())
            for i in info.unique:
                name, value = info.names[i], values[i]
                sig_key = f"s|{name.canon}|{shape(value, name)}"
                sig[sig_key] = sig.get(sig_key, 0) + 1
                decade = magnitude(value)
                if decade is not None:
                    m_key = f"m|{name.canon}|{decade}"
                    sig[m_key] = sig.get(m_key, 0) + 1
        if n in _REREAD_AT:
            self._generation += 1  # drop the decision memo: this profile is re-read
        if len(sig) > MAX_KEYS or n >= DECAY_AT:
            prune(sig)

    # -- per distinct key tuple ------------------------------------------------------------
    def _key_info(self, keys: tuple[str, ...]) -> _Keys:
        info = self._keys.get(keys)
        if info is not None:
            return info
        names = tuple(field_name(k) for k in keys)
        seen: set[str] = set()
        unique: list[int] = []
        for i, fname in enumerate(names):
            if fname.canon not in seen:
                seen.add(fname.canon)
                unique.append(i)
        id_at = next((i for i, f in enumerate(names) if f.concept == "id"), None)
        # A leading <thing>_id is the record's own id, unless the record only links things
        # (likes: user_id, post_id, liked_at) and has nothing of its own.
        leading_ref = bool(names) and names[0].concept == "ref"
        if id_at is None and leading_ref and any(f.concept is None for f in names):
            id_at = 0
        info = _Keys(
            names=names,
            unique=tuple(unique),
            counters=tuple(f"f|{names[i].canon}" for i in unique),
            id_at=id_at,
            owner=f"o|{names[id_at].canon}" if id_at is not None else None,
        )
        if len(self._keys) >= MEMO_LIMIT:
            self._keys.clear()
        self._keys[keys] = info
        return info
