"""WikiTableQuestions in-process: every table ingested as ``data``, its questions via db.ask.

    python tools/wtq_inprocess.py WTQ_DIR [--limit N] [--show-misses] [--out FILE]

A development tool (the WTQ sample is not shipped). It scores with the same rule as the
sample's own ``run.py``: that file's ``norm`` and ``right`` functions are loaded from
``WTQ_DIR/run.py`` at run time, so both runners always agree. Each table gets a fresh
temporary database, as ``run.py`` does; ingest failures count as wrong-by-refusal.
Reports right / wrong / refused, the reliability table and the median time of ``db.ask``.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import thermodb
from thermodb.errors import ThermoError

BANDS = ((0.9, 1.01), (0.8, 0.9), (0.7, 0.8), (0.5, 0.7), (0.0, 0.5))


def load_scorer(root: Path) -> Any:
    spec = importlib.util.spec_from_file_location("wtq_run", root / "run.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no run.py in {root}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("root")
    p.add_argument("--limit", type=int)
    p.add_argument("--show-misses", action="store_true")
    p.add_argument("--only-wrong", action="store_true", help="show wrong answers, not refusals")
    p.add_argument("--out")
    a = p.parse_args()
    root = Path(a.root).resolve()
    scorer = load_scorer(root)
    qs = [json.loads(x) for x in (root / "questions.jsonl").read_text().splitlines() if x.strip()]
    if a.limit:
        qs = qs[: a.limit]
    by_table: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for q in qs:
        by_table[q["table"]].append(q)
    right = wrong = refused = ingest_failed = 0
    answered: list[tuple[float, bool]] = []
    took: list[float] = []
    reasons: collections.Counter[str] = collections.Counter()
    out = Path(a.out).open("w") if a.out else None  # noqa: SIM115 (closed at the end)
    for table, tqs in sorted(by_table.items()):
        with tempfile.TemporaryDirectory(prefix="wtq-") as tmp:
            db = thermodb.open(str(Path(tmp) / "data"))
            try:
                lines = (root / "tables" / table).read_text().splitlines()
                db.ingest([json.loads(x) for x in lines if x.strip()], collection="data")
                failed = None
            except ThermoError as exc:
                failed = f"ingest failed: {exc}"
                ingest_failed += 1
            for q in tqs:
                conf = None
                if failed:
                    ans: dict[str, Any] = {"error": failed}
                else:
                    t0 = time.perf_counter()
                    try:
                        got = db.ask(q["question"])
                        ans = {"columns": got.columns, "rows": got.rows}
                        conf = got.confidence
                    except ThermoError as exc:
                        ans = {"error": str(exc)}
                    took.append(time.perf_counter() - t0)
                good = "error" not in ans and scorer.right(q["answer"], ans)
                if "error" in ans:
                    refused += 1
                    reasons[str(ans["error"]).split("(")[0][:60]] += 1
                elif good:
                    right += 1
                else:
                    wrong += 1
                if conf is not None:
                    answered.append((conf, good))
                if out:
                    out.write(json.dumps({"id": q["id"], "ok": good, **ans}, default=str) + "\n")
                if a.show_misses and not good and not (a.only_wrong and "error" in ans):
                    shown = ans.get("error") or str(ans.get("rows"))[:120]
                    print(
                        f"MISS {q['id']} [{table}] {q['question']!r} gold={q['answer']} got={shown}"
                    )
            db.close()
    if out:
        out.close()
    n = right + wrong + refused
    took.sort()
    med = 1000 * took[len(took) // 2] if took else 0.0
    print(
        f"wtq in-process: {right}/{n} = {100 * right / max(1, n):.1f}% right, "
        f"{wrong} wrong, {refused} refused ({ingest_failed} tables failed to ingest); "
        f"median db.ask {med:.1f} ms"
    )
    print("confidence  answers  right  share right")
    for lo, hi in BANDS:
        got_b = [ok for c, ok in answered if lo <= c < hi]
        label = f">= {lo:.1f}" if hi > 1 else f"{lo:.1f}-{hi:.1f}"
        share = f"{100 * sum(got_b) / len(got_b):5.1f}%" if got_b else "    -"
        print(f"{label:10s} {len(got_b):8d} {sum(got_b):6d}  {share}")
    if a.show_misses:
        for reason, k in reasons.most_common(15):
            print(f"{k:5d}  {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
