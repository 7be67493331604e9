"""Questions about one table a user brought, read against its cells.

Scraped and CSV-born tables ("Nation", "Gold", "Total"; "1,234", "12 km", "March 5, 1998")
are asked about by what their cells say: "how many gold medals did Norway win", "who came
after Smith", "which team had the most points", "how many more people attended the first
game than the second". When the ordinary reader refuses such a question and the database
holds a single collection, this reader tries the table's own cells: the values the
question quotes (longest first), the columns its words name, numbers read from text, and
the row order. Its answers carry a lower confidence (``TABLE_CONFIDENCE``) and say how they
were read, so an interface can tell them from a full reading.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from thermodb.catalog.naming import split_words
from thermodb.errors import NotUnderstoodError
from thermodb.nl.lexicon import stem
from thermodb.query.result import Result
from thermodb.query.spec import QuerySpec

__all__ = ["TABLE_CONFIDENCE", "TableAnswer", "answer_from_table"]

TABLE_CONFIDENCE = 0.6
MAX_ROWS = 5000
_NUMBER = re.compile(r"^\s*[-+]?\$?\s*(\d[\d,]*(?:\.\d+)?|\.\d+)")
_MOST = frozenset({"most", "highest", "largest", "greatest", "biggest", "top", "best", "max",
                   "maximum", "longest", "tallest", "oldest", "latest", "heaviest", "farthest",
                   "furthest", "more", "higher", "larger"})  # fmt: skip
_LEAST = frozenset({"least", "lowest", "smallest", "fewest", "minimum", "min", "shortest",
                    "worst", "earliest", "youngest", "lightest", "less", "fewer",
                    "lower"})  # fmt: skip


def _norm(text: Any) -> str:
    s = "" if text is None else str(text)
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if unicodedata.category(c) != "Mn")
    s = s.lower().replace("\n", " ")
    s = re.sub(r"[^\w\s.,'/-]", " ", s)
    return re.sub(r"\s+", " ", s).strip(" .,")


def _num(v: Any) -> float | None:
    """The number a cell's text starts with ("1,234", "12 km", "$5.50"), or None."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int | float):
        return float(v)
    m = _NUMBER.match(str(v))
    if not m:
        return None
    try:
        return float(m.group(1).replace(",", ""))
    except ValueError:
        return None


@dataclass
class TableAnswer:
    spec: QuerySpec
    result: Result
    reading: str


@dataclass
class _Table:
    columns: list[str]
    rows: list[list[Any]]

    def numeric(self, j: int) -> bool:
        vals = [r[j] for r in self.rows if r[j] not in (None, "", "—", "-")]
        return bool(vals) and sum(_num(v) is not None for v in vals) >= 0.8 * len(vals)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text)


def answer_from_table(
    question: str, collection: str, run: Callable[[QuerySpec], Result]
) -> TableAnswer:
    """The answer read from the cells, or NotUnderstoodError when nothing fits."""
    spec = QuerySpec(collection=collection, limit=MAX_ROWS)
    listing = run(spec)
    table = _Table(listing.columns, listing.rows)
    if not table.rows or listing.truncated or len(table.rows) >= MAX_ROWS:
        raise NotUnderstoodError("the table is too large to be read cell by cell")
    q = _norm(question)
    qwords = _words(q)
    qstems = {stem(w) for w in qwords}
    values = _value_mentions(table, q)
    named = _column_mentions(table, qstems, values)
    reader = _TableReader(table, q, qwords, values, named)
    cells, how = reader.read()
    result = Result(["answer"], [[c] for c in cells], {"nl": "table"})
    return TableAnswer(spec, result, how)


def _value_mentions(table: _Table, q: str) -> list[tuple[int, str, str]]:
    """(column, cell, normalised cell) for every cell text the question quotes, longest
    first, without cells inside a longer quoted one."""
    found: list[tuple[int, str, str]] = []
    seen: set[tuple[int, str]] = set()
    padded = f" {q} "
    for j in range(len(table.columns)):
        for row in table.rows:
            cell = row[j]
            if cell is None or isinstance(cell, bool):
                continue
            text = _norm(cell)
            if len(text) < 2 or (j, text) in seen or (text.isdigit() and len(text) < 3):
                continue
            if f" {text} " in padded:
                seen.add((j, text))
                found.append((j, str(cell), text))
    found.sort(key=lambda x: -len(x[2]))
    kept: list[tuple[int, str, str]] = []
    for m in found:
        if any(m[2] != k[2] and m[2] in k[2] for k in kept):
            continue
        kept.append(m)
    return kept


def _column_mentions(table: _Table, qstems: set[str], values: list[Any]) -> list[int]:
    """Columns whose header words all appear in the question (best coverage first)."""
    scored = []
    for j, name in enumerate(table.columns):
        words = [stem(w) for w in split_words(name) if w]
        words = [w for w in words if w not in ("no", "of", "the")]
        if not words:
            continue
        hit = sum(w in qstems for w in words)
        if hit:
            scored.append((hit / len(words), hit, j))
    scored.sort(reverse=True)
    return [j for share, _, j in scored if share >= 0.5]


class _TableReader:
    def __init__(
        self,
        table: _Table,
        q: str,
        words: list[str],
        values: list[tuple[int, str, str]],
        named: list[int],
    ) -> None:
        self.t = table
        self.q = q
        self.words = words
        self.values = values
        self.named = named
        self.value_cols = {v[0] for v in values}
        self.compared = False

    def has(self, *ws: str) -> bool:
        return any(w in self.words for w in ws)

    def matching_rows(self) -> list[int]:
        """Rows holding every quoted value (values of one column: any of them)."""
        by_col: dict[int, set[str]] = {}
        for j, _, text in self.values:
            by_col.setdefault(j, set()).add(text)
        out = []
        for i, row in enumerate(self.t.rows):
            if all(_norm(row[j]) in texts for j, texts in by_col.items()):
                out.append(i)
        return out

    def target(self, exclude: set[int]) -> int | None:
        """The column the question asks for: one it names that is not a filter."""
        for j in self.named:
            if j not in exclude:
                return j
        return None

    def subject_column(self, exclude: set[int]) -> int:
        """ "who"/"which": the first text column that is not a filter."""
        for j in range(len(self.t.columns)):
            if j not in exclude and not self.t.numeric(j):
                return j
        return 0

    def measure(self, exclude: set[int]) -> int | None:
        for j in self.named:
            if j not in exclude and self.t.numeric(j):
                return j
        nums = [j for j in range(len(self.t.columns)) if j not in exclude and self.t.numeric(j)]
        return nums[0] if len(nums) == 1 else None

    def read(self) -> tuple[list[Any], str]:
        rows = self.matching_rows() if self.values else list(range(len(self.t.rows)))
        cols = self.t.columns
        w = self.words
        # "how many more ... than ...", "difference between X and Y"
        if (self.has("more", "less", "fewer") and "than" in w) or self.has("difference"):
            got = self._difference()
            if got is not None:
                return got
        rows = self._compared(rows)
        if w[:2] == ["how", "many"] or (w[:3] == ["what", "is", "the"] and "number" in w[:5]):
            return self._how_many(rows)
        # the row before / after another
        for word, step in (("before", -1), ("after", 1), ("previous", -1), ("next", 1),
                           ("preceding", -1), ("following", 1), ("above", -1),
                           ("below", 1)):  # fmt: skip
            if word in w and len(rows) == 1:
                k = rows[0] + step
                if 0 <= k < len(self.t.rows):
                    # "who came after Sweden": the column of the quoted value, unless named
                    j = self.target(self.value_cols)
                    if j is None:
                        j = self.values[0][0]
                    return [self.t.rows[k][j]], f"{cols[j]} of the row {word} the one quoted"
        # superlatives over a numeric column
        if self.has(*_MOST) or self.has(*_LEAST):
            desc = self.has(*_MOST)
            ans = self.target(self.value_cols) if self.named else None
            m = self.measure(self.value_cols | ({ans} if ans is not None else set()))
            if m is None and ans is not None and self.t.numeric(ans):
                m, ans = ans, None
            if m is not None:
                pool = [i for i in rows if _num(self.t.rows[i][m]) is not None]
                if pool:
                    pick = (max if desc else min)(pool, key=lambda i: _num(self.t.rows[i][m]) or 0)
                    j = (
                        ans
                        if ans is not None and ans != m
                        else self.subject_column(self.value_cols | {m})
                    )
                    word = "highest" if desc else "lowest"
                    return [self.t.rows[pick][j]], f"{cols[j]} of the row with the {word} {cols[m]}"
        # first / last row
        for word, pos in (("first", 0), ("last", -1)):
            if word in w and rows:
                j = self.target(self.value_cols) or self.subject_column(self.value_cols)
                return [self.t.rows[rows[pos]][j]], f"{cols[j]} of the {word} matching row"
        # lookup: a quoted value and a named column
        if self.values and rows:
            col = self.target(self.value_cols)
            if col is None and self.has("who", "whom"):
                col = self.subject_column(self.value_cols)
            if col is not None:
                if self.has("total", "sum") and self.t.numeric(col) and len(rows) > 1:
                    total = sum(_num(self.t.rows[i][col]) or 0 for i in rows)
                    return [_plain(total)], f"total {cols[col]} of the matching rows"
                return [self.t.rows[i][col] for i in rows], f"{cols[col]} of the matching rows"
        raise NotUnderstoodError(
            "I could not match the question to the table's columns or cells",
            hint=f"name a column ({', '.join(cols[:6])}) or quote a cell",
        )

    def _compared(self, rows: list[int]) -> list[int]:
        """ "at least 600 beds", "more than 40 points": rows whose number in the named (or
        only) numeric column compares so."""
        self.compared = False
        text = " ".join(self.words)
        for phrase, op in _COMPARISONS:
            m = re.search(rf"\b{phrase} (\d[\d,]*(?:\.\d+)?)\b", text)
            if not m:
                continue
            n = float(m.group(1).replace(",", ""))
            after = text[m.end() :].split()[:2]
            j = next(
                (
                    k
                    for k in self.named
                    if self.t.numeric(k)
                    and any(
                        stem(x) in {stem(w) for w in split_words(self.t.columns[k])} for x in after
                    )
                ),
                None,
            )
            if j is None:
                j = self.measure(self.value_cols)
            if j is None:
                return rows
            self.compared = True
            self.named = [k for k in self.named if k != j]
            return [i for i in rows if _cmp(_num(self.t.rows[i][j]), op, n)]
        return rows

    def _how_many(self, rows: list[int]) -> tuple[list[Any], str]:
        cols = self.t.columns
        # "how many points did X score": one matching row and a numeric column named
        j = self.target(self.value_cols)
        if j is not None and self.t.numeric(j) and len(rows) == 1 and self.values:
            return [self.t.rows[rows[0]][j]], f"{cols[j]} of the matching row"
        if j is not None and self.t.numeric(j) and self.values and self.has("total", "combined"):
            total = sum(_num(self.t.rows[i][j]) or 0 for i in rows)
            return [_plain(total)], f"total {cols[j]} of the matching rows"
        if not self.values and not self.compared:
            if self.has("people", "entries", "rows", "listed", "total", "there"):
                return [len(rows)], "count of the rows"
            raise NotUnderstoodError("I could not tell which rows to count")
        return [len(rows)], "count of the rows holding " + ", ".join(v[1] for v in self.values)

    def _difference(self) -> tuple[list[Any], str] | None:
        cols = self.t.columns
        by_col: dict[int, list[str]] = {}
        for j, _, text in self.values:
            by_col.setdefault(j, []).append(text)
        pair = next((texts for texts in by_col.values() if len(texts) >= 2), None)
        if pair is None:
            return None
        col = next(j for j, texts in by_col.items() if texts is pair)
        m = self.measure({col})
        if m is None:
            return None
        vals = []
        for text in pair[:2]:
            hit = next((r for r in self.t.rows if _norm(r[col]) == text), None)
            vals.append(_num(hit[m]) if hit is not None else None)
        if vals[0] is None or vals[1] is None:
            return None
        return [_plain(abs(vals[0] - vals[1]))], f"difference of {cols[m]} between two rows"


_COMPARISONS = (("at least", ">="), ("at most", "<="), ("more than", ">"), ("over", ">"),
                ("above", ">"), ("greater than", ">"), ("less than", "<"), ("fewer than", "<"),
                ("under", "<"), ("below", "<"), ("no more than", "<="),
                ("exactly", "="))  # fmt: skip


def _cmp(v: float | None, op: str, n: float) -> bool:
    if v is None:
        return False
    return {">=": v >= n, "<=": v <= n, ">": v > n, "<": v < n, "=": v == n}[op]


def _plain(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x
