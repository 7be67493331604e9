#!/usr/bin/env python3
"""Compute the gold answers of questions.jsonl with DuckDB and check the question set.

    python build_gold.py           # run every gold_sql, rewrite the "gold" of each line, check
    python build_gold.py --check   # recompute, compare with the stored gold, exit 1 if stale

Every collection in manifest.json is loaded as a table of the same name with
read_json_auto(..., format = 'newline_delimited', sample_size = -1), with the time zone set
to UTC and threads = 1 (reproducible float sums). Each gold_sql runs over those tables and
becomes {"columns": [...], "rows": [...]}: timestamps as ISO-8601 UTC strings ending in "Z",
dates (day / week / month buckets) as YYYY-MM-DD, decimals as floats. Rows of unordered
answers are sorted canonically.

Checks (the script exits 1 if one fails):
  * ids are unique; the turns of each conversation are numbered 1, 2, 3... in file order;
  * every answer has 1..60 rows (no empty gold), and no one-number answer is 0 or null;
  * an ordered question's gold_sql ends with "ORDER BY <output column> [ASC|DESC] LIMIT n" and
    the first n + 1 values of that column are all different (no tie inside the answer or at
    its cut-off).

Needs duckdb; everything else is the standard library.
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

import duckdb

HERE = Path(__file__).resolve().parent
MAX_ROWS = 60
ORDER_TAIL = re.compile(r"ORDER BY\s+(\w+)(?:\s+(?:ASC|DESC))?\s+LIMIT\s+(\d+)\s*$", re.I)


def connect(root: Path):
    manifest = json.loads((root / "manifest.json").read_text())
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET threads = 1")
    for name, file in manifest["collections"].items():
        path = str(root / file).replace("'", "''")
        con.execute(f"CREATE TABLE \"{name}\" AS SELECT * FROM read_json_auto('{path}', "
                    "format = 'newline_delimited', sample_size = -1)")
    return con


def cell(v):
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return None if math.isnan(v) else v
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(dt.timezone.utc).replace(tzinfo=None)
        s = v.strftime("%Y-%m-%dT%H:%M:%S")
        if v.microsecond:
            s += f".{v.microsecond // 1000:03d}"
        return s + "Z"
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return [cell(x) for x in v]
    if isinstance(v, dict):
        return {k: cell(x) for k, x in v.items()}
    return str(v)


def run(con, sql: str) -> dict:
    cur = con.execute(sql)
    cols = [d[0] for d in cur.description]
    return {"columns": cols, "rows": [[cell(v) for v in r] for r in cur.fetchall()]}


def row_key(row):
    return [(0, float(v), "") if isinstance(v, (int, float)) else
            (2, 0.0, "") if v is None else (1, 0.0, json.dumps(v, sort_keys=True)) for v in row]


def same_gold(a, b) -> bool:
    if not isinstance(a, dict) or a.get("columns") != b.get("columns"):
        return False
    ra, rb = a.get("rows") or [], b.get("rows") or []
    if len(ra) != len(rb):
        return False
    for x, y in zip(ra, rb):
        if len(x) != len(y):
            return False
        for u, v in zip(x, y):
            if isinstance(u, float) or isinstance(v, float):
                if not (isinstance(u, (int, float)) and isinstance(v, (int, float))
                        and math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-12)):
                    return False
            elif u != v:
                return False
    return True


def tie_problem(con, q):
    m = ORDER_TAIL.search(q["gold_sql"])
    if not m:
        return "ordered, but gold_sql does not end with ORDER BY <column> [ASC|DESC] LIMIT n"
    key, n = m.group(1), int(m.group(2))
    wider = q["gold_sql"][:m.start(2)] + str(n + 1) + q["gold_sql"][m.end(2):]
    res = run(con, wider)
    if key not in res["columns"]:
        return f"ORDER BY column {key!r} is not an output column"
    i = res["columns"].index(key)
    vals = [r[i] for r in res["rows"]]
    if len(vals) < n:
        return f"only {len(vals)} rows for LIMIT {n}"
    dup = [v for v, c in collections.Counter(map(repr, vals)).items() if c > 1]
    return f"tie in the first {n + 1} values of {key}: {dup}" if dup else None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true")
    args = p.parse_args()
    qfile = HERE / "questions.jsonl"
    questions = [json.loads(l) for l in qfile.read_text().splitlines() if l.strip()]
    con = connect(HERE)
    problems, stale = [], []
    for q in questions:
        gold = run(con, q["gold_sql"])
        if not q.get("ordered"):
            gold["rows"].sort(key=row_key)
        if not same_gold(q.get("gold"), gold):
            stale.append(q["id"])
        q["gold"] = gold

    ids = [q["id"] for q in questions]
    if len(set(ids)) != len(ids):
        problems.append("duplicate ids")
    turns = collections.defaultdict(list)
    for q in questions:
        if q.get("conversation"):
            turns[q["conversation"]].append(q.get("turn"))
    for conv, ts in turns.items():
        if ts != list(range(1, len(ts) + 1)):
            problems.append(f"conversation {conv}: turns {ts}")
    for q in questions:
        rows = q["gold"]["rows"]
        if not rows:
            problems.append(f"{q['id']}: empty answer")
        if len(rows) > MAX_ROWS:
            problems.append(f"{q['id']}: {len(rows)} rows (more than {MAX_ROWS})")
        if len(rows) == 1 and len(rows[0]) == 1 and rows[0][0] in (0, None):
            problems.append(f"{q['id']}: degenerate one-number answer {rows[0][0]!r}")
        if any(v is None for r in rows for v in r):
            problems.append(f"{q['id']}: null in answer")
        if q.get("ordered"):
            t = tie_problem(con, q)
            if t:
                problems.append(f"{q['id']}: {t}")

    cats = collections.Counter(q["category"] for q in questions)
    sizes = collections.Counter(min(len(q["gold"]["rows"]), 21) for q in questions)
    print(f"{len(questions)} questions, {len(turns)} conversations")
    print("per category: " + ", ".join(f"{c} {n}" for c, n in sorted(cats.items())))
    print("rows per answer: " + ", ".join(f"{'>20' if k == 21 else k}: {v}" for k, v in sorted(sizes.items())))
    for msg in problems:
        print("PROBLEM", msg)
    if args.check:
        if stale:
            print(f"stale gold for {len(stale)} questions: {stale[:10]}")
            return 1
        print("stored gold is up to date")
        return 1 if problems else 0
    with qfile.open("w", encoding="utf-8", newline="\n") as f:
        for q in questions:
            f.write(json.dumps(q, ensure_ascii=False) + "\n")
    print(f"wrote {qfile.name} ({len(stale)} gold answers changed)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
