"""Ingestion: read → validate → route to a collection → infer and evolve the schema → write."""

from thermodb.ingest.inference import suggest_types
from thermodb.ingest.pipeline import IngestOptions, Ingestor, IngestReport

__all__ = ["IngestOptions", "IngestReport", "Ingestor", "suggest_types"]
