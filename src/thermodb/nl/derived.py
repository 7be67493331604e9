"""Questions whose answer is computed from the answers of simpler ones.

"What share of trips were cancelled" is the count of cancelled trips over the count of
trips; "trips this week compared with last week" is one count per period; "how many trips
does a rider take on average" is the average of the per-rider counts; "average hours to
resolve a repair" is the average of ``resolved_at - opened_at``. Each shape is recognised
by its English frame (never by a schema name), its parts are read by the ordinary reader
as plain questions, and every part runs as an ordinary :class:`QuerySpec` through the
planner, so grants, row filters, masks and tiers apply to them exactly as to any query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from typing import Any

from thermodb.errors import NotUnderstoodError
from thermodb.nl.reader import Reading, read_question
from thermodb.nl.schema import SchemaIndex
from thermodb.nl.text import Token, tokenize
from thermodb.nl.timeexpr import find_times
from thermodb.query.result import Result
from thermodb.query.spec import Aggregate, And, Condition, Filter, QuerySpec

__all__ = ["Derived", "derive"]

Run = Callable[[QuerySpec], Result]

SHARE_WORDS = {"share": 1.0, "fraction": 1.0, "proportion": 1.0, "ratio": 1.0, "rate": 1.0,
               "percentage": 100.0, "percent": 100.0, "pct": 100.0}  # fmt: skip
_VERBS = frozenset({"are", "were", "is", "was", "have", "has", "had", "that", "who", "which",
                    "did", "do", "does", "with", "without", "got", "get", "came"})  # fmt: skip
COMPARE_WORDS = frozenset({"compared", "versus", "vs", "against", "and", "to", "with", "than"})
_TIME_UNITS = {"second": 1.0, "seconds": 1.0, "minute": 60.0, "minutes": 60.0, "hour": 3600.0,
               "hours": 3600.0, "day": 86400.0, "days": 86400.0, "week": 604800.0,
               "weeks": 604800.0}  # fmt: skip
_DIFF_AGGS = {"average": "avg", "avg": "avg", "mean": "avg", "typical": "avg",
              "longest": "max", "maximum": "max", "max": "max", "highest": "max",
              "shortest": "min", "minimum": "min", "min": "min", "quickest": "min",
              "fastest": "min", "slowest": "max", "lowest": "min", "total": "sum",
              "median": "median"}  # fmt: skip
_START_WORDS = ("start", "begin", "open", "creat", "submit", "place", "report", "raise", "join",
                "checked_in", "check_in", "logged_in", "login", "pick")  # fmt: skip
_END_WORDS = ("end", "finish", "stop", "clos", "resolv", "complet", "ship", "deliver", "fix",
              "checked_out", "check_out", "logged_out", "logout", "drop")  # fmt: skip


@dataclass
class Derived:
    """A question answered from the results of simpler QuerySpecs."""

    spec: QuerySpec
    """The main part (shown as the query of the answer)."""
    compute: Callable[[Run], Result]
    reading: str
    """The reading in words: "share: count of trips where status = cancelled / count of trips"."""
    confidence: float
    notes: list[str] = field(default_factory=list)
    parts: list[QuerySpec] = field(default_factory=list)


def _text(tokens: list[Token]) -> str:
    return " ".join(f'"{t.raw}"' if t.literal else t.raw for t in tokens)


def _conds(f: Filter | None) -> list[Filter]:
    if f is None:
        return []
    return list(f.and_) if isinstance(f, And) else [f]


def _is_count(spec: QuerySpec) -> bool:
    return (
        not spec.group_by
        and len(spec.aggregates) == 1
        and spec.aggregates[0].fn in ("count", "count_distinct")
    )


def _scalar(result: Result) -> Any:
    return result.rows[0][-1] if result.rows else None


def derive(question: str, now: datetime, index: SchemaIndex) -> Derived | None:
    """The derived reading of ``question``, or None when it has none of the shapes."""
    tokens = tokenize(question)
    words = [t.text if not t.literal else "" for t in tokens]
    for build in (_share, _periods):
        got = build(tokens, words, now, index)
        if got is not None:
            return got
    for build in (_per_entity, _time_difference):
        try:
            got = build(tokens, words, now, index)
        except NotUnderstoodError:
            got = None  # not this shape after all: the ordinary reader explains itself
        if got is not None:
            return got
    return None


# -- shares ----------------------------------------------------------------------------
def _share(tokens: list[Token], words: list[str], now: datetime, ix: SchemaIndex) -> Derived | None:
    """ "what share / percentage / fraction of <subject> <verb> <predicate>"."""
    at = next(
        (i for i, w in enumerate(words) if w in SHARE_WORDS and words[i + 1 : i + 2] == ["of"]),
        None,
    )
    if at is None:
        return None
    factor = SHARE_WORDS[words[at]]
    rest = tokens[at + 2 :]
    split = next((k for k, t in enumerate(rest) if t.text in _VERBS and k > 0), None)
    if split is None:
        return None
    subject = _text(rest[:split])
    whole = read_question(f"how many {subject}", now, ix)
    part = read_question(f"how many {_text(rest)}", now, ix)
    den, num = whole.spec, part.spec
    base = {repr(c) for c in _conds(den.where)}
    narrower = (
        _is_count(den)
        and _is_count(num)
        and den.collection == num.collection
        and base <= {repr(c) for c in _conds(num.where)}
        and (num.where != den.where or num.links != den.links or num.time != den.time)
    )
    if not narrower:
        raise NotUnderstoodError(
            f"I could not tell which part of {den.collection} the {words[at]} is of",
            hint="say 'what share of <records> are/were <condition>'",
        )
    unit = "%" if factor == 100 else ""

    def compute(run: Run) -> Result:
        n, d = _scalar(run(num)), _scalar(run(den))
        value = None if not d else factor * (n or 0) / d
        return Result(
            ["share", "matching", "of"],
            [[value, n, d]],
            {"derived": "share", "parts": 2},
        )

    reading = f"share{' in %' if unit else ''}: {describe(num)} out of {describe(den)}"
    return Derived(
        num, compute, reading, min(whole.confidence, part.confidence), part.notes, [num, den]
    )


# -- two periods -----------------------------------------------------------------------
def _periods(
    tokens: list[Token], words: list[str], now: datetime, ix: SchemaIndex
) -> Derived | None:
    """ "<question> <period 1> compared with / versus / and <period 2>"."""
    probe = tokenize(_text(tokens))
    times = find_times(probe, now)
    if len(times) != 2:
        return None
    a, b = sorted(times, key=lambda t: t.first)
    between = [t.text for t in probe[a.last : b.first]]
    if not between or not all(w in COMPARE_WORDS or w in ("with", "the", "in") for w in between):
        return None
    head = probe[: a.first]
    tail = probe[b.last :]
    first = read_question(_text([*head, *probe[a.first : a.last], *tail]), now, ix)
    second = read_question(_text([*head, *probe[b.first : b.last], *tail]), now, ix)
    s1, s2 = _as_count(first.spec), _as_count(second.spec)
    if s1.group_by or s2.group_by or len(s1.aggregates) != 1 or s1.time == s2.time:
        return None

    def compute(run: Run) -> Result:
        v1, v2 = _scalar(run(s1)), _scalar(run(s2))
        diff = v1 - v2 if isinstance(v1, int | float) and isinstance(v2, int | float) else None
        return Result(
            [_label(a.text), _label(b.text), "difference"],
            [[v1, v2, diff]],
            {"derived": "periods", "parts": 2},
        )

    reading = f"{describe(s1, a.text)} compared with {b.text}"
    return Derived(
        s1, compute, reading, min(first.confidence, second.confidence), first.notes, [s1, s2]
    )


def _as_count(spec: QuerySpec) -> QuerySpec:
    """ "riders who signed up in July versus August": compare how many."""
    if spec.aggregates or spec.group_by:
        return spec
    return spec.model_copy(
        update={"aggregates": [Aggregate(fn="count", alias="count")], "select": None}
    )


def _label(text: str) -> str:
    return text.replace(" ", "_")


# -- averages of per-entity counts -----------------------------------------------------
def _per_entity(
    tokens: list[Token], words: list[str], now: datetime, ix: SchemaIndex
) -> Derived | None:
    """ "average number of X per Y", "how many X does a Y take on average"."""
    text = " ".join(words)
    on_average = "on average" in text or "on avg" in text
    avg_number = any(
        words[i] in ("average", "avg", "mean", "typical")
        and words[i + 1 : i + 3] in (["number", "of"], ["count", "of"])
        for i in range(len(words) - 2)
    )
    if not (on_average or avg_number):
        return None
    keep: list[Token] = []
    i = 0
    while i < len(tokens):
        w = words[i]
        if w == "on" and words[i + 1 : i + 2] in (["average"], ["avg"]):
            i += 2
            continue
        if w in ("average", "avg", "mean", "typical") and avg_number:
            i += 1
            continue
        keep.append(tokens[i])
        i += 1
    inner_words = [t.text for t in keep]
    # "how many trips does a rider take": the entity after does/do/did is grouped by
    if "per" not in inner_words and "each" not in inner_words:
        for k, w in enumerate(inner_words):
            if w in ("does", "do", "did") and k + 1 < len(keep):
                j = k + 1
                while j < len(keep) and inner_words[j] in ("a", "an", "the", "one", "each"):
                    j += 1
                if j < len(keep):
                    rest = [t for t in keep[:k]] + [Token("per", "per", 0)] + [keep[j]]
                    # the verb after the entity ("take", "have") is explained by the frame
                    keep = rest + [t for t in keep[j + 2 :]]
                break
    inner = read_question(_text(keep), now, ix)
    spec = inner.spec
    if len(spec.group_by) != 1 or len(spec.aggregates) != 1 or spec.aggregates[0].fn != "count":
        return None
    if spec.group_by[0].bucket is not None:
        label = f"per {spec.group_by[0].bucket}"
    else:
        label = f"per {spec.group_by[0].field}"

    def compute(run: Run) -> Result:
        rows = run(spec).rows
        counts = [r[-1] for r in rows if isinstance(r[-1], int | float)]
        value = sum(counts) / len(counts) if counts else None
        return Result(
            [f"average_{spec.aggregates[0].name}_{label.replace(' ', '_')}", "groups"],
            [[value, len(counts)]],
            {"derived": "average_of_groups", "parts": 1},
        )

    reading = f"average over groups of {describe(spec)}"
    return Derived(spec, compute, reading, inner.confidence, inner.notes, [spec])


# -- differences of two time fields ----------------------------------------------------
def _time_difference(
    tokens: list[Token], words: list[str], now: datetime, ix: SchemaIndex
) -> Derived | None:
    """ "average hours to resolve a repair", "time between opened and resolved",
    "average trip duration in minutes" (no duration field: start and end times)."""
    unit_word = next((w for w in words if w in _TIME_UNITS), None)
    drop: set[int] = set()
    verbs: list[str] = []
    for i, w in enumerate(words):
        if (
            w in ("to", "until", "before")
            and 0 < i < len(words) - 1
            and words[i - 1] in (*_TIME_UNITS, "long", "time")
            and words[i + 1]
        ):
            verbs = [words[i + 1]]
            drop |= {i - 1, i, i + 1}
            break
        if w == "between" and i + 3 < len(words) + 1 and "and" in words[i + 2 : i + 4]:
            j = words.index("and", i + 2)
            if j + 1 < len(words):
                verbs = [words[i + 1], words[j + 1]]
                drop |= {i, i + 1, j, j + 1}
                if i > 0 and words[i - 1] in (*_TIME_UNITS, "time", "long"):
                    drop.add(i - 1)
                break
    duration = None
    if not verbs:
        duration = next(
            (i for i, w in enumerate(words) if w in ("duration", "durations", "long")), None
        )
        if duration is None:
            return None
        drop.add(duration)
    fn = None
    for i, w in enumerate(words):
        if w in _DIFF_AGGS and i not in drop:
            fn = _DIFF_AGGS[w]
            drop.add(i)
            if i > 0 and words[i - 1] == "on":
                drop.add(i - 1)  # "on average"
            break
    if fn is None:
        if "how" in words and "long" in words:
            fn = "avg"
        else:
            return None
    for i, w in enumerate(words):
        if w == unit_word and i not in drop:
            drop.add(i)
            if i > 0 and words[i - 1] == "in":
                drop.add(i - 1)
    rest = [
        t
        for i, t in enumerate(tokens)
        if i not in drop and t.text not in ("how", "it", "take", "takes", "does", "did", "do")
    ]
    try:
        base = read_question(_text(rest) or "records", now, ix)
    except NotUnderstoodError:
        # "average minutes between check-in and check-out": the verbs name the collection
        owners = [c for c in ix.colls if _time_pair(ix, c, verbs) is not None]
        if len(owners) != 1 or any(t.text not in ("a", "an", "the", "for", "of") for t in rest):
            raise
        base = Reading(QuerySpec(collection=owners[0]), 1.0)
    spec = base.spec
    if spec.aggregates and not (len(spec.aggregates) == 1 and spec.aggregates[0].fn == "count"):
        return None
    coll = spec.collection
    pair = _time_pair(ix, coll, verbs)
    if pair is None:
        return None
    own = ix.lexicon.synonyms("duration")
    if duration is not None and any(set(fi.head) & own for fi in ix.colls[coll].fields.values()):
        return None  # the collection has its own duration field: the reader handles it
    start, end = pair
    factor = _TIME_UNITS.get(unit_word or "", 1.0 if unit_word else 0.0) or _default_unit(spec)
    group = [g.field for g in spec.group_by if g.field]
    if len(group) != len(spec.group_by):
        return None
    cond: list[Filter] = [
        *_conds(spec.where),
        Condition(field=start, op="not_null"),
        Condition(field=end, op="not_null"),
    ]
    listing = spec.model_copy(
        update={
            "aggregates": [],
            "group_by": [],
            "select": [*group, start, end],
            "where": And(and_=cond),
            "order": [],
            "limit": None,
        }
    )
    unit_name = unit_word or "seconds"
    if not unit_name.endswith("s"):
        unit_name += "s"

    def compute(run: Run) -> Result:
        res = run(listing)
        if res.truncated:
            raise NotUnderstoodError(
                "too many records to compute the time between two fields here",
                hint="narrow the question with a period or a filter",
            )
        groups: dict[tuple[Any, ...], list[float]] = {}
        for row in res.rows:
            t0, t1 = _when(row[-2]), _when(row[-1])
            if t0 is None or t1 is None:
                continue
            groups.setdefault(tuple(row[:-2]), []).append((t1 - t0).total_seconds() / factor)
        out = []
        for key, values in sorted(groups.items(), key=lambda kv: [str(k) for k in kv[0]]):
            out.append([*key, _aggregate(fn, values)])
        if not group and not out:
            out = [[None]]
        name = f"{fn}_{unit_name}_{start}_to_{end}"
        return Result([*group, name], out, {"derived": "time_difference", "parts": 1})

    verb = {"avg": "average", "max": "longest", "min": "shortest", "sum": "total"}.get(fn, fn)
    reading = f"{verb} {unit_name} from {start} to {end} of {describe(listing)}"
    if group:
        reading += f", grouped by {', '.join(group)}"
    return Derived(listing, compute, reading, base.confidence, base.notes, [listing])


def _default_unit(spec: QuerySpec) -> float:
    return 1.0


def _when(v: Any) -> datetime | None:
    if not isinstance(v, str):
        return None
    try:
        return datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return None


def _aggregate(fn: str, values: list[float]) -> float | None:
    if not values:
        return None
    if fn == "avg":
        return sum(values) / len(values)
    if fn == "max":
        return max(values)
    if fn == "min":
        return min(values)
    if fn == "sum":
        return sum(values)
    return float(median(values))


def _time_pair(ix: SchemaIndex, coll: str, verbs: list[str]) -> tuple[str, str] | None:
    """(start, end) time fields: named by the verbs, else the collection's start/end pair."""
    info = ix.colls[coll]
    times = ix.time_fields(coll)
    named = [ix.time_field_for_verb(coll, v.replace("-", "_")) for v in verbs]
    if len(verbs) == 2 and named[0] and named[1] and named[0] != named[1]:
        return named[0], named[1]
    if len(verbs) == 1 and named[0]:
        start = info.time if info.time and info.time != named[0] else None
        if start is None:
            others = [t for t in times if t != named[0] and _role(ix, coll, t) == "start"]
            start = others[0] if len(others) == 1 else None
        return (start, named[0]) if start else None
    if verbs:
        return None
    starts = [t for t in times if _role(ix, coll, t) == "start"]
    ends = [t for t in times if _role(ix, coll, t) == "end"]
    if len(starts) == 1 and len(ends) == 1:
        return starts[0], ends[0]
    return None


def _role(ix: SchemaIndex, coll: str, path: str) -> str | None:
    head = "_".join(ix.colls[coll].fields[path].head)
    if head.startswith(_START_WORDS):
        return "start"
    if head.startswith(_END_WORDS):
        return "end"
    return None


# -- the reading in words --------------------------------------------------------------
def describe(spec: QuerySpec, period: str | None = None) -> str:
    """A QuerySpec in words: "count of trips where status = cancelled, grouped by city"."""
    from thermodb.nl.explain import describe as words

    return words(spec, period)
