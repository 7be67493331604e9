"""Fingerprints: one id per query *shape*, whatever its literal values.

A QuerySpec is normalised by replacing every literal (filter values, time bounds, limit,
offset) with ``"?"``; an ``in`` list of any length becomes one ``"?"``. SQL is parsed with
sqlglot, its literals become placeholders and it is printed again, so spacing, case and
values do not split one query into many. The fingerprint is a hash of the normalised form.

`spec_fields` says which fields a spec filters, orders and groups on: the index advisor's
raw material.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from thermodb.query.spec import And, Condition, Filter, Not, Or, QuerySpec

__all__ = [
    "Fingerprint",
    "SpecFields",
    "fingerprint_spec",
    "fingerprint_sql",
    "ingest_fingerprint",
    "spec_fields",
]

_EQUALITY = frozenset({"=", "in", "is_null"})
_RANGE = frozenset({"<", "<=", ">", ">=", "between", "starts_with"})


@dataclass(frozen=True)
class Fingerprint:
    id: str
    kind: str
    """``spec`` (a QuerySpec, from any interface) or ``sql``."""
    collection: str
    text: str
    """The normalised form: canonical JSON of the spec, or the SQL with placeholders."""


@dataclass
class SpecFields:
    """Fields of a spec's own collection by role (dotted paths and aliases included)."""

    equality: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    group: list[str] = field(default_factory=list)
    time_range: bool = False
    """The spec has a time range on the collection's time field."""
    time_field: str | None = None
    """The named field of the time range, when it names one."""
    time_bucket: bool = False
    """It groups by a calendar bucket of the collection's time field."""

    def to_json(self) -> dict[str, Any]:
        return {
            "equality": self.equality,
            "range": self.range,
            "order": self.order,
            "group": self.group,
            "time_range": self.time_range,
            "time_field": self.time_field,
            "time_bucket": self.time_bucket,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SpecFields:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def _digest(kind: str, text: str) -> str:
    return hashlib.blake2b(f"{kind}\0{text}".encode(), digest_size=8).hexdigest()


def fingerprint_spec(spec: QuerySpec) -> Fingerprint:
    shape = _normalise(spec.model_dump(mode="json", by_alias=True, exclude_defaults=True))
    text = orjson.dumps(shape, option=orjson.OPT_SORT_KEYS).decode()
    return Fingerprint(_digest("spec", text), "spec", spec.collection, text)


def _normalise(node: Any, key: str | None = None) -> Any:
    if isinstance(node, dict):
        if "op" in node and "field" in node:  # a condition
            out = dict(node)
            if "value" in out:
                out["value"] = "?"
            return out
        return {k: _normalise(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_normalise(v, key) for v in node]
    if key in ("start", "end", "limit", "offset"):
        return "?"
    return node


def ingest_fingerprint(collection: str) -> Fingerprint:
    """Writes into a collection, logged like a query (the advisor's write-overhead term)."""
    return Fingerprint(_digest("ingest", collection), "ingest", collection, f"ingest {collection}")


def fingerprint_sql(text: str, dialect: str) -> Fingerprint:
    """The fingerprint of SQL text in sqlglot's ``dialect`` (the backend's capabilities say
    which); unparseable text is fingerprinted by its tokens."""
    read = dialect
    try:
        tree = sqlglot.parse_one(text, read=read)
    except SqlglotError:
        tree = None
    if tree is None:
        normal = re.sub(r"\s+", " ", re.sub(r"'[^']*'|\b\d+(\.\d+)?\b", "?", text)).strip()
        return Fingerprint(_digest("sql", normal.lower()), "sql", "", normal)
    tree = tree.transform(_placeholder)
    table = next(tree.find_all(exp.Table), None)
    normal = tree.sql()  # the generic dialect writes every placeholder as ?
    return Fingerprint(_digest("sql", normal), "sql", table.name if table else "", normal)


def _placeholder(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Literal):
        return exp.Placeholder()
    if isinstance(node, exp.In) and len(node.expressions) > 1:
        return exp.In(this=node.this, expressions=[exp.Placeholder()])
    return node


def spec_fields(spec: QuerySpec) -> SpecFields:
    """What the spec filters (top-level conjunction only), orders and groups on."""
    found = SpecFields()
    for cond in _conjuncts(spec.where):
        if cond.op in _EQUALITY:
            found.equality.append(cond.field)
        elif cond.op in _RANGE:
            found.range.append(cond.field)
    if spec.time is not None and (spec.time.start or spec.time.end):
        found.time_range = True
        found.time_field = spec.time.field
    aliases = {a.name for a in spec.aggregates} | {link.name for link in spec.links}
    found.order = [o.field for o in spec.order if o.field not in aliases]
    for key in spec.group_by:
        if key.bucket is not None and key.field is None:
            found.time_bucket = True
        elif key.field is not None:
            found.group.append(key.field)
    return found


def _conjuncts(node: Filter | None) -> list[Condition]:
    if node is None:
        return []
    if isinstance(node, Condition):
        return [node]
    if isinstance(node, And):
        return [c for part in node.and_ for c in _conjuncts(part)]
    if isinstance(node, Or | Not):
        return []
    return []
