"""Optional LLM provider: any OpenAI-compatible chat-completions endpoint → QuerySpec JSON.

The model gets the schema (fields, types, key and time fields), the value index and the
nearest earlier question → QuerySpec pairs from the store of successful answers; it must
reply with one QuerySpec as JSON, which is validated (pydantic, then every field against
the catalog) before anything runs. Any failure raises, and the engine falls back to the
deterministic reader. The model never writes SQL.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from thermodb.config import LLMSettings
from thermodb.errors import NotUnderstoodError, QueryError
from thermodb.nl.scope import PromptScope
from thermodb.query.spec import And, Condition, Filter, Not, Or, QuerySpec

if TYPE_CHECKING:
    from thermodb.nl.engine import NLEngine

__all__ = ["LLMProvider", "schema_prompt"]

_JSON = re.compile(r"\{.*\}", re.S)


def schema_prompt(engine: NLEngine, scope: PromptScope | None = None) -> str:
    """The schema and value index, compactly, for the system prompt (within ``scope``)."""
    scope = scope or PromptScope()
    lines = []
    for info in engine.index().colls.values():
        if not scope.shows(info.name):
            continue
        lines.append(f"collection {info.name} (key {info.key}, time {info.time})")
        for path, fi in info.fields.items():
            cats = ""
            if fi.categories and scope.shows_values(info.name, path):
                cats = " values: " + ", ".join(list(fi.categories)[:20])
            lines.append(f"  {path}: {fi.type}{cats}")
    return "\n".join(lines)


class LLMProvider:
    """Asks the configured endpoint for a QuerySpec and validates what comes back."""

    def __init__(
        self, settings: LLMSettings, engine: NLEngine, scope: PromptScope | None = None
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.scope = scope or PromptScope()

    def spec_for(self, question: str, now: datetime | None = None) -> QuerySpec:
        import httpx

        from thermodb.nl.examples import ExampleStore

        moment = (now or datetime.now(UTC)).astimezone(UTC)
        shots = ExampleStore(self.engine.db.store).nearest(
            question, namespace=self.scope.examples_key
        )
        messages: list[dict[str, str]] = [
            {
                "role": "system",
                "content": (
                    "Translate the question into one thermodb QuerySpec as JSON, nothing else. "
                    f"QuerySpec JSON schema: {json.dumps(QuerySpec.model_json_schema())}\n"
                    f"Now is {moment.isoformat()}. Ranges are half-open UTC.\nSchema:\n"
                    + schema_prompt(self.engine, self.scope)
                ),
            }
        ]
        for q, spec in shots:
            messages += [{"role": "user", "content": q}, {"role": "assistant", "content": spec}]
        messages.append({"role": "user", "content": question})
        url = (self.settings.url or "").rstrip("/") + "/chat/completions"
        headers = (
            {"Authorization": f"Bearer {self.settings.api_key}"} if self.settings.api_key else {}
        )
        try:
            reply = httpx.post(
                url,
                json={"model": self.settings.model, "messages": messages, "temperature": 0},
                headers=headers,
                timeout=self.settings.timeout_s,
            )
            reply.raise_for_status()
            content = reply.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise QueryError(f"the LLM provider at {url} failed: {exc}") from None
        return self.validate(content)

    def validate(self, content: str) -> QuerySpec:
        """Parse the model's reply and check every name against the catalog."""
        match = _JSON.search(content or "")
        if match is None:
            raise NotUnderstoodError("the LLM reply held no JSON object")
        try:
            spec = QuerySpec.model_validate_json(match.group(0))
        except ValidationError as exc:
            raise NotUnderstoodError(
                f"the LLM reply is not a valid QuerySpec: {exc.error_count()} errors"
            ) from None
        index = self.engine.index()
        if spec.collection not in index.colls or not self.scope.shows(spec.collection):
            raise NotUnderstoodError(f"the LLM named an unknown collection {spec.collection!r}")
        known = set(index.colls[spec.collection].fields)
        names = {a.name for a in spec.aggregates} | {link.name for link in spec.links}
        for name in _fields(spec):
            if name not in known and name not in names and "." not in name:
                raise NotUnderstoodError(
                    f"the LLM named an unknown field {name!r} of {spec.collection}"
                )
        return spec


def _fields(spec: QuerySpec) -> list[str]:
    out: list[str] = []

    def walk(f: Filter | None) -> None:
        if isinstance(f, Condition):
            out.append(f.field)
        elif isinstance(f, And):
            for x in f.and_:
                walk(x)
        elif isinstance(f, Or):
            for x in f.or_:
                walk(x)
        elif isinstance(f, Not):
            walk(f.not_)

    walk(spec.where)
    out += [g.field for g in spec.group_by if g.field]
    out += [a.field for a in spec.aggregates if a.field]
    out += list(spec.select or [])
    if spec.time and spec.time.field:
        out.append(spec.time.field)
    return out


_: Any = None
