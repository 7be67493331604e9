"""Gateway overhead: thermodb's HTTP API (auth + audit on) against a bare Starlette app.

    .venv/bin/python benchmarks/server_bench.py                    # 3000 requests per case
    .venv/bin/python benchmarks/server_bench.py --requests 1000 --concurrency 4

Both apps run under uvicorn (one worker, same settings) in their own subprocess, so the
load generator never shares their GIL. The bare app returns the very JSON thermodb returns
(captured from thermodb first), so the difference is the gateway: authentication (an API
key, cached after the first check), grants, masks, rate limiting, the audit-log append
(one SQLite transaction per request) and the query or key lookup itself.

Cases: ``get`` (GET a record by key) and ``query`` (POST the same QuerySpec again and
again; the result cache is the planner's, when it has one, otherwise a hot SQLite page
cache). The load tool is an httpx client with keep-alive in ``--concurrency`` threads,
the same for both apps; figures are requests/s over the whole case and p50/p99 of each
request's latency. The machine is shared, so compare the ratio from one run.

Also reported: the server process's CPU time per request (user + system, all threads, from
/proc), whose bare/thermodb ratio is the throughput ratio the same two apps would reach on
an idle machine: it barely moves with other load, unlike requests/s and p99.
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import orjson

SPEC = {"collection": "users", "where": {"field": "plan", "op": "=", "value": "pro"},
        "aggregates": [{"fn": "count"}]}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_thermodb(data: str, port: int) -> None:
    import uvicorn

    from thermodb.database import Database
    from thermodb.security.config import RateLimit, SecurityConfig
    from thermodb.server import create_app

    limits = {
        k: RateLimit(per_second=1e6, burst=10**6) for k in ("read", "query", "write", "admin")
    }
    config = SecurityConfig(rate_limits=limits, audit_reads=True)
    app = create_app(Database(data), config)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False)


def _serve_bare(port: int, record: bytes, answer: bytes) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def get(request: Request) -> Response:
        return Response(record, media_type="application/json")

    async def query(request: Request) -> Response:
        await request.body()
        return Response(answer, media_type="application/json")

    app = Starlette(routes=[
        Route("/v1/collections/users/records/{key}", get),
        Route("/v1/query", query, methods=["POST"]),
    ])  # fmt: skip
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False)


def _wait(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads so far (Linux /proc)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load(
    base: str, case: str, headers: dict[str, str], n: int, threads: int, pid: int
) -> dict[str, float]:
    latencies: list[float] = []
    lock = threading.Lock()
    per_thread = n // threads
    body = orjson.dumps(SPEC)

    def worker(seed: int) -> None:
        own: list[float] = []
        with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
            for i in range(per_thread):
                key = (seed * per_thread + i) % 1000 + 1
                t0 = time.perf_counter()
                if case == "get":
                    r = client.get(f"/v1/collections/users/records/{key}")
                else:
                    r = client.post("/v1/query", content=body,
                                    headers={"content-type": "application/json"})  # fmt: skip
                own.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    raise RuntimeError(f"{case} answered {r.status_code}: {r.text[:200]}")
        with lock:
            latencies.extend(own)

    pool = [threading.Thread(target=worker, args=(s,)) for s in range(threads)]
    cpu = _cpu_seconds(pid)
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - start
    cpu = _cpu_seconds(pid) - cpu
    latencies.sort()
    return {
        "rps": len(latencies) / wall,
        "cpu_ms": cpu * 1000 / max(1, len(latencies)),
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="Alternating rounds; medians.")
    args = parser.parse_args(argv)

    import thermodb
    from thermodb.security.gateway import Gateway

    data = str(Path(tempfile.mkdtemp(prefix="thermodb-bench-")) / "data")
    db = thermodb.open(data)
    db.ingest(
        [{"id": i, "name": f"user{i}", "email": f"u{i}@example.com",
          "plan": "pro" if i % 3 else "free"} for i in range(1, 1001)],
        collection="users", key="id",
    )  # fmt: skip
    key, _ = Gateway(db).keys.create("reader", label="bench")
    db.close()
    headers = {"Authorization": f"Bearer {key}"}

    ctx = multiprocessing.get_context("spawn")
    tport, bport = _free_port(), _free_port()
    thermo = ctx.Process(target=_serve_thermodb, args=(data, tport), daemon=True)
    thermo.start()
    tbase = f"http://127.0.0.1:{tport}"
    _wait(f"{tbase}/healthz")
    with httpx.Client(base_url=tbase, headers=headers) as c:
        record = c.get("/v1/collections/users/records/1").content
        answer = c.post("/v1/query", json=SPEC).content
    bare = ctx.Process(target=_serve_bare, args=(bport, record, answer), daemon=True)
    bare.start()
    bbase = f"http://127.0.0.1:{bport}"
    _wait(f"{bbase}/v1/collections/users/records/1")

    runs: dict[str, list[dict[str, float]]] = {}
    try:
        pids = {bbase: bare.pid or 0, tbase: thermo.pid or 0}
        for case in ("get", "query"):
            for base in (bbase, tbase):
                _load(base, case, headers, 200, args.concurrency, pids[base])  # warm-up
        for _round in range(args.rounds):
            for case in ("get", "query"):
                for name, base in (("bare", bbase), ("thermodb", tbase)):
                    r = _load(base, case, headers, args.requests, args.concurrency, pids[base])
                    runs.setdefault(f"{case}/{name}", []).append(r)
                    r1 = _load(base, case, headers, max(200, args.requests // 4), 1, pids[base])
                    runs.setdefault(f"{case}/{name}/serial", []).append(r1)
    finally:
        thermo.terminate()
        bare.terminate()
    print(f"median of {args.rounds} rounds; concurrency {args.concurrency} (serial: 1)")
    print(f"{'case':<24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'cpu ms/req':>12}")
    for name, rs in runs.items():
        keys = ("rps", "p50_ms", "p99_ms", "cpu_ms")
        m = {k: statistics.median(r[k] for r in rs) for k in keys}
        print(
            f"{name:<24}{m['rps']:>10.0f}{m['p50_ms']:>10.2f}{m['p99_ms']:>10.2f}"
            f"{m['cpu_ms']:>12.3f}"
        )
    for case in ("get", "query"):
        for suffix in ("", "/serial"):
            ratios = [
                t["rps"] / b["rps"]
                for t, b in zip(
                    runs[f"{case}/thermodb{suffix}"], runs[f"{case}/bare{suffix}"], strict=True
                )
            ]
            print(
                f"{case}{suffix}: thermodb/bare throughput = {statistics.median(ratios):.2f}x "
                f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)})"
            )
        cpu = [
            b["cpu_ms"] / t["cpu_ms"]
            for t, b in zip(runs[f"{case}/thermodb"], runs[f"{case}/bare"], strict=True)
            if t["cpu_ms"] > 0
        ]
        if cpu:
            print(
                f"{case}: bare/thermodb server CPU per request = {statistics.median(cpu):.2f}x "
                f"(rounds: {', '.join(f'{x:.2f}' for x in cpu)})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
