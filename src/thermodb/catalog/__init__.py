"""The catalog kernel: collections, schemas, types and names. Imports nothing above it."""

from thermodb.catalog.model import Collection, Field, SchemaChange
from thermodb.catalog.types import EvolutionMode, FieldType, Kind, widen

__all__ = ["Collection", "EvolutionMode", "Field", "FieldType", "Kind", "SchemaChange", "widen"]
