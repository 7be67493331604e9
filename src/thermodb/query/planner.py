"""The planner: the only thing that runs a QuerySpec.

``plan`` validates the spec against the catalog and compiles it into parts, each addressed
to an executor by store name; ``run`` executes the parts, merges their partial results and
converts the rows to their JSON form. Today every part goes to the operational store, so
the merge is a pass-through; the cold tier and the result cache are meant to add executors
and partial aggregates here (see docs/query.md, "Executors").
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import ValidationError

from thermodb.catalog.store import Catalog
from thermodb.errors import QueryError
from thermodb.query.compile import Compiled, OutputColumn, compile_spec
from thermodb.query.executor import Executor, OperationalExecutor, Part, Partial
from thermodb.query.result import Result, convert_rows
from thermodb.query.spec import QuerySpec
from thermodb.storage.operational import OperationalStore

__all__ = ["Plan", "Planner", "parse_spec"]

OPERATIONAL = "operational"


@dataclass
class Plan:
    """What the planner decided: the parts each store runs and how to merge them."""

    spec: QuerySpec
    columns: list[OutputColumn]
    parts: list[Part]
    merge: str = "single"
    """``single``: one part answers the whole query; its rows are the result."""
    collections: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def describe(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "collection": spec.collection,
            "kind": "aggregate" if spec.is_aggregate else "listing",
            "collections": self.collections,
            "links": [f"{link.kind} {link.collection}" for link in spec.links],
            "stores": [p.store for p in self.parts],
            "merge": self.merge,
        }


class Planner:
    """Plans and runs QuerySpecs over a catalog and its stores."""

    def __init__(
        self,
        catalog: Catalog,
        store: OperationalStore,
        executors: Mapping[str, Executor] | None = None,
    ) -> None:
        self.catalog = catalog
        self.store = store
        self.executors: dict[str, Executor] = {OPERATIONAL: OperationalExecutor(store)}
        self.executors.update(executors or {})

    def plan(self, spec: QuerySpec, *, max_rows: int | None = None) -> Plan:
        started = time.perf_counter()
        compiled: Compiled = compile_spec(spec, self.catalog, self.store)
        part = Part(
            OPERATIONAL,
            compiled.statement,
            max_rows=max_rows,
            needs_percentile=compiled.uses_percentile,
        )
        return Plan(
            spec,
            compiled.columns,
            [part],
            collections=compiled.collections,
            seconds=time.perf_counter() - started,
        )

    def run(self, spec: QuerySpec, *, max_rows: int | None = None) -> Result:
        """Answer ``spec``; with ``max_rows`` the result holds at most that many rows."""
        plan = self.plan(spec, max_rows=max_rows)
        started = time.perf_counter()
        partials = [self._executor(p.store).run(p) for p in plan.parts]
        rows, truncated = self._merge(plan, partials)
        converted = convert_rows(rows, [c.converter for c in plan.columns])
        executed = time.perf_counter() - started
        explain = {
            "plan": plan.describe(),
            "stores": [p.explain() for p in partials],
            "rows": len(converted),
            "timings": {
                "plan_ms": round(plan.seconds * 1000, 3),
                "execute_ms": round(executed * 1000, 3),
                "total_ms": round((plan.seconds + executed) * 1000, 3),
            },
        }
        if max_rows is not None:
            explain["row_cap"] = max_rows
        return Result([c.name for c in plan.columns], converted, explain, truncated)

    def stream(self, spec: QuerySpec) -> tuple[list[str], Iterator[list[Any]]]:
        """Column names and an iterator of converted rows, fetched in batches.

        For listings too large to hold: rows are read from a streaming cursor while the
        caller consumes them (the read transaction stays open until the iterator ends).
        Only the operational store can stream today.
        """
        plan = self.plan(spec)
        if len(plan.parts) != 1 or plan.parts[0].store != OPERATIONAL:
            raise QueryError("only operational-store queries can stream")
        executor = self.executors[OPERATIONAL]
        if not isinstance(executor, OperationalExecutor):
            raise QueryError("the operational executor cannot stream")
        converters = [c.converter for c in plan.columns]
        rows = executor.stream(plan.parts[0])
        converted = ([conv(v) for conv, v in zip(converters, row, strict=True)] for row in rows)
        return [c.name for c in plan.columns], converted

    def _executor(self, store: str) -> Executor:
        try:
            return self.executors[store]
        except KeyError:
            raise QueryError(f"no executor for the {store!r} store") from None

    @staticmethod
    def _merge(plan: Plan, partials: list[Partial]) -> tuple[list[Any], bool]:
        if plan.merge != "single" or len(partials) != 1:
            raise QueryError(f"the planner cannot merge {len(partials)} partial results yet")
        only = partials[0]
        return list(only.rows), only.truncated


def parse_spec(spec: QuerySpec | Mapping[str, Any] | str | bytes) -> QuerySpec:
    """A QuerySpec from itself, a dict or JSON text; QueryError saying what is wrong."""
    if isinstance(spec, QuerySpec):
        return spec
    try:
        if isinstance(spec, str | bytes):
            return QuerySpec.model_validate_json(spec)
        return QuerySpec.model_validate(spec)
    except ValidationError as exc:
        raise QueryError(
            "the query spec is not valid: " + _errors(exc.errors()),
            hint="see docs/query.md for the QuerySpec format",
        ) from None
    except orjson.JSONDecodeError as exc:  # pragma: no cover - pydantic reports JSON itself
        raise QueryError(f"the query spec is not JSON: {exc}") from None


def _errors(errors: Iterable[Any]) -> str:
    """Pydantic's errors, shortest first: our validators' messages before union noise."""
    found = list(errors)
    ours = [e for e in found if e.get("type") == "value_error"]
    parts = []
    for err in (ours or found)[:3]:
        loc = [str(p) for p in err.get("loc", ()) if not _is_branch(p)]
        message = str(err.get("msg", "")).removeprefix("Value error, ")
        parts.append(f"{'.'.join(loc)}: {message}" if loc else message)
    return "; ".join(dict.fromkeys(parts))


def _is_branch(part: Any) -> bool:
    """A union branch pydantic puts in an error location (``Condition``, ``function-after``)."""
    text = str(part)
    return "[" in text or text in ("Condition", "And", "Or", "Not")
