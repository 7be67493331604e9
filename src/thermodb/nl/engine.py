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
    reading: str = ""
    """How the question was read, in words ("count of trips where status = cancelled")."""

    @property
    def columns(self) -> list[str]:
        return self.result.columns

    @property
    def rows(self) -> list[list[Any]]:
        return self.result.rows

    def to_dict(self) -> dict[str, Any]:
        """The `ask --format json` contract: columns, rows, query, explain, insight, confidence."""
        explain = dict(self.result.explain)
        explain["nl"] = {"source": self.source, "notes": self.notes, "reading": self.reading}
        return {
            "columns": self.result.columns,
            "rows": self.result.rows,
            "query": self.spec.model_dump(mode="json", by_alias=True, exclude_defaults=True),
            "explain": explain,
            "reading": self.reading,
            "insight": self.insight,
            "confidence": round(self.confidence, 3),
        }


class NLEngine:
    """Answers questions about one database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.conversations = ConversationStore(db.store)
        self._index: tuple[tuple[Any, ...], SchemaIndex] | None = None
        self._remembered: dict[str, str] = {}
        """Question → the spec already stored for it by this process (no write per ask)."""

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
        spec, confidence, notes, period, _ = self.read_scaled(question, now, conversation)
        return spec, confidence, notes, period

    def read_scaled(
        self, question: str, now: datetime | None = None, conversation: str | None = None
    ) -> tuple[QuerySpec, float, list[str], str | None, dict[str, tuple[float, str]]]:
        """:meth:`read`, and the unit conversion of each aggregate the question asks for."""
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
                    {},
                )
            return (
                reading.spec,
                reading.confidence,
                reading.notes,
                reading.time.text if reading.time else None,
                reading.parts.get("scale", {}),
            )
        reading = read_question(question, moment, index)
        period = reading.time.text if reading.time else None
        return reading.spec, reading.confidence, reading.notes, period, reading.parts["scale"]

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
        scale: dict[str, tuple[float, str]] = {}
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
        if spec is None and not (conversation and self.conversations.last(conversation)):
            answer = self._ask_derived(question, now, transform)
            if answer is not None:
                if conversation:
                    self.conversations.append(conversation, question, answer.spec)
                return answer
        if spec is None:
            try:
                spec, confidence, notes, period, scale = self.read_scaled(
                    question, now, conversation
                )
            except NotUnderstoodError as refusal:
                table = self._ask_table(question, transform, refusal)
                if table is None:
                    raise
                return table
            notes = llm_notes + notes
        if confidence < MIN_CONFIDENCE:
            raise NotUnderstoodError(
                f"I am not confident I understood {question!r} ({'; '.join(notes)})",
                hint="rephrase with the collection and field names (see `thermodb describe`)",
            )
        if source == "rules":
            from thermodb.nl.verify import check_reading

            check_reading(question, spec, self.index(), share=False, notes=notes)
        asked = spec  # remembered as asked: the caller's row filter is not an example
        if transform is not None:
            spec = transform(spec)
        run = self.db.query
        result = _scaled(run(spec), scale)
        from thermodb.nl.explain import describe
        from thermodb.nl.insight import insight

        answer = Answer(
            question,
            spec,
            result,
            insight(spec, result, period, run),
            confidence,
            notes,
            source,
            describe(spec, period)
            + "".join(f", {k} in {u}" for k, (_, u) in scale.items())
            + "".join(f"; {n}" for n in notes if n.startswith("also possible")),
        )
        # written after the answer, never holding it up (Database.writes)
        if conversation:
            turns = self.conversations
            turns.note(conversation, spec)
            self.db.writes.run(lambda wait: turns.append(conversation, question, spec, wait=wait))
        if source == "rules":
            self._remember(question, asked, scope.examples_key if scope else "")
        return answer

    def _ask_table(
        self,
        question: str,
        transform: Callable[[QuerySpec], QuerySpec] | None,
        refusal: NotUnderstoodError,
    ) -> Answer | None:
        """A question the reader refused, read against the cells of the only collection."""
        colls = self.db.catalog.all()
        if len(colls) != 1:
            return None
        from thermodb.nl.tables import TABLE_CONFIDENCE, answer_from_table

        def run(spec: QuerySpec) -> Result:
            return self.db.query(transform(spec) if transform is not None else spec)

        try:
            got = answer_from_table(question, colls[0].name, run)
        except NotUnderstoodError:
            return None
        note = f"read against the table's cells ({refusal.message})"
        return Answer(
            question,
            got.spec,
            got.result,
            f"{got.reading}.",
            TABLE_CONFIDENCE,
            [note],
            "table",
            got.reading,
        )

    def _ask_derived(
        self,
        question: str,
        now: datetime | None,
        transform: Callable[[QuerySpec], QuerySpec] | None,
    ) -> Answer | None:
        """A share, two periods, an average of per-entity counts or a time difference."""
        from thermodb.nl.derived import derive
        from thermodb.nl.insight import derived_insight

        moment = (now or datetime.now(UTC)).astimezone(UTC)
        got = derive(question, moment, self.index())
        if got is None:
            return None
        if got.confidence < MIN_CONFIDENCE:
            raise NotUnderstoodError(
                f"I am not confident I understood {question!r} ({'; '.join(got.notes)})",
                hint="rephrase with the collection and field names (see `thermodb describe`)",
            )

        from thermodb.nl.verify import check_reading

        share = got.reading.startswith("share")
        check_reading(question, got.spec, self.index(), share=share, notes=got.notes)

        def run(spec: QuerySpec) -> Result:
            return self.db.query(transform(spec) if transform is not None else spec)

        result = got.compute(run)
        return Answer(
            question,
            got.spec,
            result,
            derived_insight(got.reading, result),
            got.confidence,
            got.notes,
            "rules",
            got.reading,
        )

    def _remember(self, question: str, spec: QuerySpec, namespace: str = "") -> None:
        stored = spec.model_dump_json()
        key = f"{namespace}\0{question}"
        if self._remembered.get(key) == stored:
            return
        from thermodb.nl.examples import ExampleStore

        examples = ExampleStore(self.db.store)
        self.db.writes.run(lambda wait: examples.add(question, spec, namespace, wait=wait))
        if len(self._remembered) > 4096:
            self._remembered.clear()
        self._remembered[key] = stored


def _scaled(result: Result, scale: dict[str, tuple[float, str]]) -> Result:
    """The result with each converted aggregate column multiplied by its factor."""
    if not scale:
        return result
    cols = {i: scale[c][0] for i, c in enumerate(result.columns) if c in scale}
    rows = [
        [v * cols[i] if i in cols and isinstance(v, int | float) else v for i, v in enumerate(r)]
        for r in result.rows
    ]
    columns = [f"{c}_in_{scale[c][1]}" if c in scale else c for c in result.columns]
    return Result(columns, rows, result.explain, result.truncated)


def _names_collection(question: str, index: SchemaIndex) -> bool:
    from thermodb.nl.text import tokenize

    return any(any(h.kind == "coll" for h in index.lookup(t.text)) for t in tokenize(question))
