"""`Tiers`: the hot cache, the cold store and the migration engine of one database.

What `Database` calls for everything thermal: point reads that go cache → operational →
cold, the hook that keeps cold copies hidden when a key is written again, the result-cache
keys, the `tiers` and `tiers explain` views, migration passes and the background mover.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thermodb.catalog.model import Collection
from thermodb.catalog.store import Catalog, settings_table
from thermodb.config import Settings
from thermodb.errors import StorageError, ThermoError
from thermodb.query.result_cache import ResultCache
from thermodb.query.spec import QuerySpec
from thermodb.records import row_to_record
from thermodb.storage.backends.duckdb.session import DuckDBSession
from thermodb.storage.cache import HotCache, RedisCache, open_cache
from thermodb.storage.cold import ColdSettings, ColdStore, open_cold
from thermodb.storage.operational import OperationalStore
from thermodb.tiers.keyread import KeyReader
from thermodb.tiers.migration import (
    Migrator,
    PassReport,
    Throttle,
    as_moment,
    touch_windows,
    window_floor,
)
from thermodb.tiers.policy import Policy, default_policy
from thermodb.tiers.rowsets import records_from_table
from thermodb.tiers.segments import (
    Segment,
    SegmentCatalog,
    bump_version,
    encode_key,
    parse_ts,
    segments_table,
    ts,
    windows_table,
)
from thermodb.tiers.temperature import bump

if TYPE_CHECKING:
    from thermodb.query.planner import Planner
    from thermodb.query.result import Result
    from thermodb.tiers.executor import TierPlan

__all__ = ["Tiers"]

Clock = Callable[[], datetime]
CONSISTENT_TRIES = 4
"""Runs of a cross-tier query before answering although writes keep landing under it."""
KEYSET_CACHE = 256
"""Segments whose key sets stay in memory (segments never change, so these never go stale)."""


class Tiers:
    """Everything that decides and serves which tier a record is in."""

    def __init__(
        self,
        store: OperationalStore,
        catalog: Catalog,
        *,
        cold: ColdStore,
        cache: HotCache,
        clock: Clock | None = None,
        segment_rows: int | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.cache = cache
        self.segment_rows = segment_rows
        """The database's default target rows per segment (settings), if any."""
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.segments = SegmentCatalog(store)
        self.segments.create_tables()
        self.keyread = KeyReader.for_store(store)  # raw sqlite3 point reads (None: PostgreSQL)
        self.results = ResultCache()  # answers of Database.query, keyed by data versions
        # each database keeps its files in its own folder, so databases may share a store
        # (and one's orphan sweep never touches another's files)
        database_id = _database_id(store)
        self.cold = cold.scoped(database_id)
        if isinstance(cache, RedisCache):  # a shared Redis: this database's keys apart
            cache.prefix = f"{cache.prefix}{database_id}:"
        cold = self.cold
        self._policies: dict[str, Policy] = {}
        self._load_policies()
        self._last_write = 0.0
        self.migrator = Migrator(
            store,
            catalog,
            cold,
            self.segments,
            self.policy,
            throttle=Throttle(busy=self._busy),
        )
        self.duckdb = DuckDBSession(store.backend.file_path(store.engine))
        """The in-memory DuckDB that runs cross-tier queries (created on first use)."""
        self._pending_reads: dict[str, tuple[int, datetime]] = {}
        self._reads_lock = threading.Lock()
        self.migrator.before_pass = self.flush_reads
        self._keysets: OrderedDict[str, frozenset[Any]] = OrderedDict()
        self._keyset_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.last_pass: PassReport | None = None
        self.planner: Planner | None = None
        """The operational store's planner (set by Database): the warm half of push-downs."""
        self.last_error: str | None = None

    @classmethod
    def from_settings(
        cls, store: OperationalStore, catalog: Catalog, settings: Settings, **options: Any
    ) -> Tiers:
        """Open the cold store and cache that ``settings`` name (S3 keys fall back to AWS_*)."""
        env = os.environ
        cold = ColdSettings(
            url=settings.cold_url,
            endpoint=settings.s3.endpoint or env.get("AWS_ENDPOINT_URL"),
            region=settings.s3.region or env.get("AWS_DEFAULT_REGION"),
            access_key=settings.s3.access_key_id or env.get("AWS_ACCESS_KEY_ID"),
            secret_key=settings.s3.secret_access_key or env.get("AWS_SECRET_ACCESS_KEY"),
        )
        return cls(
            store,
            catalog,
            cold=open_cold(cold),
            cache=open_cache(settings.cache, capacity_bytes=settings.cache_bytes),
            segment_rows=settings.segment_rows,
            **options,
        )

    # -- policies -------------------------------------------------------------------------
    def policy(self, collection: str) -> Policy:
        found = self._policies.get(collection) or default_policy(collection)
        if self.segment_rows is not None and "segment_rows" not in found.model_fields_set:
            found = found.model_copy(update={"segment_rows": self.segment_rows})
        return found

    def set_policy(self, collection: str, **changes: Any) -> Policy:
        """Change some settings of a collection's policy (the rest keep their values)."""
        self.catalog.get(collection)
        current = self._policies.get(collection) or default_policy(collection)
        base = current.model_dump(include=current.model_fields_set | {"domain"})
        base.update({k: v for k, v in changes.items() if v is not None})
        base["domain"] = "custom"
        try:
            policy = Policy.model_validate(base)
        except ValueError as exc:
            from thermodb.errors import ConfigError

            raise ConfigError(f"invalid tier policy: {exc}", hint="see docs/tiers.md") from exc
        key = f"tier_policy:{collection}"
        with self.store.begin() as conn:
            conn.execute(settings_table.delete().where(settings_table.c.key == key))
            conn.execute(
                settings_table.insert().values(
                    key=key, value=policy.model_dump_json(exclude_unset=True)
                )
            )
        self._policies[collection] = policy
        return self.policy(collection)

    def _load_policies(self) -> None:
        with self.store.read() as conn:
            rows = conn.execute(
                sa.select(settings_table.c.key, settings_table.c.value).where(
                    settings_table.c.key.like("tier_policy:%")
                )
            )
            self._policies = {k.split(":", 1)[1]: Policy.model_validate_json(v) for k, v in rows}

    # -- the write path (inside the ingest transaction) -----------------------------------
    def on_write(
        self,
        conn: Connection,
        coll: Collection,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
    ) -> None:
        """Hide cold copies of keys written again, note the windows written, bump the version."""
        self._last_write = time.monotonic()
        key = coll.fields.get(coll.key_field or "")
        if key is not None and key.column is not None and key.column in columns:
            i = list(columns).index(key.column)
            self._hide_keys(conn, coll, [r[i] for r in rows if r[i] is not None])
        tf = coll.fields.get(coll.time_field or "")
        if tf is not None and tf.column is not None and tf.column in columns:
            i = list(columns).index(tf.column)
            width = self.policy(coll.name).window
            touch_windows(conn, coll.name, _windows([r[i] for r in rows], width), self.clock())
        bump_version(conn, coll.name)

    def on_delete(self, conn: Connection, coll: Collection, key: Any) -> bool:
        """Tombstone the key's cold copy; True if there was one."""
        hidden = self._hide_keys(conn, coll, [key])
        bump_version(conn, coll.name)
        return hidden > 0

    def on_drop(self, conn: Connection, name: str) -> list[str]:
        """Retire a dropped collection's segments; returns the files to remove after commit."""
        segs = self.segments.segments(name, conn=conn)
        now = self.clock()
        for seg in segs:
            self.segments.retire_segment(conn, seg.id, "deleted", now)
        conn.execute(windows_table.delete().where(windows_table.c.collection == name))
        bump_version(conn, name)
        return [s.location for s in segs]

    def _hide_keys(self, conn: Connection, coll: Collection, keys: Sequence[Any]) -> int:
        if not keys:
            return 0
        segs = self.segments.segments(coll.name, conn=conn)
        if not segs:
            return 0
        pairs = []
        for seg in segs:
            candidates = [k for k in keys if seg.may_hold_key(k)]
            if candidates:
                members = self._keyset(coll, seg)
                pairs += [(seg.id, k) for k in candidates if k in members]
        return self.segments.add_tombstones(conn, coll.name, pairs)

    def _keyset(self, coll: Collection, seg: Segment) -> frozenset[Any]:
        with self._keyset_lock:
            if seg.id in self._keysets:
                self._keysets.move_to_end(seg.id)
                return self._keysets[seg.id]
        key = coll.fields[coll.key_field or ""]
        assert key.column is not None
        table = self.cold.read(seg.location, columns=[key.column])
        keys = frozenset(table.column(key.column).to_pylist())
        with self._keyset_lock:
            self._keysets[seg.id] = keys
            while len(self._keysets) > KEYSET_CACHE:
                self._keysets.popitem(last=False)
        return keys

    # -- point reads ----------------------------------------------------------------------
    def get(
        self, coll: Collection, key: Any, *, version: int | None = None
    ) -> dict[str, Any] | None:
        """cache → operational → cold (segments pruned by key range); cold reads count.

        ``version``: the collection's data version if the caller has just read it.
        """
        reader = self.keyread
        if version is None and reader is not None:
            version = reader.version(coll.name)
        elif version is None:
            version = self.segments.versions([coll.name])[coll.name]
        probe = self.cache.get(_record_key(coll.name, version, key))
        if probe is not None:
            found: dict[str, Any] | None = orjson.loads(probe)
            return found
        warm = reader.warm(coll, key) if reader is not None else None
        if warm is not None and warm[0] is not None:
            self.cache.put(_record_key(coll.name, warm[1], key), orjson.dumps(warm[0]))
            return warm[0]
        for attempt in (1, 2):
            try:
                record, seg, version = self._lookup(coll, key)
                break
            except StorageError:
                if attempt == 2:
                    raise
                # a segment promoted or deleted under us: its file is gone; look again
        if seg is not None:
            self._record_read(coll, seg)
        self.cache.put(_record_key(coll.name, version, key), orjson.dumps(record))
        return record

    def _lookup(
        self, coll: Collection, key: Any
    ) -> tuple[dict[str, Any] | None, Segment | None, int]:
        table = self.store.table(coll)
        key_field = coll.fields[coll.key_field or ""]
        assert key_field.column is not None
        with self.store.read() as conn:
            self.store.backend.snapshot(conn)
            version = self.segments.versions([coll.name], conn)[coll.name]
            row = (
                conn.execute(table.select().where(table.c[key_field.column] == key))
                .mappings()
                .first()
            )
            if row is not None:
                return row_to_record(coll, row), None, version
            segs = [s for s in self.segments.segments(coll.name, conn=conn) if s.may_hold_key(key)]
            hidden = self.segments.tombstones(conn, [s.id for s in segs])
        for seg in sorted(segs, key=lambda s: s.window_start or s.created_at, reverse=True):
            if key in hidden[seg.id]:
                continue
            same_type = seg.columns.get(key_field.column) == key_field.type.value
            found = self.cold.read(
                seg.location,
                filters=[(key_field.column, "==", key)] if same_type else None,
            )
            records = [r for r in records_from_table(coll, found) if r.get(key_field.path) == key]
            if records:
                return records[0], seg, version
        return None, None, version

    def _record_read(self, coll: Collection, seg: Segment) -> None:
        """Count a cold read in memory (a read never waits for a write lock).

        Counts reach the catalog when a pass starts, when the database closes, or at once
        when they alone could make the segment hot enough to promote (then the mover is
        woken too).
        """
        now = self.clock()
        policy = self.policy(coll.name)
        with self._reads_lock:
            count, _ = self._pending_reads.get(seg.id, (0, now))
            self._pending_reads[seg.id] = (count + 1, now)
            due = seg.heat + count + 1 >= policy.promote_after
        if due:
            self.flush_reads()

    def flush_reads(self) -> None:
        """Write the buffered read counts into the segments' heat (best effort)."""
        with self._reads_lock:
            pending, self._pending_reads = self._pending_reads, {}
        if not pending:
            return
        hot = False
        try:
            with self.store.begin() as conn:
                for seg_id, (reads, at) in pending.items():
                    row = conn.execute(
                        sa.select(
                            segments_table.c.heat,
                            segments_table.c.heat_at,
                            segments_table.c.collection,
                        ).where(segments_table.c.id == seg_id)
                    ).first()
                    if row is None:
                        continue
                    policy = self.policy(row[2])
                    heat = bump(
                        float(row[0] or 0), parse_ts(row[1]), at, policy.promote_window, reads
                    )
                    hot = hot or heat >= policy.promote_after
                    conn.execute(
                        segments_table.update()
                        .where(segments_table.c.id == seg_id)
                        .values(heat=heat, heat_at=ts(at), reads=segments_table.c.reads + reads)
                    )
        except StorageError:
            return  # access counts are hints: losing some never loses data
        if hot:
            self._wake.set()

    # -- result cache ---------------------------------------------------------------------
    def versions(self, collections: Sequence[str]) -> dict[str, int]:
        """The committed data versions of these collections (cheaply on SQLite)."""
        reader = self.keyread
        if reader is not None:
            return {name: reader.version(name) for name in collections}
        return self.segments.versions(collections)

    def result_key(self, spec_json: str, collections: Sequence[str]) -> str:
        """A result-cache key: the normalised query and the data versions it read."""
        versions = self.segments.versions(collections)
        import hashlib

        digest = hashlib.blake2b(
            spec_json.encode() + orjson.dumps(versions, option=orjson.OPT_SORT_KEYS),
            digest_size=20,
        ).hexdigest()
        return f"q:{digest}"

    def cached_result(
        self, spec_json: str, collections: Sequence[str], compute: Callable[[], Any]
    ) -> tuple[Any, bool]:
        """``compute()``'s JSON-able answer, from the cache when the data has not changed."""
        key = self.result_key(spec_json, collections)
        hit = self.cache.get(key)
        if hit is not None:
            return orjson.loads(hit), True
        value = compute()
        self.cache.put(key, orjson.dumps(value, default=str))
        return value, False

    # -- queries across tiers -------------------------------------------------------------
    def query(self, spec: QuerySpec, max_rows: int | None = None) -> Result | None:
        """Answer a query that reads cold segments (None: no cold data, the planner alone).

        The tiers are read in more than one transaction, so the answer is checked against
        the data versions of every collection read: if a write or a move committed while
        the query ran, it runs again (up to ``CONSISTENT_TRIES`` times), so it never counts
        a record in two places or in none. Answers go through the result cache under the
        spec and those versions, so a write or a move is never hidden by the cache either.
        """
        from thermodb.query.result import Result
        from thermodb.tiers.executor import plan_tiers

        spec_json = spec.model_dump_json()
        result: Result | None = None
        for attempt in range(1, CONSISTENT_TRIES + 1):
            names = [spec.collection, *(link.collection for link in spec.links)]
            before = self.segments.versions(names)
            plan = plan_tiers(self, self.catalog, spec)
            if not plan.touches_cold:
                return None
            key = self.result_key(spec_json, names)
            hit = self.cache.get(key)
            if hit is not None:
                cached = orjson.loads(hit)
                result = Result(cached["columns"], cached["rows"], cached["explain"], False)
                result.explain = {**result.explain, "result_cache": "hit"}
                break
            result = self._run(spec, plan)
            if self.segments.versions(names) == before:
                payload = {
                    "columns": result.columns,
                    "rows": result.rows,
                    "explain": result.explain,
                }
                self.cache.put(key, orjson.dumps(payload, default=str))
                result.explain = {**result.explain, "result_cache": "miss", "attempts": attempt}
                break
            result.explain = {
                **result.explain,
                "result_cache": "miss",
                "attempts": attempt,
                "note": "data changed during every attempt: the answer may straddle a write",
            }
        assert result is not None
        if max_rows is not None and len(result.rows) > max_rows:
            return Result(result.columns, result.rows[:max_rows], result.explain, True)
        return result

    def _run(self, spec: QuerySpec, plan: TierPlan) -> Result:
        """Push partial aggregates down to each tier when they merge exactly, else union."""
        from thermodb.tiers.executor import run_across_tiers
        from thermodb.tiers.partials import can_push_down, run_partials

        # Where DuckDB reads the warm rows in place, one DuckDB statement over both tiers
        # beats two engines and a merge in Python (measured: docs/performance.md); else
        # decomposable aggregates run as partials on each tier, merged here.
        if self.planner is not None and can_push_down(spec) and not self.duckdb.scans_warm:
            planner = self.planner
            result = run_partials(
                spec,
                planner.run,
                lambda s: run_across_tiers(self, self.catalog, s, include_warm=False),
            )
        else:
            result = run_across_tiers(self, self.catalog, spec, plan)
        result.explain = {
            **result.explain,
            "segments_read": {n: len(s) for n, s in plan.segments.items()},
            "segments_pruned": plan.pruned,
        }
        return result

    # -- views ----------------------------------------------------------------------------
    def cold_rows(self, name: str) -> int:
        segs = self.segments.segments(name)
        if not segs:
            return 0
        with self.store.read() as conn:
            hidden = self.segments.tombstones(conn, [s.id for s in segs])
        return sum(s.rows - len(hidden[s.id]) for s in segs)

    def overview(self) -> list[dict[str, Any]]:
        """Every collection's rows by tier, with sizes (what `thermodb tiers` shows)."""
        out = []
        stats = self.cache.stats()
        for coll in self.catalog.all():
            table = self.store.table(coll)
            with self.store.read() as conn:
                warm = int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
            segs = self.segments.segments(coll.name)
            out.append(
                {
                    "collection": coll.name,
                    "policy": self.policy(coll.name).domain,
                    "warm_rows": warm,
                    "cold_segments": len(segs),
                    "cold_rows": self.cold_rows(coll.name),
                    "cold_bytes": sum(s.bytes for s in segs),
                }
            )
        results = self.results.stats()
        for row in out:
            row["hot_cache"] = stats.to_dict()
            row["result_cache"] = results
        return out

    def explain(self, name: str, now: datetime | None = None) -> dict[str, Any]:
        """Why each segment is where it is, what would move next, and the move queue."""
        from thermodb.tiers.explain import explain

        return explain(self, self.catalog.get(name), now or self.clock())

    # -- migration ------------------------------------------------------------------------
    def migrate(self, now: datetime | None = None, *, dry_run: bool = False) -> PassReport:
        report = self.migrator.run_pass(now or self.clock(), dry_run=dry_run)
        self.last_pass = report
        return report

    def recover(self) -> PassReport:
        return self.migrator.recover()

    def start(self, interval: float = 60.0) -> None:
        """Run migration passes in a background thread every ``interval`` seconds."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, args=(interval,), name="thermodb-mover", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def close(self) -> None:
        """Stop the mover, keep the read counts, release DuckDB."""
        self.stop()
        self.flush_reads()
        if self.keyread is not None:
            self.keyread.close()
        self.duckdb.close()

    def _loop(self, interval: float) -> None:
        while not self._stop.is_set():
            try:
                self.migrate()
                self.last_error = None
            except ThermoError as exc:
                self.last_error = exc.message
            self._wake.wait(interval)
            self._wake.clear()

    def _busy(self) -> bool:
        return time.monotonic() - self._last_write < 0.2


def _database_id(store: OperationalStore) -> str:
    """This database's id (created once, kept in thermo_settings)."""
    import uuid

    key = "database_id"
    with store.begin() as conn:
        found = conn.execute(
            sa.select(settings_table.c.value).where(settings_table.c.key == key)
        ).scalar_one_or_none()
        if found is None:
            found = f"db-{uuid.uuid4().hex[:12]}"
            conn.execute(settings_table.insert().values(key=key, value=found))
    return str(found)


def _record_key(collection: str, version: int, key: Any) -> str:
    return f"r:{collection}:{version}:{encode_key(key)}"


def _windows(values: Sequence[Any], width: timedelta) -> list[datetime]:
    """The windows a batch of stored timestamps falls in.

    Stored timestamps sort as time (canonical text on SQLite, datetimes on PostgreSQL), so
    the usual batch is two parses: its least and greatest value, and every window between.
    A batch spread over many windows is bucketed value by value instead.
    """
    present = [v for v in values if v is not None]
    if not present:
        return []
    low, high = window_floor(as_moment(min(present)), width), as_moment(max(present))
    if (high - low) / width <= 64:
        out = []
        while low <= high:
            out.append(low)
            low += width
        return out
    return sorted({window_floor(as_moment(v), width) for v in present})
