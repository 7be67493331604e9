"""Concurrent schema changes (issue #16, finding 8): writers that each add a new field race
readers of the same collection; every valid write must succeed and every field must stay."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
from gateway_env import LiveServer, make_env

from thermodb.database import Database

THREADS = 10
WRITES = 20


def _field(t: int, i: int) -> str:
    return f"extra_{t}_{i}"


def _key(t: int, i: int) -> int:
    return 1000 + t * 100 + i


def _run(workers: list[Callable[[], None]]) -> list[BaseException]:
    """Run the workers together and return what any of them raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(workers))

    def wrap(work: Callable[[], None]) -> None:
        try:
            start.wait(30)
            work()
        except BaseException as exc:  # reported to the test, never swallowed
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return errors


def test_concurrent_puts_adding_fields_all_succeed(db: Database) -> None:
    env = make_env(db)
    failures: list[str] = []
    done = threading.Event()
    with env.client, LiveServer(env.app) as live:
        writer, reader = env.h("writer"), env.h("reader")

        def write(t: int) -> Callable[[], None]:
            def work() -> None:
                with httpx.Client(base_url=live.url, timeout=60) as http:
                    for i in range(WRITES):
                        body = {"user_id": 1, "text": f"t{t} w{i}", _field(t, i): t * 1000 + i}
                        r = http.put(
                            f"/v1/collections/messages/records/{_key(t, i)}",
                            json=body,
                            headers=writer,
                        )
                        if not 200 <= r.status_code < 300:
                            failures.append(f"PUT {_key(t, i)}: {r.status_code} {r.text}")

            return work

        def read() -> None:
            with httpx.Client(base_url=live.url, timeout=60) as http:
                while not done.is_set():
                    got = http.get("/v1/collections/messages/records/10", headers=reader)
                    if got.status_code != 200:
                        failures.append(f"GET: {got.status_code} {got.text}")
                    q = http.post(
                        "/v1/query",
                        json={"collection": "messages", "aggregates": [{"fn": "count"}]},
                        headers=reader,
                    )
                    if q.status_code != 200:
                        failures.append(f"query: {q.status_code} {q.text}")

        writers = [write(t) for t in range(THREADS)]
        readers = [read, read]

        def writers_then_stop() -> None:
            errors = _run(writers)
            done.set()
            if errors:
                raise errors[0]

        errors = _run([writers_then_stop, *readers])
        assert not errors, errors
        assert not failures, f"{len(failures)} of {THREADS * WRITES} writes/reads failed: " + (
            "; ".join(failures[:5])
        )
        with httpx.Client(base_url=live.url, timeout=60) as http:
            for t in range(THREADS):
                for i in range(WRITES):
                    got = http.get(f"/v1/collections/messages/records/{_key(t, i)}", headers=reader)
                    assert got.status_code == 200, got.text
                    assert got.json()[_field(t, i)] == t * 1000 + i
                    assert got.json()["text"] == f"t{t} w{i}"
    _assert_schema(db, "messages")


def _assert_schema(db: Database, collection: str) -> None:
    missing = {_field(t, i) for t in range(THREADS) for i in range(WRITES)}
    missing -= set(db.collection(collection).fields)
    assert not missing, sorted(missing)[:10]


def test_concurrent_ingest_adding_fields_with_readers(db: Database) -> None:
    db.ingest([{"id": 1, "text": "seed"}], collection="notes", key="id")
    done = threading.Event()
    failures: list[str] = []

    def write(t: int) -> Callable[[], None]:
        def work() -> None:
            for i in range(WRITES):
                record = {"id": _key(t, i), "text": f"t{t} w{i}", _field(t, i): t * 1000 + i}
                try:
                    db.ingest([record], collection="notes", key="id")
                except Exception as exc:  # counted: every valid write must succeed
                    failures.append(f"ingest {_key(t, i)}: {exc!r}")

        return work

    def read() -> None:
        while not done.is_set():
            assert db.get("notes", 1) is not None
            db.query({"collection": "notes", "aggregates": [{"fn": "count"}]})

    def writers_then_stop() -> None:
        errors = _run([write(t) for t in range(THREADS)])
        done.set()
        if errors:
            raise errors[0]

    errors = _run([writers_then_stop, read, read])
    assert not errors, f"{len(errors)} workers failed: {[repr(e) for e in errors]}"
    assert not failures, f"{len(failures)} of {THREADS * WRITES} writes failed: " + (
        "; ".join(failures[:5])
    )
    for t in range(THREADS):
        for i in range(WRITES):
            got = db.get("notes", _key(t, i))
            assert got is not None
            assert got[_field(t, i)] == t * 1000 + i
    _assert_schema(db, "notes")
