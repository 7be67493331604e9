"""Follow-ups change the previous question, and survive a new process (a new Database)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import thermodb
from thermodb.database import Database

NOW = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)


def _events() -> list[dict[str, object]]:
    out = []
    for n in range(1, 201):
        out.append(
            {
                "event_id": f"e{n}",
                "kind": ["click", "view", "purchase"][n % 3],
                "host": ["web-1", "web-2"][n % 2],
                "latency": float(n % 50),
                "region": ["eu", "us"][(n // 2) % 2],
                "at": (NOW - timedelta(hours=5 * n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
    return out


def test_follow_ups_across_database_instances(db: Database) -> None:
    target = db.target
    db.ingest(_events(), collection="events")
    first = db.ask("how many click events this week", now=NOW, conversation="c1")
    week = [e for e in _events() if e["kind"] == "click" and str(e["at"]) >= "2026-03-16"]
    assert first.rows == [[len(week)]]
    db.close()
    again = thermodb.open(target)
    try:
        last_week = again.ask("and last week?", now=NOW, conversation="c1")
        expected = [
            e
            for e in _events()
            if e["kind"] == "click" and "2026-03-09" <= str(e["at"]) < "2026-03-16"
        ]
        assert last_week.rows == [[len(expected)]]
        by_day = again.ask("break that down by day", now=NOW, conversation="c1")
        assert sum(r[1] for r in by_day.rows) == len(expected)
        only = again.ask("only the ones on web-2", now=NOW, conversation="c1")
        assert sum(r[1] for r in only.rows) == sum(1 for e in expected if e["host"] == "web-2")
        regions = again.ask("now group it by region", now=NOW, conversation="c1")
        assert {r[0] for r in regions.rows} <= {"eu", "us"}
    finally:
        again.close()


def test_aggregate_swap_and_filter_replacement(sqlite_db: Database) -> None:
    sqlite_db.ingest(_events(), collection="events")
    avg = sqlite_db.ask("average latency of events on web-1", now=NOW, conversation="c2")
    web1 = [float(e["latency"]) for e in _events() if e["host"] == "web-1"]  # type: ignore[arg-type]
    assert avg.rows[0][0] == sum(web1) / len(web1)
    web2 = sqlite_db.ask("and on web-2?", now=NOW, conversation="c2")
    lat2 = [float(e["latency"]) for e in _events() if e["host"] == "web-2"]  # type: ignore[arg-type]
    assert web2.rows[0][0] == sum(lat2) / len(lat2)
    top = sqlite_db.ask("what about the maximum?", now=NOW, conversation="c2")
    assert top.rows == [[max(lat2)]]
    assert top.spec.aggregates[0].fn == "max"


def test_cli_ask_json_and_refusal(tmp_path: object) -> None:
    data = str(tmp_path) + "/data"  # type: ignore[operator]
    db = thermodb.open(data)
    db.ingest(_events(), collection="events")
    db.close()
    boot = "import sys; from thermodb.cli import main; sys.exit(main(sys.argv[1:]))"
    cmd = [sys.executable, "-c", boot, "--data", data, "ask"]
    ok = subprocess.run(
        [*cmd, "how many purchase events", "--now", "2026-03-18T15:30:00Z", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    answer = json.loads(ok.stdout)
    assert set(answer) >= {"columns", "rows", "query", "explain", "insight", "confidence"}
    assert answer["rows"] == [[sum(1 for e in _events() if e["kind"] == "purchase")]]
    bad = subprocess.run(
        [*cmd, "average salary of events", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 6
    assert "salary" in bad.stderr
