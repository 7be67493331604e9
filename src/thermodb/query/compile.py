"""Compiling a QuerySpec into one SQLAlchemy Core SELECT for the operational store.

Values are bound parameters; identifiers come from the catalog (see
:mod:`thermodb.query.fields`). The output columns carry the converter that turns each
stored value into its JSON form, so executors return raw rows and :class:`Result` is made
in one place.

The compiler is one class for every engine: whatever differs between engines it asks the
backend (:mod:`thermodb.storage.backends`): JSON leaves, text forms, buckets, percentiles,
where nulls sort. Semantics are fixed here, the same on every store: filters use
two-valued logic (:mod:`thermodb.query.filters`); ``order`` puts nulls last in both
directions; grouped rows without an order come in group-key order; a percentile is
continuous with linear interpolation.

Features extend :class:`SpecCompiler` at its named steps (``_aggregate_expr`` for a new
aggregate, ``_group_key`` for a derived key, ``_link`` for a subquery), so a feature
is one method, compiled alike for the operational store and for DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FromClause

from thermodb.catalog.store import Catalog
from thermodb.catalog.types import FieldType
from thermodb.errors import QueryError
from thermodb.query.buckets import bucket_expr
from thermodb.query.fields import FieldRef, Scope
from thermodb.query.filters import compile_filter, to_datetime
from thermodb.query.links import infer_on, join_condition, zero
from thermodb.query.result import Converter, converter_for
from thermodb.query.spec import Aggregate, GroupKey, Link, OrderKey, QuerySpec
from thermodb.storage.backends.base import QueryBackend
from thermodb.storage.operational import OperationalStore

__all__ = ["Compiled", "OutputColumn", "SpecCompiler", "compile_spec"]


@dataclass(frozen=True)
class OutputColumn:
    name: str
    converter: Converter
    type: FieldType | None = None


@dataclass
class Compiled:
    """One store's share of a plan: the statement and how to read its rows."""

    statement: sa.Select[Any]
    columns: list[OutputColumn]
    collections: list[str]
    uses_percentile: bool = False
    notes: list[str] = field(default_factory=list)


def compile_spec(
    spec: QuerySpec,
    catalog: Catalog,
    store: OperationalStore,
    backend: QueryBackend | None = None,
) -> Compiled:
    """The SELECT that answers ``spec`` over ``store``'s tables, for ``backend``'s engine
    (the operational store's own by default)."""
    return SpecCompiler(spec, catalog, store, backend).compile()


class SpecCompiler:
    """Compiles one QuerySpec for one backend."""

    def __init__(
        self,
        spec: QuerySpec,
        catalog: Catalog,
        store: OperationalStore,
        backend: QueryBackend | None = None,
    ) -> None:
        self.spec = spec
        self.catalog = catalog
        self.store = store
        self.backend: QueryBackend = backend or store.backend
        self.uses_percentile = False
        self.collections: list[str] = []
        self.aliases = 0
        self.never_null: set[str] = set()
        """Output names that cannot be null (counts), so ordering them needs no NULLS LAST."""

    # -- the statement --------------------------------------------------------------------
    def compile(self) -> Compiled:
        spec = self.spec
        coll = self.catalog.get(spec.collection)
        self.collections.append(coll.name)
        table = self.store.table(coll)
        scope = Scope(self.backend, coll, table)
        source: FromClause = table
        where: list[ColumnElement[bool]] = []
        for link in spec.links:
            source = self._link(link, scope, source, where)
        if spec.where is not None:
            where.append(compile_filter(spec.where, scope.field, self.backend))
        if spec.time is not None:
            where += self._time(scope)
        if spec.is_aggregate:
            stmt, columns, names = self._aggregate(scope)
        else:
            stmt, columns, names = self._listing(scope)
        stmt = stmt.select_from(source)
        if where:
            stmt = stmt.where(sa.and_(*where))
        if spec.having is not None:
            stmt = stmt.having(compile_filter(spec.having, names.__getitem__, self.backend))
        order = [self._order(key, scope, names) for key in self._order_keys()]
        if order:
            stmt = stmt.order_by(*order)
        if spec.limit is not None:
            stmt = stmt.limit(spec.limit)
        if spec.offset:
            stmt = stmt.offset(spec.offset)
        return Compiled(stmt, columns, self.collections, self.uses_percentile)

    def _time(self, scope: Scope) -> list[ColumnElement[bool]]:
        rng = self.spec.time
        assert rng is not None
        name = rng.field or scope.collection.time_field
        if name is None:
            raise QueryError(
                f"{scope.collection.name!r} has no time field, so a time range needs one",
                hint='name the field: "time": {"field": "created_at", ...}',
            )
        ref = scope.field(name)
        if ref.type is not FieldType.TIMESTAMP:
            raise QueryError(f"{name!r} is {ref.type}, not a timestamp; it has no time range")
        out = []
        if rng.start is not None:
            out.append(ref.expr >= to_datetime(rng.start))
        if rng.end is not None:
            out.append(ref.expr < to_datetime(rng.end))
        return out

    # -- listings -------------------------------------------------------------------------
    def _listing(
        self, scope: Scope
    ) -> tuple[sa.Select[Any], list[OutputColumn], dict[str, FieldRef]]:
        spec = self.spec
        if spec.select:
            refs = [scope.field(name) for name in spec.select]
        else:
            refs = [scope.field(f.path) for f in scope.collection.top_fields()]
            refs += list(scope.values.values())
        labels = _unique([r.name for r in refs])
        stmt = sa.select(*(r.expr.label(lbl) for r, lbl in zip(refs, labels, strict=True)))
        if spec.distinct:
            stmt = stmt.distinct()
        columns = [
            OutputColumn(lbl, converter_for(r.type), r.type)
            for r, lbl in zip(refs, labels, strict=True)
        ]
        names = {r.name: r for r in refs}
        return stmt, columns, names

    # -- aggregates -----------------------------------------------------------------------
    def _aggregate(
        self, scope: Scope
    ) -> tuple[sa.Select[Any], list[OutputColumn], dict[str, FieldRef]]:
        spec = self.spec
        if spec.select:
            raise QueryError(
                "select lists fields of records, but this query aggregates them",
                hint="put the fields in group_by (or drop the aggregates to list records)",
            )
        exprs: list[ColumnElement[Any]] = []
        columns: list[OutputColumn] = []
        names: dict[str, FieldRef] = {}
        group: list[ColumnElement[Any]] = []
        for key in spec.group_by:
            ref = self._group_key(key, scope)
            group.append(ref.expr)
            exprs.append(ref.expr)
            columns.append(OutputColumn(ref.name, converter_for(ref.type), ref.type))
            names[ref.name] = ref
            if key.field and key.field not in names:
                names[key.field] = ref
        for agg in spec.aggregates:
            expr, ftype, conv = self._aggregate_expr(agg, scope)
            if agg.fn in ("count", "count_distinct"):
                self.never_null.add(agg.name)
            ref = FieldRef(agg.name, expr, ftype)
            exprs.append(expr)
            columns.append(OutputColumn(agg.name, conv, ftype))
            names[agg.name] = ref
        labels = _unique([c.name for c in columns])
        if labels != [c.name for c in columns]:
            raise QueryError(
                f"two output columns share a name ({', '.join(c.name for c in columns)})",
                hint="give the group keys and aggregates distinct aliases",
            )
        stmt = sa.select(*(e.label(lbl) for e, lbl in zip(exprs, labels, strict=True)))
        if group:
            stmt = stmt.group_by(*group)
        return stmt, columns, _NameMap(names, scope)

    def _group_key(self, key: GroupKey, scope: Scope) -> FieldRef:
        if key.bucket is None:
            assert key.field is not None
            ref = scope.field(key.field)
            if ref.type is FieldType.JSON:
                raise QueryError(
                    f"{key.field!r} holds JSON objects or lists and cannot be grouped by",
                    hint=f"group by one of its nested fields ({key.field}.NAME)",
                )
            return FieldRef(key.alias or key.field, ref.expr, ref.type, ref.leaf)
        name = key.field or scope.collection.time_field
        if name is None:
            raise QueryError(
                f"{scope.collection.name!r} has no time field to cut into {key.bucket}s",
                hint='name one: {"field": "created_at", "bucket": "day"}',
            )
        ref = scope.field(name)
        if ref.type is not FieldType.TIMESTAMP:
            raise QueryError(
                f"{name!r} is {ref.type}, not a timestamp, so it has no {key.bucket}s",
                hint="bucket a timestamp field",
            )
        default = (
            key.bucket
            if key.field in (None, scope.collection.time_field)
            else f"{name}_{key.bucket}"
        )
        expr = bucket_expr(ref.expr, key.bucket, self.backend)
        return FieldRef(key.alias or default, expr, FieldType.TEXT)

    def _aggregate_expr(
        self, agg: Aggregate, scope: Scope
    ) -> tuple[ColumnElement[Any], FieldType | None, Converter]:
        if agg.field is None:
            return sa.func.count(), FieldType.INT, converter_for(FieldType.INT)
        ref = scope.field(agg.field)
        expr, ftype = ref.expr, ref.type
        if agg.fn == "count":
            return sa.func.count(expr), FieldType.INT, converter_for(FieldType.INT)
        if agg.fn == "count_distinct":
            return sa.func.count(sa.distinct(expr)), FieldType.INT, converter_for(FieldType.INT)
        if ftype is FieldType.JSON or (ftype is FieldType.BOOL and agg.fn in ("min", "max")):
            raise QueryError(f"{agg.fn} of {agg.field!r} ({ftype}) is not defined")
        if agg.fn in ("min", "max"):
            fn = sa.func.min if agg.fn == "min" else sa.func.max
            return fn(expr), ftype, converter_for(ftype)
        if ftype not in (FieldType.INT, FieldType.FLOAT):
            raise QueryError(
                f"{agg.fn} needs a numeric field; {agg.field!r} holds {ftype} values",
                hint="use count, count_distinct, min or max for it",
            )
        if agg.fn == "sum":
            return sa.func.sum(expr), ftype, converter_for(ftype)
        if agg.fn == "avg":
            return sa.func.avg(expr), FieldType.FLOAT, converter_for(None, as_float=True)
        assert agg.fn == "percentile" and agg.q is not None
        if not self.backend.capabilities.percentile:
            self.uses_percentile = True  # the executor registers the aggregate
        pct = self.backend.percentile(expr, agg.q)
        return pct, FieldType.FLOAT, converter_for(None, as_float=True)

    # -- order ----------------------------------------------------------------------------
    def _order_keys(self) -> list[OrderKey]:
        """The spec's order; grouped rows without one come in group-key order on every
        engine (the order SQLite gives them), so tiers and engines answer alike."""
        spec = self.spec
        if spec.order or not spec.is_aggregate or not spec.group_by:
            return list(spec.order)
        names = [self._group_name(key) for key in spec.group_by]
        return [OrderKey(field=name) for name in names if name is not None]

    def _group_name(self, key: GroupKey) -> str | None:
        if key.alias:
            return key.alias
        if key.bucket is None:
            return key.field
        coll = self.catalog.get(self.spec.collection)
        if key.field in (None, coll.time_field):
            return key.bucket
        return f"{key.field}_{key.bucket}"

    def _order(self, key: OrderKey, scope: Scope, names: dict[str, FieldRef]) -> ColumnElement[Any]:
        if self.spec.is_aggregate:
            ref = names.get(key.field)
            if ref is None:
                raise QueryError(
                    f"cannot order by {key.field!r}: it is not a group key or an aggregate",
                    hint=f"order by one of: {', '.join(names)}",
                )
            # By the output column's label: the expression may hold literals PostgreSQL
            # would otherwise have to match against the GROUP BY a second time.
            expr: ColumnElement[Any] = sa.literal_column(self.backend.quote(ref.name))
        else:
            expr = scope.field(key.field).expr
        ordered = expr.desc() if key.desc else expr.asc()
        # Nulls go last. Say NULLS LAST only where the engine would not put them there
        # (it can cost a top-N its fast path) and never for counts, which are never null.
        natural = self.backend.capabilities.nulls_come_last(key.desc)
        if natural or key.field in self.never_null:
            return ordered
        return ordered.nulls_last()

    # -- links ----------------------------------------------------------------------------
    def _link(
        self, link: Link, scope: Scope, source: FromClause, where: list[ColumnElement[bool]]
    ) -> FromClause:
        other = self.catalog.get(link.collection)
        self.collections.append(other.name)
        keys = infer_on(scope.collection, other, link)
        self.aliases += 1
        alias = self.store.table(other).alias(f"l{self.aliases}")
        inner = Scope(self.backend, other, alias)
        here = scope.field(keys.here)
        there = inner.field(keys.there)
        cond = (
            compile_filter(link.where, inner.field, self.backend)
            if link.where is not None
            else None
        )
        name = link.name
        if link.kind == "semi":
            wanted, have = there.expr, here.expr
            if here.type is not there.type:
                wanted, have = sa.cast(wanted, sa.Text()), sa.cast(have, sa.Text())
            sub = sa.select(wanted).select_from(alias)
            if cond is not None:
                sub = sub.where(cond)
            where.append(have.in_(sub.scalar_subquery()))
            return source
        if link.kind == "anti":
            sub = sa.select(sa.literal(1)).select_from(alias).where(join_condition(here, there))
            if cond is not None:
                sub = sub.where(cond)
            where.append(~sub.exists())
            return source
        if link.kind == "lookup":
            if cond is not None:
                raise QueryError(
                    "a lookup link takes no where clause",
                    hint=f"filter with {name}.FIELD in the query's where instead",
                )
            scope.lookups[name] = inner
            return source.outerjoin(alias, join_condition(here, there))
        assert link.aggregate is not None
        value, ftype, _ = self._aggregate_expr(link.aggregate, inner)
        sub = sa.select(there.expr.label("k"), value.label("v")).select_from(alias)
        if cond is not None:
            sub = sub.where(cond)
        agg_alias = sub.group_by(there.expr).subquery(f"a{self.aliases}")
        key_ref = FieldRef("k", agg_alias.c.k, there.type)
        result: ColumnElement[Any] = agg_alias.c.v
        if link.aggregate.fn in ("count", "count_distinct"):
            result = sa.func.coalesce(result, zero())
        scope.values[name] = FieldRef(name, sa.type_coerce(result, value.type), ftype)
        return source.outerjoin(agg_alias, join_condition(here, key_ref))


class _NameMap(dict[str, FieldRef]):
    """Output names of an aggregate query, for having and order.

    A missing name is an error that lists the names there are (not a KeyError).
    """

    def __init__(self, names: dict[str, FieldRef], scope: Scope) -> None:
        super().__init__(names)
        self.scope = scope

    def __missing__(self, key: str) -> FieldRef:
        raise QueryError(
            f"{key!r} is not a group key or an aggregate of this query",
            hint=f"use one of: {', '.join(self)}",
        )


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append(name if n == 0 else f"{name}_{n + 1}")
    return out
