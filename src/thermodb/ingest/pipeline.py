"""The ingest pipeline: one atomic call, streamed in batches.

read → validate → route → (per collection) infer types, evolve the schema, convert, write.
Everything a call does, tables and columns included, happens in one transaction: a bad
record under the default policy, a dry run or a crash leaves the store as it was.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal

import orjson
from sqlalchemy.engine import Connection

from thermodb.catalog.model import Collection, Field, SchemaChange
from thermodb.catalog.naming import (
    column_name,
    file_collection_name,
    join_path,
    valid_collection_name,
)
from thermodb.catalog.store import Catalog
from thermodb.catalog.types import EvolutionMode, FieldType, Kind, widen
from thermodb.errors import InputError, SchemaError
from thermodb.ingest.inference import (
    choose_kind,
    choose_time_field,
    explain_key_field,
    looks_like_time_name,
)
from thermodb.ingest.leaves import nested_values
from thermodb.ingest.readers import Format, Item, read_records
from thermodb.ingest.routing import RouteDecision, Router
from thermodb.ingest.routing.names import FALLBACK
from thermodb.ingest.validation import Limits, RecordChecker, RecordProblem, name_blank
from thermodb.ingest.values import (
    NULL,
    STABLE,
    Column,
    columns_from_typed,
    keep_rows,
    leaves_type,
    read_field_text,
    storage_rows,
    time_of,
    type_columns,
    typed_value,
)
from thermodb.storage.operational import OperationalStore

__all__ = ["IngestOptions", "IngestReport", "Ingestor", "Rejection"]

OnError = Literal["fail", "skip"]
Progress = Callable[[int, int], None]
WriteHook = Callable[[Connection, Collection, Sequence[str], Sequence[Sequence[Any]]], None]
MAX_REPORTED_REJECTIONS = 100


@dataclass
class IngestOptions:
    collection: str | None = None
    """Put every record here; None routes each record to the collection it fits."""
    on_error: OnError = "fail"
    reject_file: Path | None = None
    dry_run: bool = False
    explain: bool = False
    fmt: Format = "auto"
    batch_size: int = 5000
    limits: Limits = field(default_factory=Limits)
    evolution: EvolutionMode | None = None
    """Evolution mode for collections this call creates (default ``evolve``)."""
    key: str | None = None
    time_field: str | None = None
    kind: Kind | None = None


@dataclass
class Rejection:
    source: str
    position: int
    reason: str
    record: Any = None


@dataclass
class Decision:
    source: str
    line: int
    collection: str
    score: float
    reason: str
    created: bool


@dataclass
class IngestReport:
    received: int = 0
    written: int = 0
    rejected: int = 0
    discarded: int = 0
    """Records dropped by a ``discard_row`` collection, or values by ``discard_value``."""
    collections: dict[str, int] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    schema_changes: dict[str, list[SchemaChange]] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    dry_run: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "written": self.written,
            "rejected": self.rejected,
            "discarded": self.discarded,
            "collections": self.collections,
            "created": self.created,
            "dry_run": self.dry_run,
            "seconds": round(self.seconds, 3),
            "schema_changes": {
                k: [c.model_dump(mode="json") for c in v] for k, v in self.schema_changes.items()
            },
            "rejections": [
                {"source": r.source, "line": r.position, "reason": r.reason}
                for r in self.rejections
            ],
        }


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


_Typed = dict[str, tuple[FieldType, Any]]
_Leaves = list[tuple[str, Any]] | None
"""A record's nested leaves; None when its batch was checked as a block (see _observe)."""


class Ingestor:
    """Runs ingest calls against one catalog and operational store."""

    def __init__(self, catalog: Catalog, store: OperationalStore, router: Router) -> None:
        self.catalog = catalog
        self.store = store
        self.router = router
        self.write_hooks: list[WriteHook] = []
        """Called after each batch is written, inside the ingest transaction (tiers use it)."""

    def ingest(
        self, sources: Sequence[Any], options: IngestOptions, progress: Progress | None = None
    ) -> IngestReport:
        if options.collection is not None:
            valid_collection_name(options.collection)
        started = datetime.now(UTC)
        call = _Call(self, options, progress)
        try:
            # read (and bound) the start of the input before taking the write lock: a body
            # of blank lines, or one that is not records at all, never holds it
            first = call.read_first(sources)
            with self.store.begin() as conn:
                # from the last committed schema, whoever (thread or process) changed it
                self.catalog.lock_for_change(conn)
                call.run(conn, sources, first)
                if options.dry_run:
                    raise _DryRun
        except _DryRun:
            self.catalog.reload()
        except BaseException:
            self.catalog.reload()
            raise
        finally:
            call.close()
        call.report.dry_run = options.dry_run
        call.report.seconds = (datetime.now(UTC) - started).total_seconds()
        return call.report


class _Call:
    """The state of one ingest call."""

    def __init__(
        self, ingestor: Ingestor, options: IngestOptions, progress: Progress | None
    ) -> None:
        self.catalog = ingestor.catalog
        self.store = ingestor.store
        self.router = ingestor.router
        self.write_hooks = ingestor.write_hooks
        self.options = options
        self.progress = progress
        self.report = IngestReport()
        self.pending: dict[str, Collection] = {}
        self.drafts: dict[str, Collection] = {}
        self._reject_out: IO[bytes] | None = None
        self._bytes = 0
        self._checker = RecordChecker(options.limits)
        self._named_files: set[str] = set()

    def close(self) -> None:
        if self._reject_out is not None:
            self._reject_out.close()

    # -- the call -----------------------------------------------------------------------
    def read_first(self, sources: Sequence[Any]) -> tuple[Iterator[Item], list[Item]] | None:
        """The first source's reader and its first batch, read before the transaction."""
        if not sources:
            return None
        items = read_records(sources[0], self.options.fmt)
        return items, list(itertools.islice(items, self.options.batch_size))

    def run(
        self,
        conn: Connection,
        sources: Sequence[Any],
        first: tuple[Iterator[Item], list[Item]] | None = None,
    ) -> None:
        for n, source in enumerate(sources):
            label = str(source) if isinstance(source, str | Path) else "input"
            if n == 0 and first is not None:
                items, batch = first
            else:
                items = read_records(source, self.options.fmt)
                batch = list(itertools.islice(items, self.options.batch_size))
            while batch:
                self._batch(conn, label, batch)
                batch = list(itertools.islice(items, self.options.batch_size))

    def _batch(self, conn: Connection, label: str, batch: list[Item]) -> None:
        if self._checked_as_block(batch):
            self.report.received += len(batch)
            self._bytes += sum(item.size for item in batch)
            assert self.options.collection is not None
            self._write(conn, label, self.options.collection, [(item, None) for item in batch])
        else:
            self._check_each(conn, label, batch)
        if self.progress:
            self.progress(len(batch), self._bytes)
            self._bytes = 0

    def _checked_as_block(self, batch: list[Item]) -> bool:
        """Whether the batch can skip the per-record walk: decoded NDJSON lines, all valid,
        bound for one named collection that evolves (strict modes type and refuse record by
        record, routing decides per record)."""
        name = self.options.collection
        if name is None or any(item.error is not None for item in batch):
            return False
        coll = self.catalog.find(name)
        if coll is not None and coll.evolution != "evolve":
            return False
        return self._checker.check_block(
            [item.record for item in batch], [item.size for item in batch]
        )

    def _check_each(self, conn: Connection, label: str, batch: list[Item]) -> None:
        groups: dict[str, list[tuple[Item, _Leaves]]] = defaultdict(list)
        check = self._checker.check
        for item in batch:
            self.report.received += 1
            self._bytes += item.size
            if item.error is not None:
                self._reject(label, item, item.error)
                continue
            if type(item.record) is dict and "" in item.record:
                item.record = name_blank(item.record)
            try:
                leaves = check(item.record, item.size)
            except RecordProblem as problem:
                self._reject(label, item, str(problem))
                continue
            name = self.options.collection or self._route(label, item.position, item.record)
            groups[name].append((item, leaves))
        for name, rows in groups.items():
            self._write(conn, label, name, rows)

    def _route(self, label: str, position: int, record: Mapping[str, Any]) -> str:
        candidates = [
            *self.catalog.all(),
            *(c for c in self.pending.values() if self.catalog.find(c.name) is None),
        ]
        decision: RouteDecision = self.router.route(record, candidates)
        if decision.created and decision.collection not in self.pending:
            decision = self._named_after_file(label, decision)
        if decision.created and decision.collection not in self.pending:
            self.pending[decision.collection] = self._new_collection(
                decision.collection, named=False
            )
        target = self.catalog.find(decision.collection) or self.pending[decision.collection]
        self.router.learn(target, record)
        if self.options.explain:
            self.report.decisions.append(
                Decision(
                    label,
                    position,
                    decision.collection,
                    decision.score,
                    decision.reason,
                    decision.created,
                )
            )
        return decision.collection

    def _named_after_file(self, label: str, decision: RouteDecision) -> RouteDecision:
        """The first new collection of a file is named after the file, when nothing in the
        records named it (the router fell back to ``records``) and the file's name is a
        good collection name (``users.csv.gz`` → users) that is free."""
        fallback = decision.collection.removeprefix(FALLBACK)
        if fallback and not (fallback[:1] == "_" and fallback[1:].isdigit()):
            return decision  # the records themselves named it (an id prefix, a pattern)
        if label in self._named_files or label in ("input", "stdin", "-"):
            return decision
        self._named_files.add(label)
        name = file_collection_name(label)
        if name is None or self.catalog.find(name) is not None or name in self.pending:
            return decision
        return dataclasses.replace(
            decision, collection=name, reason=f"named after the file {Path(label).name}"
        )

    def _new_collection(self, name: str, *, named: bool = True) -> Collection:
        """A collection this call creates; options name its roles only when it was named."""
        o = self.options
        overrides = {
            k: v
            for k, v in (("kind", o.kind), ("key_field", o.key), ("time_field", o.time_field))
            if v and named
        }
        return Collection(
            name=valid_collection_name(name),
            evolution=o.evolution or "evolve",
            overrides=overrides,
            **overrides,
        )

    def _reject(self, label: str, item: Item, reason: str, *, schema: bool = False) -> None:
        if self.options.on_error == "fail":
            error = SchemaError if schema else InputError
            raise error(
                f"{item.where} of {label}: {reason}",
                hint="nothing was written; fix the record, or pass --on-error skip "
                "(with --reject-file PATH to keep the bad records)",
                line=item.position,
                source=label,
            )
        self.report.rejected += 1
        if len(self.report.rejections) < MAX_REPORTED_REJECTIONS:
            self.report.rejections.append(Rejection(label, item.position, reason))
        if self.options.reject_file is not None:
            if self._reject_out is None:
                self._reject_out = self.options.reject_file.open("wb")
            entry: dict[str, Any] = {
                "source": label,
                "line" if item.line else "record": item.position,
                "reason": reason,
            }
            if item.text is not None:  # what could not be decoded, as it was written
                entry["text"] = item.text.decode("utf-8", "replace")
            else:
                entry["record"] = item.record
            self._reject_out.write(orjson.dumps(entry, default=str) + b"\n")

    # -- one collection's share of a batch ------------------------------------------------
    def _draft(self, name: str) -> Collection | None:
        """This call's own copy of a collection: readers keep the published one until the
        transaction commits (the catalog publishes the saved copy then)."""
        draft = self.drafts.get(name)
        if draft is None:
            found = self.catalog.find(name)
            if found is not None:
                draft = self.drafts[name] = found.model_copy(deep=True)
        return draft

    def _write(
        self,
        conn: Connection,
        label: str,
        name: str,
        rows: list[tuple[Item, _Leaves]],
    ) -> None:
        existing = self._draft(name)
        coll = existing or self.pending.get(name) or self._new_collection(name)
        self.pending.pop(name, None)
        is_new = existing is None
        if coll.key_field:
            # a record refused for its key must not widen or extend the schema either
            rows = self._with_keys(label, coll, rows)
        strict = not is_new and coll.evolution != "evolve"
        current = {path: f.type for path, f in coll.fields.items() if f.column is not None}
        if strict:
            planned, items, leaves, columns = self._type_strict(label, rows, coll, current)
        else:
            items = [item for item, _ in rows]
            leaves = [lv for _, lv in rows]
            units = {p: f.unit for p, f in coll.fields.items() if f.unit and f.column}
            columns = type_columns([item.record for item in items], current, units)
            _make_room(coll, columns)
            planned = _planned(columns, coll, items)
        if not items:
            return
        if is_new and not planned:
            # Only nulls so far: there is no type to give any field, so nothing to store.
            for item in items:
                self._reject(
                    label,
                    item,
                    "every field of the record is null, and the new "
                    f"collection {name!r} has no typed field to hold it",
                )
            return
        reasons = {c.key: c.written.reason for c in columns if c.written and c.written.reason}
        self._evolve(conn, coll, planned, is_new, [item.record for item in items], reasons)
        self._check_keys(label, coll, items, leaves, columns)
        if not items:
            return
        top = [f for f in coll.top_fields() if f.column]
        table_columns = [f.column for f in top if f.column]
        out = storage_rows(top, {c.key: c for c in columns}, len(items), self.store)
        key = coll.fields.get(coll.key_field) if coll.key_field else None
        self.store.insert_rows(
            conn, coll, table_columns, out, upsert_on=key.column if key is not None else None
        )
        for hook in self.write_hooks:
            hook(conn, coll, table_columns, out)
        self._observe(coll, columns, leaves, [item.record for item in items])
        if is_new and name not in self.report.created:
            self.report.created.append(name)
        self.catalog.save(conn, coll)
        self.report.written += len(out)
        self.report.collections[name] = self.report.collections.get(name, 0) + len(out)

    def _type_strict(
        self,
        label: str,
        rows: list[tuple[Item, _Leaves]],
        coll: Collection,
        current: dict[str, FieldType],
    ) -> tuple[dict[str, FieldType], list[Item], list[_Leaves], list[Column]]:
        """Type record by record, refusing what a frozen or discarding schema does not fit."""
        planned: dict[str, FieldType] = {}
        items: list[Item] = []
        leaves: list[_Leaves] = []
        typed_records: list[_Typed] = []
        for item, item_leaves in rows:
            typed = self._type_record(label, item, coll, planned, True, current)
            if typed is not None:
                items.append(item)
                leaves.append(item_leaves)
                typed_records.append(typed)
        return planned, items, leaves, columns_from_typed(typed_records, current)

    def _type_record(
        self,
        label: str,
        item: Item,
        coll: Collection,
        planned: dict[str, FieldType],
        strict: bool,
        current: dict[str, FieldType],
    ) -> _Typed | None:
        """Type every top-level value; widen ``planned`` (or refuse, for strict modes).

        Collections that evolve are typed a column at a time (:func:`type_columns`); this
        record-at-a-time path serves the strict modes, whose refusals are per record.
        ``current`` is each field's type as this batch has widened it so far (the schema's
        type overlaid with ``planned``); the two fast paths give what :func:`typed_value`
        would, without its calls.
        """
        typed: _Typed = {}
        stable = STABLE
        for key, value in item.record.items():
            if value is None:
                typed[key] = NULL
                continue
            cur = current.get(key)
            fits = stable.get((type(value), cur))
            if fits is not None:
                typed[key] = (fits, value)
                continue
            if cur is FieldType.TIMESTAMP and type(value) is str:
                moment = time_of(value)
                if moment is not None:
                    typed[key] = (FieldType.TIMESTAMP, moment)
                    continue
            if type(value) is str and cur is not None and cur is not FieldType.TEXT:
                reading = read_field_text(key, value, cur)
                if reading is not None:
                    if reading.type is None:
                        typed[key] = NULL
                        continue
                    if widen(cur, reading.type) is cur:
                        typed[key] = (reading.type, reading.value)
                        continue
            f = coll.fields.get(key)
            vt, parsed = typed_value(
                value, cur, f is None and key not in planned and looks_like_time_name(key)
            )
            if vt is None:
                typed[key] = NULL
                continue
            target = widen(cur, vt) if cur is not None else vt
            if strict and (f is None or target is not f.type):
                problem = (
                    f"field {key!r} is not in the schema of {coll.name!r}"
                    if f is None
                    else f"field {key!r} is {f.type}, not {vt}"
                )
                if coll.evolution == "discard_value":
                    self.report.discarded += 1
                    continue
                if coll.evolution == "discard_row":
                    self.report.discarded += 1
                    return None
                self._reject(label, item, f"{problem} (the collection is frozen)", schema=True)
                return None
            planned[key] = current[key] = target
            typed[key] = (vt, parsed)
        if not typed:
            self._reject(
                label, item, "no field of the record fits the collection's schema", schema=True
            )
            return None
        return typed

    def _evolve(
        self,
        conn: Connection,
        coll: Collection,
        planned: dict[str, FieldType],
        is_new: bool,
        sample: list[Mapping[str, Any]],
        reasons: Mapping[str, str] | None = None,
    ) -> None:
        change = SchemaChange(version=coll.schema_version + 1, at=datetime.now(UTC))
        notes: list[str] = []
        limit = self.options.limits.max_columns
        adding = sum(1 for key in planned if key not in coll.fields)
        if adding and len(coll.top_fields()) + adding > limit:
            raise SchemaError(
                f"{coll.name!r} would have {len(coll.top_fields()) + adding:,} top-level "
                f"fields; the limit is {limit:,} per collection",
                hint="nest related fields in an object (one JSON column, its leaves still "
                "queryable), or split the records into several collections",
            )
        taken = {f.column for f in coll.top_fields() if f.column} | {"_rid"}
        for key, ftype in planned.items():
            f = coll.fields.get(key)
            if f is None:
                col = column_name(key, taken)
                taken.add(col)
                f = Field(path=key, type=ftype, column=col, since_version=change.version)
                coll.fields[key] = f
                change.added[key] = ftype
                if not is_new:
                    self.store.add_column(conn, coll, f)
            elif f.type is not ftype:
                change.widened[key] = (f.type, ftype)
                old, f.type = f.type, ftype
                self.store.widen_column(conn, coll, f, old, ftype)
                if reasons and key in reasons:
                    notes.append(f"{key}: {reasons[key]}")
                if key == coll.time_field and ftype is not FieldType.TIMESTAMP:
                    coll.time_field = None  # a time field holds times; records stay warm
                    notes.append(f"{key} is no longer a timestamp, so no longer the time field")
        if not (change.added or change.widened):
            return
        change.note = "; ".join(notes)
        coll.schema_version = change.version
        if is_new:
            self._infer_roles(coll, sample)
            change.note = _roles_note(coll)
            self.store.create_table(conn, coll)
            self.store.ensure_key_index(conn, coll)
        coll.history.append(change)
        self.report.schema_changes.setdefault(coll.name, []).append(change)

    def _infer_roles(self, coll: Collection, sample: list[Mapping[str, Any]]) -> None:
        o = coll.overrides
        for role in ("key_field", "time_field"):
            if role in o and o[role] not in coll.fields:
                raise SchemaError(
                    f"{role.replace('_', ' ')} {o[role]!r} is not a field of the "
                    f"records for {coll.name!r}",
                    hint=f"fields: {', '.join(list(coll.fields)[:20])}",
                )
        if o.get("key_field"):
            coll.key_field, coll.key_reason = o["key_field"], "set by hand"
        else:
            found = explain_key_field(coll, sample, self.catalog.names())
            coll.key_field, coll.key_reason = found if found else (None, "")
        coll.time_field = o.get("time_field") or choose_time_field(coll)
        coll.kind = o.get("kind") or choose_kind(coll)

    def _with_keys(
        self, label: str, coll: Collection, rows: list[tuple[Item, _Leaves]]
    ) -> list[tuple[Item, _Leaves]]:
        """The rows whose key is present and scalar; the others are rejected."""
        key = coll.key_field or ""
        keep = []
        for item, item_leaves in rows:
            value = item.record.get(key)
            if value is None or isinstance(value, dict | list):
                self._reject(
                    label,
                    item,
                    f"the key field {key!r} of {coll.name!r} is missing, null or not a scalar",
                )
                continue
            keep.append((item, item_leaves))
        return keep

    def _check_keys(
        self,
        label: str,
        coll: Collection,
        items: list[Item],
        leaves: list[_Leaves],
        columns: list[Column],
    ) -> None:
        """Reject records whose key is missing, null or not a scalar (dropping their rows)."""
        if not coll.key_field:
            return
        column = next((c for c in columns if c.key == coll.key_field), None)
        values = column.values if column is not None else [None] * len(items)
        bad = [i for i, v in enumerate(values) if v is None or isinstance(v, dict | list)]
        if not bad:
            return
        for i in bad:
            self._reject(
                label,
                items[i],
                f"the key field {coll.key_field!r} of "
                f"{coll.name!r} is missing, null or not a scalar",
            )
        refused = set(bad)
        keep = [i for i in range(len(items)) if i not in refused]
        items[:] = [items[i] for i in keep]
        leaves[:] = [leaves[i] for i in keep]
        keep_rows(columns, keep, [item.record for item in items])

    def _observe(
        self,
        coll: Collection,
        columns: list[Column],
        leaves: list[_Leaves],
        records: list[dict[str, Any]],
    ) -> None:
        """Update field statistics and nested-leaf types from the rows just written.

        Values are counted in one call per field, which gives the same statistics as
        observing them one by one. A nested leaf's field appears with its first non-null
        value (its nulls count from then on). A batch checked as a block has no per-record
        leaves; its nested values are gathered per path from the JSON columns instead
        (:func:`nested_values`, equal to this loop over the walk's leaves).
        """
        fields = coll.fields
        for column in columns:
            f = fields.get(column.key)
            if f is not None:
                f.observe_many(column.values, absent=column.absent)
                written = column.written
                if written is not None:
                    f.read_from_text(written.count, written.examples, written.unit)
                    if written.reason and f.type is FieldType.TEXT:
                        f.text_note = written.reason
        nested: dict[str, list[Any]] = {}
        if leaves and leaves[0] is None:  # the batch was checked as a block
            tops = [(c.key, c.values) for c in columns if c.type is FieldType.JSON]
            nested = nested_values(tops, records, _LeafPaths(coll))
        known = _LeafPaths(coll)
        for row in leaves:
            for path, value in row or ():
                values = nested.get(path)
                if values is None:
                    if value is None and path not in known:
                        continue
                    values = nested[path] = []
                values.append(value)
        for found, values in nested.items():
            path = coll.leaf_key(found)
            f = fields.get(path)
            vt = leaves_type(values, f.type if f is not None else None)
            if f is None:
                f = fields[path] = Field(path=path, type=vt, since_version=coll.schema_version)
            elif f.type is not vt:
                f.type = vt
            f.observe_many(values)
        coll.records += len(leaves)


class _LeafPaths:
    """The leaf paths a collection knows (a top-level field named like a path is not one)."""

    def __init__(self, coll: Collection) -> None:
        self.fields = coll.fields

    def __contains__(self, path: object) -> bool:
        f = self.fields.get(path)  # type: ignore[call-overload]
        return f is not None and f.column is None


def _make_room(coll: Collection, columns: list[Column]) -> None:
    """A new top-level field named like a known leaf (``a.b`` beside a leaf b of a) takes
    the name; the leaf moves to its fully quoted path (``"a"."b"``)."""
    fields = coll.fields
    for c in columns:
        f = fields.get(c.key)
        if f is not None and f.column is None and c.type is not None:
            moved = join_path(f.segments, quote_all=True)
            del fields[c.key]
            f.path = moved
            fields[moved] = f


def _roles_note(coll: Collection) -> str:
    return f"created as {coll.kind}; key {coll.key_field or '-'}; time {coll.time_field or '-'}"


def _planned(columns: list[Column], coll: Collection, items: list[Item]) -> dict[str, FieldType]:
    """Fields this batch adds or widens, in the order their first values arrived."""
    changes = []
    for c in columns:
        if c.type is None:
            continue
        f = coll.fields.get(c.key)
        if f is None or f.type is not c.type:
            position = list(items[c.first].record).index(c.key)
            changes.append((c.first, position, c.key, c.type))
    changes.sort()
    return {key: ftype for _, _, key, ftype in changes}
