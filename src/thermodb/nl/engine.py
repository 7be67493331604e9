"""`NLEngine`: question → QuerySpec → planner → answer with an insight.

Keeps the schema index warm between questions (rebuilt when the catalog changes), reads
follow-ups against their conversation, and consults the optional LLM provider first when
one is configured, falling back to the deterministic reader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thermodb.errors import NotUnderstoodError, ThermoError
from thermodb.nl.conversation import ConversationStore
from thermodb.nl.lexicon import load_lexicon
from thermodb.nl.schema import SchemaIndex
from thermodb.query.result import Result
from thermodb.query.spec import QuerySpec

if TYPE_CHECKING:
    from thermodb.database import Database
    from thermodb.nl.scope import PromptScope

__all__ = ["Answer", "NLEngine"]

MIN_CONFIDENCE = 0.5


@dataclass
class Answer:
    """An answered question: the spec that ran, its result, a sentence and a confidence."""

    question: str
    spec: QuerySpec
    result: Result
    insight: str
    confidence: float
    notes: list[str] = field(default_factory=list)
    source: str = "rules"

    @property
    def columns(self) -> list[str]:
        return self.result.columns

    @property
    def rows(self) -> list[list[Any]]:
        return self.result.rows

    def to_dict(self) -> dict[str, Any]:
        """The `ask --format json` contract: columns, rows, query, explain, insight, confidence."""
        explain = dict(self.result.explain)
        explain["nl"] = {"source": self.source, "notes": self.notes}
        return {
            "columns": self.result.columns,
            "rows": self.result.rows,
            "query": self.spec.model_dump(mode="json", by_alias=True, exclude_defaults=True),
            "explain": explain,
            "insight": self.insight,
            "confidence": round(self.confidence, 3),
        }


class NLEngine:
    """Answers questions about one database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.conversations = ConversationStore(db.store)
        self._index: tuple[tuple[Any, ...], SchemaIndex] | None = None

    def index(self) -> SchemaIndex:
        colls = self.db.catalog.all()
        key = tuple((c.name, c.schema_version, c.records) for c in colls)
        if self._index is None or self._index[0] != key:
            extra = Path(self.db.settings.data_dir) / "nl_lexicon.json"
            self._index = (key, SchemaIndex(colls, load_lexicon(extra)))
        return self._index[1]

    def read(
        self, question: str, now: datetime | None = None, conversation: str | None = None
    ) -> tuple[QuerySpec, float, list[str], str | None]:
        """The spec for a question (without running it), its confidence, notes and period."""
        from thermodb.nl.followup import looks_like_follow_up, merge
        from thermodb.nl.reader import read_question

        moment = (now or datetime.now(UTC)).astimezone(UTC)
        index = self.index()
        prev = self.conversations.last(conversation) if conversation else None
        if prev is not None:
            spec_prev = prev[1]
            reading = read_question(
                question, moment, index, default_collection=spec_prev.collection
            )
            follow = looks_like_follow_up(question) or not _names_collection(question, index)
            if follow and reading.spec.collection == spec_prev.collection:
                spec = merge(spec_prev, reading)
                return (
                    spec,
                    reading.confidence,
                    reading.notes,
                    reading.time.text if reading.time else None,
                )
            return (
                reading.spec,
                reading.confidence,
                reading.notes,
                reading.time.text if reading.time else None,
            )
        reading = read_question(question, moment, index)
        period = reading.time.text if reading.time else None
        return reading.spec, reading.confidence, reading.notes, period

    def ask(
        self,
        question: str,
        now: datetime | None = None,
        conversation: str | None = None,
        transform: Callable[[QuerySpec], QuerySpec] | None = None,
        scope: PromptScope | None = None,
    ) -> Answer:
        """``scope`` (from the gateway) bounds what the LLM prompt shows and which
        few-shot examples it gets and keeps."""
        source = "rules"
        spec: QuerySpec | None = None
        llm_notes: list[str] = []
        if self.db.settings.llm.url:
            from thermodb.nl.llm import LLMProvider

            try:
                spec = LLMProvider(self.db.settings.llm, self, scope).spec_for(question, now)
                confidence, notes, period = 0.8, ["answered by the LLM provider"], None
                source = "llm"
            except ThermoError as exc:
                llm_notes.append(f"LLM provider not used: {exc.message}")
                spec = None
        if spec is None:
            spec, confidence, notes, period = self.read(question, now, conversation)
            notes = llm_notes + notes
        if confidence < MIN_CONFIDENCE:
            raise NotUnderstoodError(
                f"I am not confident I understood {question!r} ({'; '.join(notes)})",
                hint="rephrase with the collection and field names (see `thermodb describe`)",
            )
        asked = spec  # remembered as asked: the caller's row filter is not an example
        if transform is not None:
            spec = transform(spec)
        run = self.db.query
        result = run(spec)
        from thermodb.nl.insight import insight

        answer = Answer(
            question, spec, result, insight(spec, result, period, run), confidence, notes, source
        )
        if conversation:
            self.conversations.append(conversation, question, spec)
        if source == "rules":
            self._remember(question, asked, scope.examples_key if scope else "")
        return answer

    def _remember(self, question: str, spec: QuerySpec, namespace: str = "") -> None:
        try:
            from thermodb.nl.examples import ExampleStore

            ExampleStore(self.db.store).add(question, spec, namespace)
        except ThermoError:
            pass


def _names_collection(question: str, index: SchemaIndex) -> bool:
    from thermodb.nl.text import tokenize

    return any(any(h.kind == "coll" for h in index.lookup(t.text)) for t in tokenize(question))
