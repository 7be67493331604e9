"""Routing raw records to collections (the seed's "AI classifier"), explainably.

Each record is scored against every collection's learned signature over normalised field
names, value shapes and field frequencies; it joins the best collection when the score is
confident, and otherwise starts a new collection named after it. See ``docs/routing.md``.

Modules, one job each: :mod:`.lexicon` (field names and synonyms), :mod:`.shapes` (what a
value looks like), :mod:`.profile` (a collection's learned signature), :mod:`.score` (the
score and its explanation), :mod:`.names` (naming a new collection), :mod:`.router` (the
decision, memoised, and learning).
"""

from thermodb.ingest.routing.lexicon import field_name
from thermodb.ingest.routing.names import suggest_name
from thermodb.ingest.routing.router import RouteDecision, Router
from thermodb.ingest.routing.score import Fit, score
from thermodb.ingest.routing.shapes import RecordField

__all__ = ["Fit", "RecordField", "RouteDecision", "Router", "field_name", "score", "suggest_name"]
