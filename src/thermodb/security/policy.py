"""Row filters and field masks, compiled into the QuerySpec *before* it is planned.

Row filters bound to token claims (``tenant_id = claims.tenant``) are ANDed into the spec's
``where`` and into the ``where`` of every link to a filtered collection, so no query shape
can reach rows outside them. Masked fields may be listed (their values come back masked)
but never filtered, grouped, ordered or aggregated on, because a filter like
``email starts_with 'j'`` would reveal what the mask hides.

A mask covers a field and everything under it: with ``profile`` masked, ``profile.ssn`` is
masked too; a mask on a nested path (``profile.ssn``) masks that leaf wherever it comes
back, inside the whole ``profile`` object as well, and makes ``profile`` itself unusable in
filters, groups and orders.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson

from thermodb.errors import InputError, PermissionDeniedError
from thermodb.query.spec import And, Condition, Filter, Link, Not, Or, QuerySpec
from thermodb.security.config import MaskRule, SecurityConfig
from thermodb.security.principal import Principal

__all__ = ["MAX_FILTER_DEPTH", "Policy", "mask_column", "mask_value"]

MAX_FILTER_DEPTH = 32
"""The deepest and/or/not nesting a QuerySpec's conditions may have (deeper ones would
exhaust the engines' expression depth or Python's recursion)."""


def mask_value(value: Any, style: str) -> Any:
    """``j***@example.com`` for email, ``****1234`` for last4, a short digest for hash."""
    if value is None:
        return None
    text = str(value)
    if style == "email":
        local, at, domain = text.partition("@")
        return f"{local[:1]}***@{domain}" if at else "***"
    if style == "last4":
        return "****" + text[-4:] if len(text) > 4 else "****"
    if style == "hash":
        return "h:" + hashlib.sha256(text.encode()).hexdigest()[:12]
    return "***"


class Policy:
    """The row filters and masks of a :class:`SecurityConfig`, applied per principal."""

    def __init__(self, config: SecurityConfig) -> None:
        self.config = config

    # -- row filters ---------------------------------------------------------------------
    def row_filter(self, principal: Principal, collection: str) -> Filter | None:
        """The condition this principal's reads of ``collection`` must satisfy, if any."""
        conditions: list[Filter] = []
        for rule in self.config.row_filters.get(collection, []):
            if principal.role in rule.exempt_roles:
                continue
            value = principal.claims.get(rule.claim)
            if value is None or isinstance(value, dict | list):
                raise PermissionDeniedError(
                    f"reads of {collection!r} are limited by the {rule.claim!r} claim, "
                    "which your credentials do not carry",
                    hint=f"use a token or key with a scalar {rule.claim!r} claim",
                    code="row_filter",
                )
            conditions.append(Condition(field=rule.field, op="=", value=value))
        if not conditions:
            return None
        return conditions[0] if len(conditions) == 1 else And(and_=conditions)

    def check_record(self, principal: Principal, collection: str, record: dict[str, Any]) -> bool:
        """True if a record (fetched by key, or about to be written) passes the row filter."""
        for rule in self.config.row_filters.get(collection, []):
            if principal.role in rule.exempt_roles:
                continue
            claim = principal.claims.get(rule.claim)
            if claim is None or record.get(rule.field) != claim:
                return False
        return True

    def restricted(self, principal: Principal, collection: str) -> bool:
        """True if a row filter or a mask applies to this principal on ``collection``."""
        return self.row_filter(principal, collection) is not None or bool(
            self.masks_for(principal, collection)
        )

    # -- masks ---------------------------------------------------------------------------
    def masks_for(self, principal: Principal, collection: str) -> dict[str, MaskRule]:
        rules = self.config.masks.get(collection, {})
        return {f: r for f, r in rules.items() if principal.role not in r.unmasked_roles}

    def mask_record(
        self, principal: Principal, collection: str, record: dict[str, Any]
    ) -> dict[str, Any]:
        masks = self.masks_for(principal, collection)
        if not masks:
            return record
        return {k: mask_column(k, v, masks) for k, v in record.items()}

    def mask_rows(
        self,
        principal: Principal,
        spec: QuerySpec,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
    ) -> list[list[Any]]:
        """Rows of a listing with masked columns (of the collection and lookup links) masked."""
        masked: dict[int, tuple[str, dict[str, MaskRule]]] = {}
        masks = self.masks_for(principal, spec.collection)
        lookups = {link.name: link.collection for link in spec.links if link.kind == "lookup"}
        for i, col in enumerate(columns):
            if masks and _touches(col, masks):
                masked[i] = (col, masks)
            alias, dot, rest = col.partition(".")
            if dot and alias in lookups:
                linked = self.masks_for(principal, lookups[alias])
                if linked and _touches(rest, linked):
                    masked[i] = (rest, linked)
        if not masked:
            return [list(r) for r in rows]
        return [
            [
                mask_column(masked[i][0], v, masked[i][1]) if i in masked else v
                for i, v in enumerate(r)
            ]
            for r in rows
        ]

    # -- compiling a spec ----------------------------------------------------------------
    def compile(self, principal: Principal, spec: QuerySpec) -> QuerySpec:
        """The spec this principal may run: grants checked, row filters ANDed in, and masked
        fields refused anywhere but a plain listing."""
        principal.require("read", spec.collection)
        for link in spec.links:
            principal.require("read", link.collection)
        if _depth(spec.where) > MAX_FILTER_DEPTH or any(
            _depth(f) > MAX_FILTER_DEPTH for f in (spec.having, *(k.where for k in spec.links))
        ):
            raise InputError(
                f"the query's conditions are nested more than {MAX_FILTER_DEPTH} deep",
                hint="flatten and/or/not: (a and (b and c)) is a and b and c",
            )
        self._refuse_masked(principal, spec)
        update: dict[str, Any] = {}
        own = self.row_filter(principal, spec.collection)
        if own is not None:
            update["where"] = own if spec.where is None else And(and_=[own, spec.where])
        links: list[Link] = []
        changed = False
        for link in spec.links:
            extra = self.row_filter(principal, link.collection)
            if extra is not None:
                where = extra if link.where is None else And(and_=[extra, link.where])
                links.append(link.model_copy(update={"where": where}))
                changed = True
            else:
                links.append(link)
        if changed:
            update["links"] = links
        if not update:
            return spec
        # re-validate: model_copy skips validation, and the planner deserves a checked spec
        return QuerySpec.model_validate(
            spec.model_copy(update=update).model_dump(by_alias=True, exclude_unset=False)
        )

    def _refuse_masked(self, principal: Principal, spec: QuerySpec) -> None:
        masked = set(self.masks_for(principal, spec.collection))
        for link in spec.links:
            aggregated = link.aggregate.field if link.aggregate is not None else None
            for f in self.masks_for(principal, link.collection):
                masked.add(f"{link.name}.{f}")
                for name in [*_filter_fields(link.where), *([aggregated] if aggregated else [])]:
                    if _related(name, f):
                        _refuse(link.collection, f)
                if link.on is not None and _related(link.on[1], f):
                    _refuse(link.collection, link.on[1])
        if not masked:
            return
        used: list[str] = list(_filter_fields(spec.where)) + list(_filter_fields(spec.having))
        used += [g.field for g in spec.group_by if g.field]
        used += [a.field for a in spec.aggregates if a.field]
        used += [o.field for o in spec.order]
        if spec.time is not None and spec.time.field:
            used.append(spec.time.field)
        if spec.distinct and spec.select:
            used += spec.select
        if spec.links:
            used += [link.on[0] for link in spec.links if link.on]
        for name in used:
            for m in masked:
                if _related(name, m):
                    _refuse(spec.collection, m)


def mask_column(column: str, value: Any, masks: dict[str, MaskRule]) -> Any:
    """The value of ``column`` as the masks let it be seen: masked whole when the column
    is a masked field or lies under one, with masked leaves inside when a mask names a
    path below it."""
    for field, rule in masks.items():
        if column == field or column.startswith(field + "."):
            return mask_value(value, rule.style)
    below = {f[len(column) + 1 :]: r.style for f, r in masks.items() if f.startswith(column + ".")}
    if not below or value is None:
        return value
    if isinstance(value, str) and value[:1] in "{[":
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return mask_value(value, next(iter(below.values())))
    if not isinstance(value, dict | list):
        return mask_value(value, next(iter(below.values())))
    value = copy.deepcopy(value)
    for path, style in below.items():
        _mask_path(value, path.split("."), style)
    return value


def _mask_path(node: Any, path: list[str], style: str) -> None:
    if isinstance(node, list):
        for item in node:
            _mask_path(item, path, style)
        return
    if not isinstance(node, dict) or path[0] not in node:
        return
    if len(path) == 1:
        node[path[0]] = mask_value(node[path[0]], style)
    else:
        _mask_path(node[path[0]], path[1:], style)


def _touches(column: str, masks: dict[str, MaskRule]) -> bool:
    """True if ``column`` is masked, lies under a masked field or holds a masked leaf."""
    return any(_related(column, field) for field in masks)


def _related(name: str, field: str) -> bool:
    """``name`` is ``field``, lies under it, or holds it (either reveals the other)."""
    return name == field or name.startswith(field + ".") or field.startswith(name + ".")


def _depth(node: Filter | None) -> int:
    """How deeply and/or/not nest in a condition (iteratively: it may be very deep)."""
    deepest = 0
    stack: list[tuple[Filter | None, int]] = [(node, 1)]
    while stack:
        item, level = stack.pop()
        if item is None:
            continue
        deepest = max(deepest, level)
        if level > MAX_FILTER_DEPTH:
            break
        if isinstance(item, And):
            stack += [(child, level + 1) for child in item.and_]
        elif isinstance(item, Or):
            stack += [(child, level + 1) for child in item.or_]
        elif isinstance(item, Not):
            stack.append((item.not_, level + 1))
    return deepest


def _refuse(collection: str, field: str) -> None:
    raise PermissionDeniedError(
        f"the field {field!r} of {collection!r} is masked for you, so it cannot be "
        "filtered, grouped, ordered or aggregated on",
        hint="list it (its values come back masked) or ask an admin",
        code="masked_field",
    )


def _filter_fields(node: Filter | None) -> Iterator[str]:
    if node is None:
        return
    if isinstance(node, Condition):
        yield node.field
    elif isinstance(node, And):
        for child in node.and_:
            yield from _filter_fields(child)
    elif isinstance(node, Or):
        for child in node.or_:
            yield from _filter_fields(child)
    elif isinstance(node, Not):
        yield from _filter_fields(node.not_)
