"""The catalog's nouns: Collection, Field and SchemaChange.

Plain pydantic models, persisted by :mod:`thermodb.catalog.store`; no I/O here. A
collection's fields are keyed by *path*, which is also the name people see and write: a
top-level JSON key exactly as it arrived (``No.``, ``Pop. 1864``: it owns a column, whose
safe SQL name is :attr:`Field.column`), or a path to a leaf inside a nested object (stored
inside its top-level JSON column), with segments that hold a '.' quoted
(:func:`~thermodb.catalog.naming.join_path`). :meth:`Collection.resolve` reads a name the
way every interface accepts it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from pydantic import Field as PydField

from thermodb.catalog.naming import join_path, split_path
from thermodb.catalog.types import EvolutionMode, FieldType, Kind, iso

__all__ = ["MAX_CATEGORIES", "Collection", "Field", "SchemaChange", "utcnow"]

MAX_CATEGORIES = 100
"""A text field with more distinct values than this is not categorical (no value index)."""
MAX_EXAMPLES = 5


def utcnow() -> datetime:
    return datetime.now(UTC)


class Field(BaseModel):
    """One field of a collection's schema, with the statistics `describe` shows."""

    path: str
    type: FieldType
    column: str | None = None
    """The SQL column for a top-level field; None for a leaf inside a JSON column."""
    present: int = 0
    """Records seen with a non-null value."""
    nulls: int = 0
    """Records seen with an explicit null."""
    since_version: int = 1
    examples: list[Any] = PydField(default_factory=list)
    categories: dict[str, int] | None = PydField(default_factory=dict)
    """Counts of each distinct text value (the value index); None once there are too many."""
    unit: str | None = None
    """The unit or currency of numbers that arrived as text ('km', '$', '%', 'duration')."""
    from_text: int = 0
    """Values that arrived as text and were read as the field's type ('17', '1,234')."""
    text_examples: list[str] = PydField(default_factory=list)
    text_note: str = ""
    """Why the field is text though values looked like numbers or dates, when there is one."""

    @property
    def top(self) -> str:
        """The top-level field this one lives in (itself for a top-level field)."""
        if self.column is not None:
            return self.path
        return (split_path(self.path) or (self.path,))[0]

    @property
    def is_leaf(self) -> bool:
        """A leaf inside a nested object (no column of its own)."""
        return self.column is None

    @property
    def segments(self) -> tuple[str, ...]:
        """The keys from the record's top down to this field (one for a top-level field)."""
        if self.column is not None:
            return (self.path,)
        return split_path(self.path) or (self.path,)

    @property
    def label(self) -> str:
        """The field's own name: its key, without the objects it sits in."""
        return self.segments[-1]

    def observe(self, value: Any) -> None:
        """Count one non-null value into the statistics."""
        self.present += 1
        if len(self.examples) < MAX_EXAMPLES and not isinstance(value, dict | list):
            shown = (
                iso(value)
                if isinstance(value, datetime)
                else (value if not isinstance(value, str) else value[:80])
            )
            if shown not in self.examples:
                self.examples.append(shown)
        cats = self.categories
        if cats is not None and isinstance(value, str):
            if value in cats:
                cats[value] += 1
            elif len(cats) < MAX_CATEGORIES and len(value) <= 80:
                cats[value] = 1
            else:
                self.categories = None

    def observe_many(self, values: list[Any], absent: int = 0) -> None:
        """:meth:`observe` each value (None counts as a null), for a whole batch at once.

        ``absent`` of the None values stand for records without the field (not counted).
        Ingest calls this once per field and batch: counting with C-level helpers instead
        of a Python call per value is what keeps statistics off the ingest hot path. The
        result equals observing the values one by one, in order.
        """
        nones = values.count(None)
        nulls = nones - absent
        present = [v for v in values if v is not None] if nones else values
        if nulls:
            self.nulls += nulls
        if not present:
            return
        self.present += len(present)
        if len(self.examples) < MAX_EXAMPLES:
            self._add_examples(present)
        if self.categories is not None:
            self._count_categories(present)

    def _add_examples(self, values: list[Any]) -> None:
        try:
            distinct: Any = dict.fromkeys(values)
        except TypeError:  # dicts and lists are never examples
            distinct = dict.fromkeys(v for v in values if not isinstance(v, dict | list))
        examples = self.examples
        for value in distinct:
            if isinstance(value, dict | list):
                continue
            shown = (
                iso(value)
                if isinstance(value, datetime)
                else (value if not isinstance(value, str) else value[:80])
            )
            if shown not in examples:
                examples.append(shown)
                if len(examples) >= MAX_EXAMPLES:
                    return

    def _count_categories(self, values: list[Any]) -> None:
        try:
            counts = Counter(values)
        except TypeError:
            counts = Counter(v for v in values if isinstance(v, str))
        cats = self.categories
        assert cats is not None
        for value, n in counts.items():
            if not isinstance(value, str):
                continue
            if value in cats:
                cats[value] += n
            elif len(cats) < MAX_CATEGORIES and len(value) <= 80:
                cats[value] = n
            else:
                self.categories = None
                return

    def read_from_text(self, count: int, examples: list[str], unit: str | None) -> None:
        """Count values written as text that were read as this field's type."""
        self.from_text += count
        for example in examples:
            if len(self.text_examples) < 3 and example not in self.text_examples:
                self.text_examples.append(example[:80])
        if unit is not None:
            self.unit = unit

    def text_summary(self) -> str:
        """``2 values were text like '17'`` (empty when none were)."""
        if not self.from_text:
            return ""
        shown = ", ".join(repr(e) for e in self.text_examples)
        n = self.from_text
        unit = f", in {self.unit}" if self.unit else ""
        return f"{n} value{'s were' if n != 1 else ' was'} text like {shown}{unit}"


class SchemaChange(BaseModel):
    """One step of a collection's schema history."""

    version: int
    at: datetime
    added: dict[str, FieldType] = PydField(default_factory=dict)
    widened: dict[str, tuple[FieldType, FieldType]] = PydField(default_factory=dict)
    note: str = ""


class Collection(BaseModel):
    """A named set of records of one domain, with its schema and settings."""

    name: str
    kind: Kind = "event"
    key_field: str | None = None
    time_field: str | None = None
    evolution: EvolutionMode = "evolve"
    schema_version: int = 0
    records: int = 0
    """Records ingested (an upsert counts again: a statistic, not the row count)."""
    fields: dict[str, Field] = PydField(default_factory=dict)
    history: list[SchemaChange] = PydField(default_factory=list)
    signature: dict[str, int] = PydField(default_factory=dict)
    """Counts of normalised field-name tokens seen: what the router matches records against."""
    created_at: datetime = PydField(default_factory=utcnow)
    key_reason: str = ""
    """Why inference chose the key field (``describe`` shows it); empty when set by hand."""
    overrides: dict[str, Any] = PydField(default_factory=dict)
    """Settings a user fixed by hand (kind, key_field, time_field); inference leaves them."""

    def top_fields(self) -> list[Field]:
        return [f for f in self.fields.values() if f.column is not None]

    def field(self, path: str) -> Field | None:
        return self.fields.get(path)

    def resolve(self, name: str) -> Field | None:
        """The field a person means by ``name``, as QuerySpecs, the API and the CLI take it.

        The exact name first (``No.`` is the top-level field ``No.``); then the name read
        as a path whose segments may be quoted (``"No."``, ``meta."v.1"``; ``"a"."b"`` is
        the leaf b of a even where a top-level field is called ``a.b``).
        """
        f = self.fields.get(name)
        if f is not None:
            return f
        segments = split_path(name)
        if not segments:
            return None
        if len(segments) == 1:
            return self.fields.get(segments[0])
        return self.fields.get(join_path(segments)) or self.fields.get(
            join_path(segments, quote_all=True)
        )

    def resolve_segments(self, segments: Sequence[str]) -> Field | None:
        """The field at these keys (a top-level field for one key; SQL's dotted parts)."""
        if len(segments) == 1:
            return self.fields.get(segments[0])
        plain = self.fields.get(join_path(segments))
        if plain is not None and plain.column is None:
            return plain
        return self.fields.get(join_path(segments, quote_all=True))

    def leaf_key(self, path: str) -> str:
        """The catalog key of a nested leaf at ``path``: the path itself unless a top-level
        field already has that name (``a.b`` beside a leaf b of a), then fully quoted."""
        f = self.fields.get(path)
        if f is None or f.column is None:
            return path
        return join_path(split_path(path) or (path,), quote_all=True)

    def columns(self) -> dict[str, str]:
        """Top-level field name → column name."""
        return {f.path: f.column for f in self.fields.values() if f.column is not None}

    def null_fraction(self, f: Field) -> float:
        seen = f.present
        return 0.0 if self.records == 0 else max(0.0, 1.0 - seen / self.records)
