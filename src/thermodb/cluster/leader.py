"""The migration leader: a lease row in PostgreSQL with a fencing token.

Exactly one process at a time holds the lease ``name`` (``migration`` by default) until
``expires_at``; it renews well before then. When the holder dies or stalls past its
expiry, the next process to :meth:`LeaderLease.acquire` it gets it with a **token one
higher**. Tokens only ever grow, so they order the leaders.

A lease alone cannot stop a paused ex-leader (a long GC pause, a stopped VM) that wakes up
believing it still leads. The fence does: every switch of a move calls
:func:`check_fence` with its token *inside the switch transaction*. It reads the lease row
``FOR SHARE``, so a takeover (which must update that row) waits until the switch commits,
and a switch that starts after a takeover sees the new token and is refused. Either the
switch commits under a live lease, or it does not commit at all.

All times are the database server's (``clock_timestamp()``), so hosts' clocks never have
to agree. PostgreSQL only: an embedded SQLite database has one process and no leader.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from thermodb.errors import StorageError

__all__ = ["DEFAULT_LEASE", "LeaderLease", "Lease", "LeaseLostError", "check_fence"]

DEFAULT_LEASE = "migration"
TABLE = "thermo_leases"

_CREATE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    name        text PRIMARY KEY,
    holder      text NOT NULL,
    token       bigint NOT NULL,
    expires_at  timestamptz NOT NULL,
    acquired_at timestamptz NOT NULL,
    renewed_at  timestamptz NOT NULL
)
"""

_ACQUIRE = sa.text(f"""
INSERT INTO {TABLE} AS l (name, holder, token, expires_at, acquired_at, renewed_at)
VALUES (:name, :holder, 1, clock_timestamp() + make_interval(secs => :ttl),
        clock_timestamp(), clock_timestamp())
ON CONFLICT (name) DO UPDATE SET
    token = CASE WHEN l.holder = EXCLUDED.holder AND l.expires_at > clock_timestamp()
                 THEN l.token ELSE l.token + 1 END,
    acquired_at = CASE WHEN l.holder = EXCLUDED.holder AND l.expires_at > clock_timestamp()
                       THEN l.acquired_at ELSE clock_timestamp() END,
    holder = EXCLUDED.holder,
    expires_at = EXCLUDED.expires_at,
    renewed_at = clock_timestamp()
WHERE l.expires_at <= clock_timestamp() OR l.holder = EXCLUDED.holder
RETURNING token, expires_at
""")

_RENEW = sa.text(f"""
UPDATE {TABLE}
SET expires_at = clock_timestamp() + make_interval(secs => :ttl), renewed_at = clock_timestamp()
WHERE name = :name AND holder = :holder AND token = :token AND expires_at > clock_timestamp()
RETURNING expires_at
""")

_RELEASE = sa.text(f"""
UPDATE {TABLE} SET expires_at = clock_timestamp()
WHERE name = :name AND holder = :holder AND token = :token
""")

_FENCE = sa.text(f"""
SELECT token, expires_at > clock_timestamp() AS live FROM {TABLE} WHERE name = :name FOR SHARE
""")

_CURRENT = sa.text(f"""
SELECT holder, token, expires_at, expires_at > clock_timestamp() AS live
FROM {TABLE} WHERE name = :name
""")


class LeaseLostError(StorageError):
    """This process no longer holds the lease (it expired, or another took it over)."""


@dataclass(frozen=True)
class Lease:
    """A held lease: whose, with which fencing token, until when (the server's clock)."""

    name: str
    holder: str
    token: int
    expires_at: datetime


def default_holder() -> str:
    """A holder id unique to this process: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeaderLease:
    """Acquire, renew and release one named lease over a PostgreSQL engine."""

    def __init__(
        self,
        engine: Engine,
        *,
        name: str = DEFAULT_LEASE,
        holder: str | None = None,
        ttl: timedelta = timedelta(seconds=30),
    ) -> None:
        try:  # a feature probe (the server's clock), not a check of the engine's name
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT clock_timestamp()"))
        except SQLAlchemyError as exc:
            raise StorageError(
                "the leader lease needs PostgreSQL (its server clock and row locks)",
                hint="an embedded database runs one process and needs no leader",
            ) from exc
        self.engine = engine
        self.name = name
        self.holder = holder or default_holder()
        self.ttl = ttl

    def create_table(self) -> None:
        """Create the lease table if it is missing (safe to race from several processes)."""
        for attempt in (1, 2):
            try:
                with self.engine.begin() as conn:
                    conn.exec_driver_sql(_CREATE)
                return
            except SQLAlchemyError:
                if attempt == 2:
                    raise
                # another process created it between our check and our insert: look again

    def acquire(self) -> Lease | None:
        """Take the lease if it is free, expired or already ours; None if another holds it."""
        with self._begin() as conn:
            row = conn.execute(
                _ACQUIRE,
                {"name": self.name, "holder": self.holder, "ttl": self.ttl.total_seconds()},
            ).first()
        if row is None:
            return None
        return Lease(self.name, self.holder, int(row.token), row.expires_at)

    def renew(self, lease: Lease) -> Lease:
        """Extend a held lease; LeaseLostError if it expired or was taken over meanwhile."""
        with self._begin() as conn:
            row = conn.execute(
                _RENEW,
                {
                    "name": lease.name,
                    "holder": lease.holder,
                    "token": lease.token,
                    "ttl": self.ttl.total_seconds(),
                },
            ).first()
        if row is None:
            raise LeaseLostError(
                f"lost the {lease.name!r} lease (token {lease.token})",
                hint="another process leads now; stop leader-only work",
            )
        return Lease(lease.name, lease.holder, lease.token, row.expires_at)

    def release(self, lease: Lease) -> None:
        """Give the lease up now (the token stays, so the next leader's is higher)."""
        with self._begin() as conn:
            conn.execute(
                _RELEASE, {"name": lease.name, "holder": lease.holder, "token": lease.token}
            )

    def current(self) -> dict[str, object] | None:
        """Who holds the lease, with which token, until when, and whether it is still live."""
        with self._begin() as conn:
            row = conn.execute(_CURRENT, {"name": self.name}).mappings().first()
        return dict(row) if row is not None else None

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            raise StorageError(
                f"the lease store does not answer: {first[0] if first else type(exc).__name__}",
                hint="check that PostgreSQL is reachable; leadership waits until it is",
            ) from exc


def check_fence(conn: Connection, token: int, name: str = DEFAULT_LEASE) -> None:
    """Refuse (LeaseLostError) unless ``token`` holds the live lease; call it inside the
    switch transaction: the row stays share-locked until that transaction ends, so no
    takeover can commit in between."""
    row = conn.execute(_FENCE, {"name": name}).first()
    if row is None or int(row.token) != token or not row.live:
        current = "none" if row is None else f"token {row.token}{'' if row.live else ', expired'}"
        raise LeaseLostError(
            f"fenced: token {token} does not hold the {name!r} lease ({current})",
            hint="a newer leader took over; this process must not switch anything",
        )
