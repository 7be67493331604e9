"""The demo data set: deterministic, recent, shaped like a real product's data; and `demo`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

import thermodb
from thermodb.catalog.types import FieldType
from thermodb.demo import COLLECTIONS, write_demo_files

NOW = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)


def _read(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    a = write_demo_files(tmp_path / "a", records=3000, seed=1, now=NOW)
    b = write_demo_files(tmp_path / "b", records=3000, seed=1, now=NOW)
    c = write_demo_files(tmp_path / "c", records=3000, seed=2, now=NOW)
    assert list(a) == list(COLLECTIONS)  # users first: the others refer to them
    for name in COLLECTIONS:
        assert a[name].read_bytes() == b[name].read_bytes(), name
    assert a["messages"].read_bytes() != c["messages"].read_bytes()


def test_records_are_recent_related_and_realistic(tmp_path: Path) -> None:
    files = write_demo_files(tmp_path, records=20_000, seed=5, now=NOW)
    data = {name: _read(path) for name, path in files.items()}
    assert 19_000 <= sum(len(v) for v in data.values()) <= 21_000
    start = NOW - timedelta(days=90)
    times = [_moment(r["sent_at"]) for r in data["messages"]]
    times += [_moment(r["ts"]) for r in data["logs"]] + [_moment(r["ts"]) for r in data["metrics"]]
    assert all(start <= t <= NOW for t in times)
    assert any(t > NOW - timedelta(days=7) for t in times)

    user_ids = {u["id"] for u in data["users"]}
    assert {m["user_id"] for m in data["messages"]} <= user_ids
    assert {s["user_id"] for s in data["sessions"]} <= user_ids

    # a few heavy users: the top 2% of users send far more than 2% of the messages
    per_user = Counter(m["user_id"] for m in data["messages"]).most_common()
    top = per_user[: max(1, len(user_ids) // 50)]
    assert sum(n for _, n in top) > 0.12 * len(data["messages"])

    # weekdays are busier than weekends; the product grows over the window
    weekday = Counter(_moment(m["sent_at"]).weekday() < 5 for m in data["messages"])
    assert weekday[True] / 5 > 1.8 * weekday[False] / 2
    halves = Counter(_moment(m["sent_at"]) > NOW - timedelta(days=45) for m in data["messages"])
    assert halves[True] > 1.2 * halves[False]

    # log-normal latencies: a long tail well above the median
    latencies = sorted(r["latency_ms"] for r in data["logs"] if "latency_ms" in r)
    median, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
    assert p99 > 5 * median

    # nested objects, missing fields and nulls
    assert all(isinstance(u["address"], dict) for u in data["users"])
    assert any("birth_year" not in u for u in data["users"])
    assert any(u["last_active_at"] is None for u in data["users"]) or all(
        u["last_active_at"] >= u["created_at"] for u in data["users"] if u["last_active_at"]
    )
    assert any(r["value"] is None for r in data["metrics"]) or any(
        "reply_to" in m for m in data["messages"]
    )


def test_incidents_show_as_error_bursts(tmp_path: Path) -> None:
    files = write_demo_files(tmp_path, records=30_000, seed=9, now=NOW)
    logs = _read(files["logs"])
    errors_by_hour = Counter(r["ts"][:13] for r in logs if r["level"] in ("ERROR", "FATAL"))
    lines_by_hour = Counter(r["ts"][:13] for r in logs)
    overall = sum(errors_by_hour.values()) / len(logs)
    bursts = [
        h
        for h, n in errors_by_hour.items()
        if lines_by_hour[h] >= 10 and n / lines_by_hour[h] > 3 * overall
    ]
    assert bursts, "an incident should make some hours error-heavy"
    last_week = (NOW - timedelta(days=7)).strftime("%Y-%m-%dT%H")
    assert any(h >= last_week for h in bursts), "one incident falls in the last week"


def test_demo_command_ingests_every_collection(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "thermodb", "--data", str(data), "demo", "--records", "3000"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    with thermodb.open(data) as db:
        assert sorted(c.name for c in db.collections()) == sorted(COLLECTIONS)
        counts = {name: db.count(name) for name in COLLECTIONS}
        assert 2800 <= sum(counts.values()) <= 3200, counts
        users = db.collection("users")
        assert (users.kind, users.key_field, users.time_field) == ("entity", "id", "created_at")
        assert users.fields["address.city"].type is FieldType.TEXT
        logs = db.collection("logs")
        assert (logs.kind, logs.time_field) == ("event", "ts")
        assert logs.fields["ts"].type is FieldType.TIMESTAMP
        assert db.collection("sessions").key_field == "session_id"
        assert db.collection("messages").time_field == "sent_at"
        assert db.collection("metrics").fields["value"].type is FieldType.FLOAT
    assert "users" in done.stdout and "describe users" in done.stdout


def test_a_second_demo_is_refused_unless_replaced(tmp_path: Path) -> None:
    from cli_process import run_cli

    def sizes() -> list[Any]:
        listing = run_cli("collections", "--format", "json", data=data)
        return [row[:5] for row in orjson.loads(listing.stdout)["rows"]]

    data = tmp_path / "d"
    assert run_cli("demo", "--records", "2000", data=data).returncode == 0
    first = sizes()
    again = run_cli("demo", "--records", "2000", data=data)
    assert again.returncode == 2 and "--replace" in again.stderr
    replaced = run_cli("demo", "--records", "2000", "--replace", data=data)
    assert replaced.returncode == 0, replaced.stderr
    assert sizes() == first  # the same data again, not twice the events
