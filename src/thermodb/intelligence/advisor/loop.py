"""`Advisor`: one pass of the closed loop, and trials proposed by hand.

A pass, under a throttle shared by every process and never while a migration moves data:

1. *validate* each index still on probation: once ``validation_hours`` whole hours of real
   workload ran after it was built, compare its fingerprints' executed medians with the
   baseline recorded at creation; keep it if they fell by ``keep_gain`` and no other
   fingerprint of the collection (writes included, per row) got slower by more than
   ``max_regression``; otherwise drop it again (revert);
2. *drop* kept advisor indexes that no recent fingerprint's plan used for ``unused_days``
   (only the advisor's own: keys and indexes made by people are never touched);
3. *propose*: the frequent slow fingerprints → candidates → what-if estimates from the
   engine's planner → a choice under the budget → built (concurrently where possible),
   each with its baseline, and on probation.

Every action is a row in ``thermo_advisor_decisions`` with its evidence. ``dry_run`` runs
the estimates and says what it would do, changing nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from thermodb.catalog.model import Collection
from thermodb.catalog.types import FieldType
from thermodb.errors import ConfigError, NotFoundError, ThermoError
from thermodb.intelligence.advisor.backend import IndexBackend, backend_for
from thermodb.intelligence.advisor.candidates import Candidate, candidates_for
from thermodb.intelligence.advisor.record import (
    LIVE,
    AdvisorIndex,
    claim_pass,
    decide,
    decisions,
    indexes,
    mark_used,
)
from thermodb.intelligence.advisor.selection import Budget, Scored, choose
from thermodb.intelligence.tables import advisor_decisions, advisor_indexes
from thermodb.intelligence.workload import FingerprintInfo, Window, fingerprints, window
from thermodb.query.planner import parse_spec
from thermodb.tiers.segments import OPEN_MOVE_STATES

if TYPE_CHECKING:
    from thermodb.intelligence.insights import Insights

__all__ = ["Advisor"]

log = logging.getLogger(__name__)

_WIDTH = {FieldType.INT: 8, FieldType.FLOAT: 8, FieldType.BOOL: 1, FieldType.TIMESTAMP: 27}
_CANDIDATES_PER_COLLECTION = 10


class Advisor:
    """The index advisor of one database."""

    def __init__(self, insights: Insights) -> None:
        self.insights = insights
        self.store = insights.store
        self.catalog = insights.catalog
        self.settings = insights.settings
        self._backend: IndexBackend | None = None
        self.passes = 0
        self.counts: dict[str, int] = defaultdict(int)
        """Decisions taken by this process, by action (for /metrics)."""

    @property
    def backend(self) -> IndexBackend:
        if self._backend is None:
            self._backend = backend_for(self.store, self.settings.sample_runs)
        return self._backend

    # -- reports ----------------------------------------------------------------------------
    def report(self, *, limit: int = 50) -> dict[str, Any]:
        """The advisor's indexes and its latest decisions with their evidence."""
        self.insights.log.ensure_tables()
        with self.store.read() as conn:
            return {
                "advisor": self.settings.advisor,
                "indexes": [i.to_json() for i in indexes(conn)],
                "decisions": decisions(conn, limit),
            }

    def decision_counts(self) -> dict[str, int]:
        """Decisions recorded (by every process), by action."""
        self.insights.log.ensure_tables()
        t = advisor_decisions
        with self.store.read() as conn:
            rows = conn.execute(sa.select(t.c.action, sa.func.count()).group_by(t.c.action))
            return {str(action): int(n) for action, n in rows}

    def index_states(self) -> dict[str, int]:
        self.insights.log.ensure_tables()
        t = advisor_indexes
        with self.store.read() as conn:
            rows = conn.execute(sa.select(t.c.state, sa.func.count()).group_by(t.c.state))
            return {str(state): int(n) for state, n in rows}

    # -- a pass -----------------------------------------------------------------------------
    def run_pass(self, *, dry_run: bool = False, force: bool = False) -> dict[str, Any]:
        """One pass of the loop; ``force`` ignores the throttle (never the off switch)."""
        now = self.insights.clock()
        report: dict[str, Any] = {"at": now, "dry_run": dry_run, "decisions": [], "skipped": None}
        if self.settings.advisor == "off":
            report["skipped"] = "the index advisor is off (insights.advisor = off)"
            return report
        self.insights.log.flush()
        self.insights.log.ensure_tables()
        if self._migrating():
            report["skipped"] = "a migration pass is moving data; the advisor waits for it"
            return report
        if not dry_run and not force:
            with self.store.begin() as conn:
                next_at = claim_pass(conn, now, self.settings.min_pass_interval_s)
            if next_at is not None:
                report["skipped"] = f"throttled: the next pass may start in {next_at - now:.0f} s"
                return report
        self.passes += 1
        self.backend.reset()
        self.catalog.refresh()
        with self.store.read() as conn:
            live = indexes(conn, LIVE)
        for index in live:
            decision = self._judge(index, now, dry_run)
            if decision is not None:
                report["decisions"].append(decision)
        report["decisions"] += self._drop_unused(
            [i for i in live if i.state == "kept"], now, dry_run
        )
        created, considered = self._propose(now, dry_run)
        report["decisions"] += created
        report["considered"] = considered
        return report

    def _migrating(self) -> bool:
        query = sa.text("SELECT count(*) FROM thermo_moves WHERE state IN :states").bindparams(
            sa.bindparam("states", expanding=True)
        )
        with self.store.read() as conn:
            return bool(conn.execute(query, {"states": list(OPEN_MOVE_STATES)}).scalar_one())

    def _decide(
        self,
        now: float,
        action: Any,
        index: AdvisorIndex,
        reason: str,
        evidence: dict[str, Any],
        dry_run: bool,
    ) -> dict[str, Any]:
        if dry_run:
            return {
                "action": action,
                "index_name": index.name,
                "collection": index.collection,
                "columns": index.columns,
                "reason": reason,
                "evidence": evidence,
                "dry_run": True,
            }
        with self.store.begin() as conn:
            decision = decide(conn, now, action, index, reason, evidence)
        self.counts[str(action)] += 1
        log.info("index advisor: %s %s: %s", action, index.name, reason)
        return decision

    # -- 1. validate --------------------------------------------------------------------------
    def _judge(self, index: AdvisorIndex, now: float, dry_run: bool) -> dict[str, Any] | None:
        coll = self.catalog.find(index.collection)
        if coll is None or index.name not in {n for n, _ in self.backend.existing(coll.name)}:
            return self._decide(
                now, "gone", index, "the index or its collection no longer exists", {}, dry_run
            )
        if index.state != "validating":
            return None
        s = self.settings
        created_hour, hour = int(index.created_at // 3600), int(now // 3600)
        elapsed = hour - created_hour
        if elapsed < s.validation_hours:
            return None
        with self.store.read() as conn:
            after = window(conn, created_hour + 1, hour + 1, only=list(index.baseline))
        served = [f for f in index.fingerprints if f in index.baseline]
        calls_after = sum(_executed(after.get(f)) for f in served)
        overdue = elapsed >= s.max_validation_hours
        if calls_after < s.min_validation_calls and not overdue:
            return None
        compared = {fid: _compare(index.baseline[fid], after.get(fid)) for fid in index.baseline}
        evidence: dict[str, Any] = {
            "validation_hours": elapsed,
            "served": {f: compared[f] for f in served},
            "others": {f: c for f, c in compared.items() if f not in served},
        }
        weighted_before = sum(
            c["calls_after"] * c["p50_before_ms"]
            for f in served
            if (c := compared[f])["p50_after_ms"]
        )
        weighted_after = sum(
            c["calls_after"] * c["p50_after_ms"]
            for f in served
            if (c := compared[f])["p50_after_ms"]
        )
        gain = 1 - weighted_after / weighted_before if weighted_before else 0.0
        evidence["gain"] = round(gain, 4)
        regressed = [
            f
            for f, c in evidence["others"].items()
            if c["ratio"] is not None
            and c["calls_after"] >= s.min_validation_calls
            and c["calls_before"] >= s.min_validation_calls
            and c["ratio"] > 1 + s.max_regression
        ]
        with self.store.read() as conn:
            samples = fingerprints(conn, only=[*served, *regressed])
        using = {
            f
            for f, info in samples.items()
            if (st := self._statement(info)) is not None and self.backend.uses(st, index.name)
        }
        used_by = [f for f in served if f in using]
        # a slower query counts against this index only if its plan now reads the index;
        # slower writes count against every index of the collection
        regressed = [
            f
            for f in regressed
            if f in using or (known := samples.get(f)) is None or known.kind == "ingest"
        ]
        evidence["regressed"] = regressed
        evidence["used_by"] = used_by
        pays = gain >= s.keep_gain and bool(used_by)
        if calls_after >= s.min_validation_calls and pays and not regressed:
            p50s = [c for f in served if (c := compared[f])["ratio"]]
            speedup = ", ".join(f"{1 / c['ratio']:.1f}x" for c in p50s if c["ratio"])
            return self._decide(
                now,
                "keep",
                index,
                f"its fingerprints' median fell by "
                f"{gain:.0%} ({speedup} faster) and nothing else slowed down",
                evidence,
                dry_run,
            )
        if calls_after < s.min_validation_calls:
            reason = f"only {calls_after} calls it could serve in {elapsed} h: no proof it pays"
        elif not used_by:
            reason = "the planner used it for none of the queries it was built for"
        elif regressed:
            reason = (
                f"{len(regressed)} other fingerprint(s) got more than {s.max_regression:.0%} slower"
            )
        else:
            reason = (
                f"its fingerprints' median changed by {-gain:+.0%}, less than the "
                f"{s.keep_gain:.0%} it must save"
            )
        if not dry_run:
            self.backend.drop(index.name)
        return self._decide(now, "revert", index, reason, evidence, dry_run)

    # -- 2. unused -----------------------------------------------------------------------------
    def _drop_unused(
        self, kept: list[AdvisorIndex], now: float, dry_run: bool
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if not kept:
            return out
        recent = self._recent(now)
        for index in kept:
            coll = self.catalog.find(index.collection)
            if coll is None:
                continue
            statements = [
                st
                for info in recent.values()
                if info.collection == coll.name
                if (st := self._statement(info)) is not None
            ]
            if any(self.backend.uses(st, index.name) for st in statements):
                if not dry_run:
                    with self.store.begin() as conn:
                        mark_used(conn, index.name, now)
                continue
            since = index.last_used_at or index.decided_at or index.created_at
            idle_days = (now - since) / 86400
            if idle_days >= self.settings.unused_days:
                if not dry_run:
                    self.backend.drop(index.name)
                reason = f"no query plan used it for {idle_days:.0f} days"
                out.append(
                    self._decide(now, "drop", index, reason, {"idle_days": idle_days}, dry_run)
                )
        return out

    def _recent(self, now: float) -> dict[str, FingerprintInfo]:
        since = int(now // 3600) - self.settings.lookback_hours + 1
        with self.store.read() as conn:
            seen = window(conn, since)
            return {
                fid: info
                for fid, info in fingerprints(conn, only=list(seen)).items()
                if info.kind == "spec"
            }

    def _statement(self, info: FingerprintInfo) -> sa.Executable | None:
        """The operational-store statement of a fingerprint's sample, if it has one."""
        try:
            spec = parse_spec(info.sample)
            plan = self.insights.planner().plan(spec)
        except ThermoError:
            return None
        statement = plan.parts[0].statement if len(plan.parts) == 1 else None
        return statement if isinstance(statement, sa.Executable) else None

    # -- 3. propose -----------------------------------------------------------------------------
    def _propose(self, now: float, dry_run: bool) -> tuple[list[dict[str, Any]], list[Any]]:
        s = self.settings
        since = int(now // 3600) - s.lookback_hours + 1
        with self.store.read() as conn:
            seen = window(conn, since)
            info = fingerprints(conn, only=list(seen))
            live = indexes(conn, LIVE)
        slow = sorted(
            (
                fid
                for fid, win in seen.items()
                if fid in info
                and info[fid].kind == "spec"
                and win.total.executed.total >= s.min_calls
                and (win.total.executed.quantile(0.5) or 0) >= s.slow_ms
            ),
            key=lambda f: -seen[f].total.executed.total_ms,
        )[: s.max_fingerprints]
        by_collection: dict[str, list[str]] = defaultdict(list)
        for fid in slow:
            by_collection[info[fid].collection].append(fid)
        live_per_collection: dict[str, int] = defaultdict(int)
        for index in live:
            live_per_collection[index.collection] += 1
        budget = Budget(
            s.max_new_per_pass,
            {c: s.max_indexes_per_collection - live_per_collection[c] for c in by_collection},
            s.max_index_bytes - sum(self._size(i.collection, i.columns) for i in live),
        )
        scored: list[Scored] = []
        for name, fids in by_collection.items():
            coll = self.catalog.find(name)
            if coll is None:
                continue
            scored += self._score(coll, fids, info, seen, since, now)
        observed = {f: seen[f].total.executed.quantile(0.5) or 0.0 for f in slow}
        rates = {f: _per_hour(seen[f]) for f in slow}
        chosen = choose(scored, observed, rates, budget, s.min_estimated_gain, s.max_regression)
        considered = [x.to_json() for x in scored]
        out = []
        for pick in chosen:
            coll = self.catalog.get(pick.candidate.collection)
            out.append(self._create(coll, pick, seen, info, now, dry_run, "advisor"))
        return out, considered

    def _score(
        self,
        coll: Collection,
        fids: list[str],
        info: dict[str, FingerprintInfo],
        seen: dict[str, Window],
        since: int,
        now: float,
    ) -> list[Scored]:
        existing = [cols for _, cols in self.backend.existing(coll.name)]
        statements = {f: st for f in fids if (st := self._statement(info[f])) is not None}
        if not statements:
            return []
        proposals: dict[tuple[str, ...], Candidate] = {}
        for fid in statements:
            for cols in candidates_for(coll, info[fid].fields, existing):
                proposals.setdefault(cols, Candidate(coll.name, cols)).fingerprints.append(fid)
        # the most promising first: proposed for the most query time, two columns before one
        ranked = sorted(
            proposals.values(),
            key=lambda c: (-sum(seen[f].total.executed.total_ms for f in c.fingerprints),
                           -len(c.columns)),
        )  # fmt: skip
        writes = self._writes_per_hour(coll.name, seen)
        out = []
        for candidate in ranked[:_CANDIDATES_PER_COLLECTION]:
            ids = list(statements)
            try:
                estimates = self.backend.estimate(
                    coll.name, candidate.columns, [statements[f] for f in ids]
                )
            except ThermoError as exc:
                log.warning("what-if of %s failed: %s", candidate.name, exc)
                continue
            out.append(
                Scored(
                    candidate,
                    dict(zip(ids, estimates, strict=True)),
                    self._size(coll.name, list(candidate.columns)),
                    writes * len(candidate.columns) * self.settings.write_cost_ms,
                )
            )
        return out

    def _writes_per_hour(self, collection: str, seen: dict[str, Window]) -> float:
        with self.store.read() as conn:
            info = fingerprints(conn, only=list(seen))
        rows = sum(
            seen[f].total.rows_returned
            for f, i in info.items()
            if i.kind == "ingest" and i.collection == collection
        )
        return rows / self.settings.lookback_hours

    def _size(self, collection: str, columns: list[str]) -> int:
        coll = self.catalog.find(collection)
        if coll is None:
            return 0
        by_column = {f.column: f for f in coll.top_fields()}
        width = sum(_WIDTH.get(by_column[c].type, 24) if c in by_column else 24 for c in columns)
        with self.store.read() as conn:
            table = self.store.table(coll)
            rows = int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
        return rows * (width + 16)

    def _create(
        self,
        coll: Collection,
        pick: Scored,
        seen: dict[str, Window],
        info: dict[str, FingerprintInfo],
        now: float,
        dry_run: bool,
        origin: str,
        reason: str | None = None,
    ) -> dict[str, Any]:
        baseline = {
            fid: _baseline(win, info[fid])
            for fid, win in seen.items()
            if fid in info and info[fid].collection == coll.name
        }
        index = AdvisorIndex(
            name=pick.candidate.name,
            collection=coll.name,
            columns=list(pick.candidate.columns),
            state="validating",
            origin=origin,
            created_at=now,
            decided_at=None,
            last_used_at=None,
            fingerprints=pick.serves,
            baseline=baseline,
        )
        evidence = {
            "choice": pick.to_json(),
            "baseline": baseline,
            "backend": self.backend.name,
            "hypothetical": self.backend.hypothetical,
        }
        reason = reason or (
            f"saves an estimated {pick.net:.0f} ms per hour over {len(pick.serves)} "
            f"fingerprint(s), net of {pick.overhead_ms_per_hour:.1f} ms of write overhead"
        )
        if dry_run:
            return self._decide(now, "create", index, reason, evidence, dry_run)
        try:
            self.backend.create(index.name, coll.name, index.columns)
        except ThermoError as exc:
            return self._decide(now, "fail", index, f"the build failed: {exc}", evidence, dry_run)
        return self._decide(now, "create", index, reason, evidence, dry_run)

    # -- trials by hand ---------------------------------------------------------------------
    def trial(self, collection: str, fields: list[str], *, dry_run: bool = False) -> dict[str, Any]:
        """Build an index a person proposes and put it on probation like the advisor's own:
        kept only if the workload proves it pays, reverted otherwise."""
        if self.settings.advisor == "off":
            raise ConfigError(
                "the index advisor is off", hint="set insights.advisor = 'on' to try indexes"
            )
        self.insights.log.flush()
        self.insights.log.ensure_tables()
        self.catalog.refresh()
        coll = self.catalog.get(collection)
        columns = []
        for name in fields:
            f = coll.fields.get(name)
            if f is None or f.column is None:
                raise NotFoundError(
                    f"{collection!r} has no top-level field {name!r} to index",
                    hint="fields: " + ", ".join(sorted(coll.columns())),
                )
            columns.append(f.column)
        if not columns or len(set(columns)) != len(columns):
            raise ConfigError("name one or more different fields to index")
        cols = tuple(columns)
        if any(tuple(c[: len(cols)]) == cols for _, c in self.backend.existing(coll.name)):
            raise ConfigError(f"an index on {', '.join(fields)} of {collection!r} exists")
        now = self.insights.clock()
        since = int(now // 3600) - self.settings.lookback_hours + 1
        with self.store.read() as conn:
            seen = window(conn, since)
            info = fingerprints(conn, only=list(seen))
        fids = [
            f
            for f, i in info.items()
            if i.kind == "spec" and i.collection == coll.name and seen[f].total.executed.total
        ]
        statements = {f: st for f in fids if (st := self._statement(info[f])) is not None}
        candidate = Candidate(coll.name, cols, list(statements))
        estimates = (
            self.backend.estimate(coll.name, cols, list(statements.values())) if statements else []
        )
        pick = Scored(
            candidate,
            dict(zip(statements, estimates, strict=True)),
            self._size(coll.name, columns),
            self._writes_per_hour(coll.name, seen) * len(cols) * self.settings.write_cost_ms,
        )
        # it is judged on the fingerprints that filter, order or group on its fields
        pick.serves = [f for f in statements if set(fields) & _mentions(info[f], coll)]
        reason = "proposed by hand; kept only if the workload proves it pays"
        return self._create(coll, pick, seen, info, now, dry_run, "trial", reason)


def _mentions(info: FingerprintInfo, coll: Collection) -> set[str]:
    f = info.fields
    named = {*f.equality, *f.range, *f.order, *f.group}
    time_name = f.time_field or coll.time_field
    if time_name and (f.time_range or f.time_bucket):
        named.add(time_name)
    return named


def _executed(win: Window | None) -> int:
    return win.total.executed.total if win is not None else 0


def _per_hour(win: Window) -> float:
    hours = sum(1 for calls in win.hourly.values() if calls) or 1
    return win.total.executed.total / hours


def _baseline(win: Window, info: FingerprintInfo) -> dict[str, Any]:
    hist = win.total.executed
    out: dict[str, Any] = {
        "kind": info.kind,
        "query": info.text,
        "calls": hist.total,
        "p50_ms": hist.quantile(0.5),
        "p99_ms": hist.quantile(0.99),
    }
    if info.kind == "ingest":
        out["ms_per_row"] = hist.total_ms / max(1, win.total.rows_returned)
    return out


def _compare(before: dict[str, Any], after: Window | None) -> dict[str, Any]:
    """Before/after of one fingerprint (writes compare their cost per row)."""
    hist = after.total.executed if after is not None else None
    calls_after = hist.total if hist is not None else 0
    if before.get("kind") == "ingest":
        old = before.get("ms_per_row")
        new = (hist.total_ms / max(1, after.total.rows_returned)) if hist and after else None
    else:
        old = before.get("p50_ms")
        new = hist.quantile(0.5) if hist is not None else None
    return {
        "query": before.get("query"),
        "calls_before": before.get("calls", 0),
        "calls_after": calls_after,
        "p50_before_ms": old,
        "p50_after_ms": new,
        "p99_before_ms": before.get("p99_ms"),
        "p99_after_ms": hist.quantile(0.99) if hist is not None else None,
        "ratio": (new / old) if new is not None and old else None,
    }
