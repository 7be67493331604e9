"""The migration leader's lease and fence, on the machine's PostgreSQL (real processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import orjson
import pytest
import sqlalchemy as sa

from thermodb.cluster import LeaderLease, LeaseLostError, check_fence
from thermodb.errors import StorageError
from thermodb.storage.operational import OperationalStore, open_store

WORKER = Path(__file__).with_name("lease_worker.py")
TTL = 1.5
"""Seconds a lease lasts without renewal in the process tests (renewed every TTL/5)."""


@pytest.fixture
def store(pg_url: str) -> Iterator[OperationalStore]:
    opened = open_store(pg_url)
    LeaderLease(opened.engine).create_table()
    yield opened
    opened.dispose()


def test_one_holder_at_a_time_and_tokens_only_grow(store: OperationalStore) -> None:
    a = LeaderLease(store.engine, holder="a", ttl=timedelta(seconds=30))
    b = LeaderLease(store.engine, holder="b", ttl=timedelta(seconds=30))
    first = a.acquire()
    assert first is not None and first.token == 1
    assert b.acquire() is None
    again = a.acquire()  # already ours: the same token, renewed
    assert again is not None and again.token == 1
    renewed = a.renew(first)
    assert renewed.token == 1 and renewed.expires_at >= first.expires_at
    a.release(renewed)
    taken = b.acquire()
    assert taken is not None and taken.token == 2
    with pytest.raises(LeaseLostError):
        a.renew(renewed)
    with store.engine.begin() as conn:
        with pytest.raises(LeaseLostError, match="token 1 does not hold"):
            check_fence(conn, 1)
        check_fence(conn, 2)
    current = b.current()
    assert current is not None
    assert (current["holder"], current["token"], current["live"]) == ("b", 2, True)


def test_an_expired_lease_is_taken_over_with_a_higher_token(store: OperationalStore) -> None:
    a = LeaderLease(store.engine, holder="a", ttl=timedelta(seconds=0.3))
    b = LeaderLease(store.engine, holder="b", ttl=timedelta(seconds=30))
    lease = a.acquire()
    assert lease is not None and b.acquire() is None
    time.sleep(0.4)
    with store.engine.begin() as conn, pytest.raises(LeaseLostError, match="expired"):
        check_fence(conn, lease.token)
    taken = b.acquire()
    assert taken is not None and taken.token == lease.token + 1
    with pytest.raises(LeaseLostError):
        a.renew(lease)


def test_a_takeover_waits_for_a_switch_in_flight(store: OperationalStore) -> None:
    """The fence share-locks the lease row: a switch that passed it commits before any
    takeover, and one that comes after a takeover is refused."""
    a = LeaderLease(store.engine, holder="a", ttl=timedelta(seconds=0.5))
    b = LeaderLease(store.engine, holder="b", ttl=timedelta(seconds=30))
    lease = a.acquire()
    assert lease is not None
    taken: list[Any] = []
    with store.engine.begin() as conn:
        check_fence(conn, lease.token)  # the switch has started under a live lease
        time.sleep(0.6)  # ...and the lease runs out while it is still open
        contender = threading.Thread(target=lambda: taken.append(b.acquire()))
        contender.start()
        contender.join(timeout=0.7)
        assert contender.is_alive(), "a takeover committed during a fenced switch"
    contender.join(timeout=10)
    assert taken and taken[0] is not None and taken[0].token == lease.token + 1


def test_the_lease_refuses_sqlite(tmp_path: Path) -> None:
    sqlite = open_store(tmp_path / "data")
    try:
        with pytest.raises(StorageError, match="needs PostgreSQL"):
            LeaderLease(sqlite.engine)
    finally:
        sqlite.dispose()


class Worker:
    """One lease_worker.py process and the events it has printed so far."""

    def __init__(self, url: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER), url, str(TTL)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        self.events: list[dict[str, Any]] = []
        assert self.proc.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.events.append(orjson.loads(line))

    def leads(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == "leader"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)  # a stopped process cannot die of SIGKILL
            self.proc.kill()
        self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def wait_for(predicate: Any, timeout: float) -> float:
    """Seconds until ``predicate()`` held (fails the test after ``timeout``)."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            pytest.fail(f"not within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - started


def test_three_processes_kill_and_pause_the_leader(pg_url: str, store: OperationalStore) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE test_switches (token bigint NOT NULL, holder text NOT NULL, "
            "at timestamptz NOT NULL DEFAULT clock_timestamp())"
        )
    workers = [Worker(pg_url) for _ in range(3)]
    try:
        wait_for(lambda: sum(len(w.leads()) for w in workers) == 1, 30)
        first = next(w for w in workers if w.leads())
        token = first.leads()[0]["token"]
        time.sleep(TTL)  # it leads for a while: renewals keep others out
        assert sum(len(w.leads()) for w in workers) == 1

        # 1. kill -9 the leader: another takes over within the lease time (plus a poll)
        killed_at = time.monotonic()
        first.proc.kill()
        rest = [w for w in workers if w is not first]
        wait_for(lambda: any(w.leads() for w in rest), TTL * 3)
        takeover = time.monotonic() - killed_at
        second = next(w for w in rest if w.leads())
        assert second.leads()[0]["token"] == token + 1
        assert takeover <= TTL + TTL / 5 + 1.0, f"takeover after {takeover:.2f} s"
        with store.engine.begin() as conn, pytest.raises(LeaseLostError):
            check_fence(conn, token)

        # 2. pause the new leader past its lease, let the third take over, then resume it:
        #    its next switch or renewal is refused, and it never switches with its old token
        def switched(t: int) -> bool:
            with store.engine.begin() as conn:
                found = conn.execute(
                    sa.text("SELECT count(*) FROM test_switches WHERE token = :t"), {"t": t}
                ).scalar_one()
            return bool(found)

        wait_for(lambda: switched(token + 1), TTL * 2)
        os.kill(second.proc.pid, signal.SIGSTOP)
        third = next(w for w in rest if w is not second)
        wait_for(lambda: bool(third.leads()), TTL * 4)
        assert third.leads()[0]["token"] == token + 2
        os.kill(second.proc.pid, signal.SIGCONT)
        wait_for(lambda: any(e["event"] == "fenced" for e in second.events), TTL * 4)
        time.sleep(TTL / 2)
        assert len(second.leads()) == 1, "the paused leader stays out while the third leads"
        with store.engine.begin() as conn:
            rows = conn.execute(
                sa.text("SELECT token, holder, at FROM test_switches ORDER BY at")
            ).all()
            lease = conn.execute(
                sa.text("SELECT token, acquired_at FROM thermo_leases WHERE name = 'migration'")
            ).one()
    finally:
        for w in workers:
            w.stop()
    assert lease.token == token + 2
    by_token = {t: [r for r in rows if r.token == t] for t in (token, token + 1, token + 2)}
    assert all(by_token.values()), "each leader switched under its own token"
    # no switch with an older token committed after the newest leader took over
    assert all(r.at <= lease.acquired_at for r in rows if r.token < lease.token)
    holders = {t: {r.holder for r in group} for t, group in by_token.items()}
    assert all(len(h) == 1 for h in holders.values()) and len(set().union(*holders.values())) == 3


def test_leadership_thread_keeps_and_hands_over_the_lease(store: OperationalStore) -> None:
    from thermodb.cluster import Leadership

    changes: list[tuple[str, int | None]] = []
    ttl = timedelta(seconds=0.9)
    a = Leadership(
        LeaderLease(store.engine, holder="a", ttl=ttl),
        on_change=lambda lease: changes.append(("a", lease.token if lease else None)),
    )
    b = Leadership(
        LeaderLease(store.engine, holder="b", ttl=ttl),
        on_change=lambda lease: changes.append(("b", lease.token if lease else None)),
    )
    a.start()
    try:
        wait_for(lambda: a.token is not None, 10)
        b.start()
        time.sleep(2 * ttl.total_seconds())  # a renews throughout: b never gets in
        assert a.token == 1 and b.token is None
        a.stop()  # releases at once: b need not wait for the lease to lapse
        assert a.token is None
        handover = wait_for(lambda: b.token is not None, 10)
        assert b.token == 2 and handover < ttl.total_seconds()
        with store.engine.begin() as conn:
            check_fence(conn, 2)
    finally:
        a.stop()
        b.stop()
    assert changes == [("a", 1), ("a", None), ("b", 2), ("b", None)]
