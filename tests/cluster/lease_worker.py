"""One contender for the migration lease, run as its own process by test_leader.py.

    python lease_worker.py POSTGRES_URL TTL_SECONDS

Loops: without the lease, try to acquire it; with it, do a fenced "switch" (insert a row
carrying its token, inside a transaction that first calls check_fence), then renew. Each
event is one JSON line on stdout. Stops after 120 s on its own.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta

import orjson
import sqlalchemy as sa

from thermodb.cluster import LeaderLease, LeaseLostError, check_fence
from thermodb.errors import StorageError
from thermodb.storage.operational import open_store


def emit(event: str, **values: object) -> None:
    sys.stdout.write(orjson.dumps({"event": event, "at": time.time(), **values}).decode() + "\n")
    sys.stdout.flush()


def main(url: str, ttl: float) -> None:
    store = open_store(url)
    lease_store = LeaderLease(store.engine, ttl=timedelta(seconds=ttl))
    emit("started", holder=lease_store.holder)
    lease = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if lease is None:
                lease = lease_store.acquire()
                if lease is not None:
                    emit("leader", token=lease.token, holder=lease.holder)
            else:
                with store.engine.begin() as conn:
                    check_fence(conn, lease.token)
                    conn.execute(
                        sa.text("INSERT INTO test_switches (token, holder) VALUES (:t, :h)"),
                        {"t": lease.token, "h": lease.holder},
                    )
                lease = lease_store.renew(lease)
        except LeaseLostError as exc:
            emit("fenced", token=lease.token if lease else None, error=exc.message)
            lease = None
        except StorageError as exc:
            emit("error", error=exc.message)
        time.sleep(ttl / 5)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
