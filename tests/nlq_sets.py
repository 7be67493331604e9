"""Run a natural-language question set in-process and score it, the way ``nlq/run.py`` does.

A question set is a folder with ``manifest.json`` (``now`` and ``collections``), the NDJSON
files it names and ``questions.jsonl`` (see the dev set's README). ``run_set`` ingests the
collections into a fresh database, asks every question through :meth:`Database.ask` (turns
of a conversation in order, with one conversation id) and scores each answer with the
matching rule of ``nlq/CONVENTIONS.md`` ("Answers"), re-stated here so the tests need
nothing but this repository. It is ~100 times faster than ``run.py``, which starts one
process a question, so the suite can afford it.

    python tests/nlq_sets.py tests/nlq_shop [--show-misses]
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import json
import math
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import thermodb
from thermodb.errors import ThermoError

__all__ = ["SetScore", "matches", "run_set"]


BANDS = ((0.9, 1.01), (0.8, 0.9), (0.7, 0.8), (0.5, 0.7), (0.0, 0.5))
"""Confidence bands of the reliability table, highest first."""


@dataclass
class SetScore:
    """Right, wrong and refused answers per category, and the confidence of each answer.

    ``by_category`` maps a category to ``[right, total]`` (kept for callers); ``outcomes``
    to ``[right, wrong, refused]``. ``answered`` holds (confidence, right) of every answer
    that was not a refusal, for the reliability table.
    """

    right: int = 0
    total: int = 0
    wrong: int = 0
    refused: int = 0
    by_category: dict[str, list[int]] = field(default_factory=dict)
    outcomes: dict[str, list[int]] = field(default_factory=dict)
    answered: list[tuple[float, bool]] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / max(1, self.total)

    def add(self, category: str, outcome: str, confidence: float | None) -> None:
        """Count one question: ``outcome`` is right, wrong or refused."""
        cat = self.by_category.setdefault(category, [0, 0])
        out = self.outcomes.setdefault(category, [0, 0, 0])
        ok = outcome == "right"
        cat[0] += ok
        cat[1] += 1
        out[("right", "wrong", "refused").index(outcome)] += 1
        self.right += ok
        self.wrong += outcome == "wrong"
        self.refused += outcome == "refused"
        self.total += 1
        if confidence is not None:
            self.answered.append((confidence, ok))

    def reliability(self) -> list[tuple[str, int, int]]:
        """(band, answers in it, right among them) per confidence band."""
        rows = []
        for lo, hi in BANDS:
            got = [ok for c, ok in self.answered if lo <= c < hi]
            label = f">= {lo:.1f}" if hi > 1 else f"{lo:.1f}-{hi:.1f}"
            rows.append((label, len(got), sum(got)))
        return rows

    def table(self) -> str:
        lines = [f"{'category':24s} right wrong refused  of   right%"]
        for cat, (ok, bad, no) in sorted(self.outcomes.items()):
            n = ok + bad + no
            lines.append(f"{cat:24s} {ok:5d} {bad:5d} {no:7d} {n:4d}  {100 * ok / n:5.1f}%")
        lines.append(
            f"accuracy {self.right}/{self.total} = {100 * self.accuracy:.1f}%; "
            f"wrong {self.wrong} ({100 * self.wrong / max(1, self.total):.1f}%), "
            f"refused {self.refused}"
        )
        lines.append("confidence  answers  right  share right")
        for label, n, ok in self.reliability():
            share = f"{100 * ok / n:5.1f}%" if n else "    -"
            lines.append(f"{label:10s} {n:8d} {ok:6d}  {share}")
        return "\n".join(lines)


def _as_time(s: str) -> str | None:
    if len(s) < 10 or s[4] != "-" or s[7] != "-":
        return None
    try:
        if len(s) == 10:
            return dt.date.fromisoformat(s).isoformat()
        t = dt.datetime.fromisoformat(s.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        return None
    if t.tzinfo is not None:
        t = t.astimezone(dt.UTC).replace(tzinfo=None)
    return t.date().isoformat() if t.time() == dt.time(0) else t.isoformat(timespec="seconds")


def _norm(v: Any) -> Any:
    """One cell in a canonical form: numbers to 7 significant digits, times in UTC."""
    if v is None:
        return None
    if isinstance(v, bool | int | float):
        f = float(v)
        return None if math.isnan(f) else float(f"{f:.7g}")
    if isinstance(v, dt.datetime | dt.date):
        v = v.isoformat()
    if isinstance(v, str):
        s = v.strip()
        t = _as_time(s)
        if t is not None:
            return t
        try:
            return float(f"{float(s):.7g}") if s and s[0] in "-0123456789" else s
        except ValueError:
            return s
    if isinstance(v, list | dict):
        return json.dumps(v, sort_keys=True)
    return str(v)


def matches(gold: dict[str, Any], rows: list[list[Any]], ordered: bool) -> bool:
    """True when ``rows`` hold the gold rows: same count, and a column for each gold column."""
    g_rows = [[_norm(c) for c in r] for r in gold["rows"]]
    a_rows = [[_norm(c) for c in r] for r in rows]
    if len(g_rows) != len(a_rows):
        return False
    if not g_rows:
        return True
    width = len(a_rows[0])
    g_cols = [[r[i] for r in g_rows] for i in range(len(g_rows[0]))]
    a_cols = [[r[j] if j < len(r) else None for r in a_rows] for j in range(width)]

    def same(x: list[Any], y: list[Any]) -> bool:
        if ordered:
            return x == y
        return collections.Counter(map(repr, x)) == collections.Counter(map(repr, y))

    candidates = [[j for j in range(width) if same(g, a_cols[j])] for g in g_cols]
    if any(not c for c in candidates):
        return False
    if ordered:
        return True
    want = collections.Counter(repr(tuple(r)) for r in g_rows)
    for pick in itertools.islice(itertools.product(*candidates), 5000):
        if collections.Counter(repr(tuple(r[j] for j in pick)) for r in a_rows) == want:
            return True
    return False


def run_set(root: Path, data_dir: Path | None = None) -> SetScore:
    """Ingest a question set into a fresh SQLite database and score every question."""
    manifest = json.loads((root / "manifest.json").read_text())
    now = dt.datetime.fromisoformat(manifest["now"].replace("Z", "+00:00"))
    questions = [json.loads(x) for x in (root / "questions.jsonl").read_text().splitlines() if x]
    questions.sort(key=lambda q: (q.get("conversation") or q["id"], q.get("turn", 0)))
    with tempfile.TemporaryDirectory(prefix="nlq-set-") as tmp:
        db = thermodb.open(str(data_dir or Path(tmp) / "data"))
        for name, file in manifest["collections"].items():
            text = (root / file).read_text()
            db.ingest([json.loads(x) for x in text.splitlines() if x.strip()], collection=name)
        score = SetScore()
        for q in questions:
            conversation = f"{root.name}-{q['conversation']}" if q.get("conversation") else None
            confidence: float | None = None
            try:
                answer = db.ask(q["question"], now=now, conversation=conversation)
                ok = matches(q["gold"], answer.rows, bool(q.get("ordered")))
                confidence = answer.confidence
                got = f"{len(answer.rows)} rows (conf {confidence:.2f}): {str(answer.rows)[:160]}"
                outcome = "right" if ok else "wrong"
            except ThermoError as exc:
                ok, got, outcome = False, f"error: {exc}", "refused"
            score.add(q["category"], outcome, confidence)
            if not ok:
                score.misses.append(
                    f"{'MISS' if outcome == 'wrong' else 'REFUSED'} {q['id']}: {q['question']!r}\n"
                    f"     expected {str(q['gold']['rows'])[:160]}\n     got {got}"
                )
        db.close()
    return score


if __name__ == "__main__":
    result = run_set(Path(sys.argv[1]).resolve())
    if "--show-misses" in sys.argv:
        print("\n".join(result.misses))
    print(result.table())
