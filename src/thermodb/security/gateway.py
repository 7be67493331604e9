"""`Gateway`: the one place where who-may-do-what is enforced, for HTTP and MCP alike.

Every front end that serves other people (the HTTP API, the MCP servers) calls these
methods with the authenticated :class:`Principal`; each checks grants, applies row filters
and masks, caps rows and appends to the audit log, then makes a short call into
:class:`~thermodb.database.Database`. The core itself never checks who is asking.
"""

from __future__ import annotations

import collections
import contextlib
import difflib
import hashlib
import inspect
import io
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal

import orjson

from thermodb.catalog.model import Collection
from thermodb.catalog.naming import valid_collection_name
from thermodb.database import Database
from thermodb.errors import (
    AccessError,
    ConfigError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    QueryError,
    RateLimitedError,
    SchemaError,
    ThermoError,
)
from thermodb.nl.scope import PromptScope
from thermodb.query.spec import QuerySpec
from thermodb.security.answers import Audited, QueryAnswer, explain_of, jsonable
from thermodb.security.audit import AuditLog, Signer
from thermodb.security.authn import Authenticator
from thermodb.security.config import SecurityConfig
from thermodb.security.keys import KeyStore
from thermodb.security.policy import Policy, mask_column
from thermodb.security.principal import Principal
from thermodb.security.ratelimit import RateLimiter, RateState
from thermodb.security.recent import RecentReads
from thermodb.security.sqlguard import PrincipalGrants

__all__ = ["Gateway", "QueryAnswer"]

RouteClass = Literal["read", "query", "write", "admin"]

IngestFormat = Literal["json", "ndjson", "csv"]


class Gateway:
    """Guarded access to one Database for authenticated callers."""

    def __init__(self, db: Database, config: SecurityConfig | None = None) -> None:
        self.db = db
        self.config = config or SecurityConfig.from_settings(getattr(db, "settings", None))
        self.keys = KeyStore(db.store, cache_s=self.config.key_cache_s)
        self.auth = Authenticator(self.config, self.keys)
        self.policy = Policy(self.config)
        self.limiter = RateLimiter(self.config)
        signer = Signer(self.config.hmac_key(), self.config.audit_ed25519_key)
        self.audit = AuditLog(db.store, signer, self.config.checkpoint_every)
        self._hits: dict[str, collections.deque[float]] = collections.defaultdict(
            lambda: collections.deque(maxlen=10_000)
        )
        self._hits_lock = threading.Lock()
        self._throttled: dict[str, float] = {}
        self._recent = RecentReads()
        self._answers = RecentReads(capacity=512)
        self._heavy = threading.BoundedSemaphore(self.config.max_concurrent_queries)

    # -- admission -----------------------------------------------------------------------
    def authenticate(
        self,
        authorization: str | None,
        api_key: str | None = None,
        *,
        where: str = "",
        source: str | None = None,
    ) -> Principal:
        """The caller, or AuthError (audited as an auth failure).

        Failures are rate-limited per ``source`` (the client address): past the limit its
        failures are answered with RateLimitedError (valid credentials still pass, so a
        shared address is not locked out), and the audit log gets one entry per throttled
        burst instead of one per attempt.
        """
        origin = source or "unknown"
        try:
            return self.auth.authenticate(authorization, api_key)
        except AccessError as exc:
            now = time.monotonic()
            until = self._throttled.get(origin)
            if until is not None and now < until:
                raise self._auth_throttled(until - now) from None  # not audited again
            try:
                self.limiter.take(
                    f"auth_failure:{origin}", self.config.auth_failure_limit, "failed logins"
                )
            except RateLimitedError as limited:
                retry = float(limited.details.get("retry_after") or 1)
                if len(self._throttled) > 10_000:
                    self._throttled.clear()
                self._throttled[origin] = now + retry
                self.audit.append(
                    "unknown", "auth.throttled", where, outcome="denied",
                    detail={"source": origin, "retry_after_s": retry},
                )  # fmt: skip
                raise limited from None
            # batched like reads: a flood of bad credentials must not become a flood of
            # synchronous writes (the entries still land within the flush interval)
            self.audit.enqueue(
                "unknown", "auth", where, outcome="denied",
                detail={"code": exc.details.get("code"), "source": origin},
            )  # fmt: skip
            raise

    def _auth_throttled(self, retry: float) -> RateLimitedError:
        seconds = max(1, math.ceil(retry))
        return RateLimitedError(
            "too many failed logins from this address",
            hint=f"retry after {seconds} s with valid credentials",
            code="rate_limited",
            retry_after=seconds,
        )

    def admit(self, principal: Principal, route_class: RouteClass) -> RateState:
        """Take a rate-limit token for this caller and route class."""
        return self.limiter.hit(principal.key_id or principal.subject, route_class)

    # -- collections ---------------------------------------------------------------------
    def list_collections(
        self, principal: Principal, only: str | None = None
    ) -> list[dict[str, Any]]:
        out = []
        for coll in self.db.collections():
            if only is not None and coll.name != only:
                continue
            if not principal.may("read", coll.name):
                continue
            restricted = self._filtered(principal, coll.name)
            out.append(
                {
                    "name": coll.name,
                    "kind": coll.kind,
                    "key_field": coll.key_field,
                    "time_field": coll.time_field,
                    "fields": len(coll.top_fields()),
                    "schema_version": coll.schema_version,
                    "rows": None if restricted else self.db.count(coll.name),
                }
            )
        return out

    def describe(self, principal: Principal, name: str) -> dict[str, Any]:
        with self._audited(principal, "describe", name, read=True):
            self._readable(principal, name)
            info = self.db.describe(name)
            masks = self.policy.masks_for(principal, name)
            filtered = self._filtered(principal, name)
            if filtered:
                info["rows"] = None
                info["records_ingested"] = None
            for f in info["fields"]:
                if filtered:
                    f["examples"] = []  # examples may come from rows outside the filter
                elif masks:
                    f["examples"] = [mask_column(f["field"], v, masks) for v in f["examples"]]
                f["masked"] = any(f["field"] == m or f["field"].startswith(m + ".") for m in masks)
            return info

    def create_collection(
        self,
        principal: Principal,
        name: str,
        records: list[dict[str, Any]],
        *,
        kind: Literal["entity", "event"] | None = None,
        key_field: str | None = None,
        time_field: str | None = None,
    ) -> dict[str, Any]:
        """A new collection from its first records, with settings fixed by hand.

        A schema is inferred from records, so a collection is born with at least one.
        """
        with self._audited(principal, "collection.create", name):
            principal.require_global("admin")
            valid_collection_name(name)
            if self.db.catalog.find(name) is not None:
                raise ConfigError(
                    f"a collection named {name!r} already exists",
                    hint="ingest into it, or drop it first",
                )
            if not records:
                raise InputError(
                    "a new collection needs at least one record to infer its schema from"
                )
            self.db.ingest(
                records, collection=name, kind=kind, key=key_field, time_field=time_field
            )
            return self.db.describe(name)

    def drop_collection(self, principal: Principal, name: str) -> None:
        with self._audited(principal, "collection.drop", name):
            self._exists(name, principal)
            principal.require("admin", name)
            self.db.drop(name)

    # -- records -------------------------------------------------------------------------
    def get(self, principal: Principal, collection: str, key: Any) -> dict[str, Any]:
        with self._audited(principal, "record.get", f"{collection}/{key}", read=True):
            self._readable(principal, collection)
            state = self.db.data_state(collection)  # before the read: a write after it wins
            record = self.db.get(collection, key)
            if state is not None and state[0] >= 0:
                self._recent.put((collection, str(key)), state, record)
            return self._visible_record(principal, collection, key, record)

    def get_fast(self, principal: Principal, collection: str, key: str) -> dict[str, Any] | None:
        """What get() answers, when a read of the same record is still current (one local
        read of the data version, no blocking I/O: fit for the event loop); else None."""
        if self.db.catalog.find(collection) is None:
            return None
        state = self.db.data_state(collection)
        hit = self._recent.get((collection, key), state) if state is not None else None
        if hit is None:
            return None
        with self._audited(principal, "record.get", f"{collection}/{key}", read=True):
            principal.require("read", collection)
            return self._visible_record(principal, collection, key, hit[0])

    def _visible_record(
        self, principal: Principal, collection: str, key: Any, record: dict[str, Any] | None
    ) -> dict[str, Any]:
        if record is None or not self.policy.check_record(principal, collection, record):
            # the same answer whether the record is missing or outside the row filter
            raise NotFoundError(f"no record with key {key!r} in {collection!r}")
        return self.policy.mask_record(principal, collection, record)

    def upsert(
        self, principal: Principal, collection: str, key: Any, record: dict[str, Any]
    ) -> dict[str, Any]:
        with self._audited(principal, "record.upsert", f"{collection}/{key}"):
            coll = self._exists(collection, principal)
            principal.require("write", collection)
            if not coll.key_field:
                raise InputError(
                    f"{collection!r} has no key field, so records cannot be written by key",
                    hint="ingest into it instead, or create it with a key field",
                )
            stored_key = record.get(coll.key_field, key)
            if str(stored_key) != str(key):
                raise InputError(
                    f"the record's {coll.key_field!r} ({stored_key!r}) differs from the key "
                    f"in the path ({key!r})",
                    hint="send the same key in both, or leave it out of the body",
                )
            record = {**record, coll.key_field: _key_value(coll, key)}
            self._check_writable_rows(principal, collection, [record])
            existing = self.db.get(collection, key)
            if existing is not None:
                self._check_writable_rows(principal, collection, [existing])
            report = self.db.ingest([record], collection=collection)
            return {"written": report.written, "created": existing is None}

    def delete(self, principal: Principal, collection: str, key: Any) -> None:
        with self._audited(principal, "record.delete", f"{collection}/{key}"):
            self._exists(collection, principal)
            principal.require("write", collection)
            existing = self.db.get(collection, key)
            if existing is None or not self.policy.check_record(principal, collection, existing):
                raise NotFoundError(f"no record with key {key!r} in {collection!r}")
            self.db.delete(collection, key)

    def ingest(
        self,
        principal: Principal,
        data: bytes | list[Any] | dict[str, Any],
        *,
        collection: str | None = None,
        fmt: IngestFormat = "json",
        on_error: Literal["fail", "skip"] = "fail",
    ) -> dict[str, Any]:
        """Ingest a body (bytes in ``fmt``) or parsed records, atomically."""
        with self._audited(principal, "ingest", collection or "*"):
            if collection is not None and self.db.catalog.find(collection) is not None:
                principal.require("write", collection)
            else:
                # routing may create collections: that needs write on every collection
                principal.require_global("write")
            if collection is None and any(
                self._filtered(principal, name) for name in self.config.row_filters
            ):
                raise PermissionDeniedError(
                    "row filters apply to you, so records cannot be routed automatically",
                    hint="name the target collection (?collection=...)",
                    code="row_filter",
                )
            source: Any
            if isinstance(data, bytes):
                source = io.BytesIO(data)
                if collection is not None and self.config.row_filters.get(collection):
                    source = _parse(data, fmt)
            else:
                source = [data] if isinstance(data, dict) else data
            if collection is not None and self.config.row_filters.get(collection):
                records = list(source)
                self._check_writable_rows(principal, collection, records)
                self._check_overwrites(principal, collection, records)
                source = records
            try:
                report = self.db.ingest(source, collection=collection, fmt=fmt, on_error=on_error)
            except (InputError, SchemaError) as exc:
                if "line" in exc.details:  # one bad record: say how to skip it over the API
                    exc.hint = (
                        "nothing was written; fix the record, or ingest with on_error=skip "
                        "to write the others and get the rejected ones listed"
                    )
                raise
            return report.to_dict()

    # -- queries -------------------------------------------------------------------------
    def query(self, principal: Principal, spec: QuerySpec) -> QueryAnswer:
        with self._audited(principal, "query", spec.collection, read=True, detail={"spec": spec}):
            self._exists(spec.collection, principal)
            compiled = self._capped(self.policy.compile(principal, spec))
            state = self._query_state(compiled)  # before running: a write after it wins
            with self._slot():
                result = self._engine("query")(compiled)
            if state is not None:
                self._answers.put(compiled.model_dump_json(), state, result)
            return self._answer(principal, compiled, result)

    def query_fast(self, principal: Principal, spec: QuerySpec) -> QueryAnswer | None:
        """What query() answers, when the same compiled query ran under the data versions
        that stand now (local reads only: fit for the event loop); else None."""
        if self.db.catalog.find(spec.collection) is None:
            return None
        try:
            compiled = self._capped(self.policy.compile(principal, spec))
        except ThermoError:
            return None  # query() refuses it, and audits the refusal
        state = self._query_state(compiled)
        hit = self._answers.get(compiled.model_dump_json(), state) if state else None
        if hit is None:
            return None
        with self._audited(principal, "query", spec.collection, read=True, detail={"spec": spec}):
            answer = self._answer(principal, compiled, hit[0])
        log = self.db.insights.log  # the workload the index advisor learns from
        if log.enabled:
            log.record("spec", compiled, 0.0, hit[0])
        return answer

    def _query_state(self, spec: QuerySpec) -> tuple[tuple[str, int, int], ...] | None:
        """(collection, catalog generation, data version) of everything ``spec`` reads,
        when the store reads them locally; None otherwise."""
        out = []
        for name in sorted({spec.collection, *(link.collection for link in spec.links)}):
            state = self.db.data_state(name)
            if state is None or state[0] < 0:
                return None
            out.append((name, *state))
        return tuple(out)

    def sql(self, principal: Principal, text: str) -> QueryAnswer:
        with self._audited(principal, "sql", "", read=True, detail={"sql": text[:2000]}):
            with self._slot():
                result = self._engine("sql")(
                    text,
                    max_rows=self.config.max_rows,
                    timeout=self.config.query_timeout_s,
                    grants=PrincipalGrants(principal, self.policy),
                )
            return self._cap_rows(
                list(result.columns),
                [list(r) for r in result.rows],
                explain_of(result),
                bool(getattr(result, "truncated", False)),
            )

    def ask(self, principal: Principal, question: str, conversation: Any = None) -> QueryAnswer:
        with self._audited(principal, "ask", "", read=True, detail={"question": question[:2000]}):
            ask = self._engine("ask")
            kwargs: dict[str, Any] = {"conversation": conversation}
            executed: list[QuerySpec] = []

            def transform(spec: QuerySpec) -> QuerySpec:
                compiled = self.policy.compile(principal, spec)
                executed.append(compiled)  # shown without the internal row-cap probe
                return self._capped(compiled)

            parameters = inspect.signature(ask).parameters
            if "transform" in parameters:
                kwargs["transform"] = transform
            if "scope" in parameters:
                kwargs["scope"] = self.prompt_scope(principal)
            elif principal.grants or self._any_policy(principal):
                raise PermissionDeniedError(
                    "natural-language questions are not available to callers with "
                    "per-collection grants, row filters or masks on this server yet",
                    hint="use the query endpoint with a QuerySpec",
                    code="ask_unguarded",
                )
            with self._slot():
                answer = ask(question, **kwargs)
            result = getattr(answer, "result", answer)
            spec = executed[-1] if executed else getattr(answer, "spec", None)
            if isinstance(spec, QuerySpec):
                out = self._answer(principal, spec, result)
            else:
                out = self._cap_rows(
                    list(result.columns), [list(r) for r in result.rows], explain_of(result)
                )
            for name in ("insight", "reading", "spec", "confidence"):
                value = getattr(answer, name, None)
                if value is not None and not callable(value):
                    out.extra[name] = (
                        value.model_dump(mode="json", by_alias=True)
                        if isinstance(value, QuerySpec)
                        else jsonable(value)
                    )
            return out

    def prompt_scope(self, principal: Principal) -> PromptScope:
        """What an LLM prompt may show this caller: the collections it may read, no values
        of masked fields or of collections a row filter binds it on, and examples kept per
        authority (role, grants and claims: callers who may see the same share them)."""
        names = [c.name for c in self.db.collections() if principal.may("read", c.name)]
        hidden = set()
        for name in names:
            if self._filtered(principal, name):
                hidden.add(name)
            hidden.update(f"{name}.{field}" for field in self.policy.masks_for(principal, name))
        authority = orjson.dumps(
            [principal.role, {k: sorted(v) for k, v in principal.grants.items()},
             dict(principal.claims)],
            option=orjson.OPT_SORT_KEYS, default=str,
        )  # fmt: skip
        key = "" if principal.is_admin and not principal.claims else _digest(authority)
        return PromptScope(frozenset(names), frozenset(hidden), key)

    # -- tiers ---------------------------------------------------------------------------
    def tiers(self, principal: Principal) -> list[dict[str, Any]]:
        """Rows and bytes per tier of the collections the caller may read."""
        out = []
        for row in self._engine("tiers")():
            name = row.get("collection", "")
            if not principal.may("read", name):
                continue
            hidden = self._filtered(principal, name)
            out.append(
                {
                    k: (None if hidden and k.endswith(("_rows", "_bytes")) else v)
                    for k, v in row.items()
                }
            )
        return out

    def explain_tiers(self, principal: Principal, collection: str) -> dict[str, Any]:
        """Why each segment of a collection is where it is (admin on it: it shows key ranges)."""
        with self._audited(principal, "tiers.explain", collection, read=True):
            self._exists(collection, principal)
            principal.require("admin", collection)
            return dict(self._engine("explain_tiers")(collection))

    def migrate(self, principal: Principal, *, dry_run: bool = False) -> dict[str, Any]:
        """Run one migration pass now (admin)."""
        with self._audited(principal, "tiers.migrate", "*", detail={"dry_run": dry_run}):
            principal.require_global("admin")
            report = self._engine("migrate")(dry_run=dry_run)
            return dict(report.to_dict())

    # -- registry ------------------------------------------------------------------------
    def domain_caller(self, principal: Principal, domain: str) -> Principal:
        """The caller narrowed to one domain service (``/mcp/{domain}``); denials audited."""
        with self._audited(principal, "mcp.domain", domain, read=True):
            if self.db.catalog.find(domain) is None:
                self.db.catalog.refresh()
            if self.db.catalog.find(domain) is None or not principal.may("read", domain):
                # the same answer whether the domain is missing or not the caller's
                raise NotFoundError(
                    f"no domain named {domain[:100]!r} that you may read",
                    hint="see GET /v1/domains",
                )
            return principal.narrowed(domain)

    def domains(self, principal: Principal, base_url: str = "") -> list[dict[str, Any]]:
        """Every domain service the caller may read: health, tier, size, rate, endpoint."""
        now = time.monotonic()
        out = []
        try:
            tiers = {t["collection"]: t for t in self.tiers(principal)}
        except QueryError:  # a build without the tier manager
            tiers = {}
        for item in self.list_collections(principal):
            with self._hits_lock:
                hits = self._hits.get(item["name"], collections.deque())
                recent = sum(1 for t in hits if now - t < 60)
            out.append(
                {
                    "name": item["name"],
                    "kind": item["kind"],
                    "health": "ok",
                    "tiers": {
                        "warm": tiers.get(item["name"], {}).get("warm_rows", item["rows"]),
                        "cold": tiers.get(item["name"], {}).get("cold_rows", 0),
                    },
                    "rows": item["rows"],
                    "requests_per_min": recent,
                    "mcp": f"{base_url}/mcp/{item['name']}",
                }
            )
        return out

    # -- helpers -------------------------------------------------------------------------
    @contextlib.contextmanager
    def _slot(self) -> Iterator[None]:
        """One of ``max_concurrent_queries`` places for heavy work, or RateLimitedError."""
        if not self._heavy.acquire(timeout=self.config.query_queue_s):
            raise RateLimitedError(
                "the server is busy with other queries",
                hint="retry in a moment; narrow the query if it is heavy",
                code="busy",
                retry_after=1,
            )
        try:
            yield
        finally:
            self._heavy.release()

    def _exists(self, name: str, principal: Principal) -> Collection:
        """The collection, or NotFoundError whose hint names only what the caller may read.

        The catalog in memory answers first (the engine call that follows checks the
        catalog generation itself); only a name it does not know costs a refresh."""
        known = self.db.catalog.find(name)
        if known is not None:
            return known
        try:
            return self.db.collection(name)
        except NotFoundError:
            visible = principal.visible(self.db.catalog.names())
            close = difflib.get_close_matches(name, visible, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            shown = ", ".join(visible[:30]) + (" ..." if len(visible) > 30 else "")
            raise NotFoundError(
                f"no collection named {name[:100]!r}",
                hint=hint + f"collections you may read: {shown or '(none)'}",
            ) from None

    def _readable(self, principal: Principal, name: str) -> Collection:
        coll = self._exists(name, principal)
        principal.require("read", name)
        return coll

    def _filtered(self, principal: Principal, name: str) -> bool:
        """True if a row filter binds this principal on ``name`` (or would refuse it)."""
        try:
            return self.policy.row_filter(principal, name) is not None
        except PermissionDeniedError:
            return True

    def _any_policy(self, principal: Principal) -> bool:
        return any(
            self._filtered(principal, c.name) or self.policy.masks_for(principal, c.name)
            for c in self.db.collections()
        )

    def _check_writable_rows(
        self, principal: Principal, collection: str, records: Iterable[Any]
    ) -> None:
        for record in records:
            if not isinstance(record, dict) or not self.policy.check_record(
                principal, collection, record
            ):
                raise PermissionDeniedError(
                    f"a record is outside the rows you may write in {collection!r}",
                    hint="each record must match your row filter (e.g. your tenant)",
                    code="row_filter",
                )

    def _check_overwrites(self, principal: Principal, collection: str, records: list[Any]) -> None:
        """An upsert by key replaces the stored record: that one must be writable too."""
        coll = self.db.catalog.find(collection)
        if coll is None or not coll.key_field:
            return
        for record in records:
            key = record.get(coll.key_field) if isinstance(record, dict) else None
            if key is None or isinstance(key, dict | list | bool):
                continue
            existing = self.db.get(collection, key)
            if existing is not None:
                self._check_writable_rows(principal, collection, [existing])

    def _capped(self, spec: QuerySpec) -> QuerySpec:
        cap = self.config.max_rows + 1
        if spec.limit is not None and spec.limit < cap:
            return spec
        return spec.model_copy(update={"limit": cap})

    def _answer(self, principal: Principal, spec: QuerySpec, result: Any) -> QueryAnswer:
        columns = list(result.columns)
        rows = self.policy.mask_rows(principal, spec, columns, result.rows)
        return self._cap_rows(
            columns, rows, explain_of(result), bool(getattr(result, "truncated", False))
        )

    def _cap_rows(
        self,
        columns: list[str],
        rows: list[list[Any]],
        explain: dict[str, Any],
        truncated: bool = False,
    ) -> QueryAnswer:
        cap = self.config.max_rows
        if len(rows) > cap:
            rows, truncated = rows[:cap], True
        return QueryAnswer(columns=columns, rows=rows, truncated=truncated, explain=explain)

    def _engine(self, name: str) -> Callable[..., Any]:
        method = getattr(self.db, name, None)
        if method is None:
            raise QueryError(
                f"this build of thermodb has no {name} engine yet",
                hint="upgrade thermodb, or use get/describe meanwhile",
                code="not_available",
            )
        return method  # type: ignore[no-any-return]

    def note_hit(self, collection: str) -> None:
        with self._hits_lock:
            self._hits[collection].append(time.monotonic())

    def _audited(
        self,
        principal: Principal,
        action: str,
        target: str,
        *,
        read: bool = False,
        detail: dict[str, Any] | None = None,
    ) -> Audited:
        return Audited(self, principal, action, target, read, detail)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def _key_value(coll: Collection, key: Any) -> Any:
    from thermodb.records import coerce_key

    return coerce_key(coll, key)


def _parse(data: bytes, fmt: IngestFormat) -> list[Any]:
    from thermodb.ingest.readers import read_records

    out = []
    for item in read_records(io.BytesIO(data), fmt):
        if item.error is not None:
            raise InputError(f"record {item.position} cannot be read: {item.error}")
        out.append(item.record)
    return out
