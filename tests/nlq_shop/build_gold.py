"""Compute the gold answers of the shop question set with DuckDB and check the set.

    python tests/nlq_shop/build_gold.py           # run every gold_sql, rewrite each "gold"
    python tests/nlq_shop/build_gold.py --check   # only compare; exit 1 if stale or a check fails

The same approach as the public dev set's ``build_gold.py`` (so both sets are judged alike):
each collection of manifest.json is loaded with ``read_json_auto(..., sample_size = -1)``
into a table of its name, the session time zone is UTC and ``threads`` is 1 (reproducible
float sums). Times become ISO-8601 strings ending in ``Z``, dates ``YYYY-MM-DD``; rows of
unordered answers are sorted canonically. Checks: unique ids, conversation turns numbered
1, 2, 3, at most 60 rows an answer, and no tie among the first N + 1 values of an ordered
question's ``ORDER BY`` column (so the expected order is the only right one).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import decimal
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

import duckdb

HERE = Path(__file__).resolve().parent
MAX_ROWS = 60
ORDER_TAIL = re.compile(
    r"ORDER BY\s+(\w+)(?:\s+(?:ASC|DESC))?(?:\s+NULLS\s+(?:FIRST|LAST))?\s+LIMIT\s+(\d+)\s*$",
    re.I,
)


def connect(root: Path) -> duckdb.DuckDBPyConnection:
    manifest = json.loads((root / "manifest.json").read_text())
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET threads = 1")
    for name, file in manifest["collections"].items():
        path = str(root / file).replace("'", "''")
        con.execute(
            f"CREATE TABLE \"{name}\" AS SELECT * FROM read_json_auto('{path}', "
            "format = 'newline_delimited', sample_size = -1)"
        )
    return con


def cell(v: Any) -> Any:
    """One result value as JSON."""
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return None if math.isnan(v) else v
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(dt.UTC).replace(tzinfo=None)
        s = v.strftime("%Y-%m-%dT%H:%M:%S")
        if v.microsecond:
            s += f".{v.microsecond // 1000:03d}"
        return s + "Z"
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return [cell(x) for x in v]
    if isinstance(v, dict):
        return {k: cell(x) for k, x in v.items()}
    return str(v)


def run(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Any]:
    cur = con.execute(sql)
    cols = [d[0] for d in cur.description or []]
    return {"columns": cols, "rows": [[cell(v) for v in r] for r in cur.fetchall()]}


def row_key(row: list[Any]) -> list[tuple[int, float, str]]:
    """Canonical order of an unordered answer's rows: numbers, then text, then nulls."""
    return [
        (0, float(v), "")
        if isinstance(v, int | float)
        else (2, 0.0, "")
        if v is None
        else (1, 0.0, json.dumps(v, sort_keys=True))
        for v in row
    ]


def tie_problem(con: duckdb.DuckDBPyConnection, q: dict[str, Any]) -> str | None:
    m = ORDER_TAIL.search(q["gold_sql"])
    if not m:
        return "ordered, but gold_sql does not end with ORDER BY <column> [ASC|DESC] LIMIT n"
    key, n = m.group(1), int(m.group(2))
    wider = q["gold_sql"][: m.start(2)] + str(n + 1) + q["gold_sql"][m.end(2) :]
    res = run(con, wider)
    if key not in res["columns"]:
        return f"ORDER BY column {key!r} is not an output column"
    i = res["columns"].index(key)
    counts = collections.Counter(repr(r[i]) for r in res["rows"])
    dup = [v for v, c in counts.items() if c > 1]
    return f"tie in the first {n + 1} values of {key}: {dup}" if dup else None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--check", action="store_true", help="fail if the stored gold is stale")
    args = p.parse_args()
    qfile = HERE / "questions.jsonl"
    questions = [json.loads(line) for line in qfile.read_text().splitlines() if line.strip()]
    con = connect(HERE)
    problems: list[str] = []
    stale: list[str] = []
    for q in questions:
        gold = run(con, q["gold_sql"])
        if not q.get("ordered"):
            gold["rows"].sort(key=row_key)
        if q.get("gold") != gold:
            stale.append(q["id"])
        q["gold"] = gold
    ids = [q["id"] for q in questions]
    if len(set(ids)) != len(ids):
        problems.append("duplicate ids")
    turns: dict[str, list[int]] = collections.defaultdict(list)
    for q in questions:
        if q.get("conversation"):
            turns[q["conversation"]].append(q.get("turn"))
    for conv, ts in turns.items():
        if ts != list(range(1, len(ts) + 1)):
            problems.append(f"conversation {conv}: turns {ts}")
    for q in questions:
        if len(q["gold"]["rows"]) > MAX_ROWS:
            problems.append(f"{q['id']}: {len(q['gold']['rows'])} rows (max {MAX_ROWS})")
        if q.get("ordered") and (tie := tie_problem(con, q)):
            problems.append(f"{q['id']}: {tie}")
    cats = collections.Counter(q["category"] for q in questions)
    empty = [q["id"] for q in questions if not q["gold"]["rows"]]
    print(f"{len(questions)} questions, {len(turns)} conversations; empty answers: {empty}")
    print("per category: " + ", ".join(f"{c} {n}" for c, n in sorted(cats.items())))
    for msg in problems:
        print("PROBLEM", msg)
    if args.check:
        print(f"stale gold: {stale}" if stale else "stored gold is up to date")
        return 1 if stale or problems else 0
    with qfile.open("w", encoding="utf-8", newline="\n") as f:
        for q in questions:
            f.write(json.dumps(q, ensure_ascii=False) + "\n")
    print(f"wrote {qfile.name} ({len(stale)} gold answers changed)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
