"""Property tests: random records and random QuerySpecs, checked against DuckDB.

The reference is DuckDB over the same records, with SQL written here independently of the
compiler and the documented semantics spelled out (two-valued logic, nulls last,
case-insensitive contains / starts_with, UTC buckets named by their start, continuous
percentiles). Runs on SQLite and PostgreSQL through the ``db`` fixture; set
THERMODB_PROPERTY_EXAMPLES for a deeper run than the default.
"""

from __future__ import annotations

import itertools
import math
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import thermodb
from thermodb.catalog.types import iso
from thermodb.database import Database

FIELDS: dict[str, str] = {
    "id": "int",
    "grp": "text",
    "n": "int",
    "x": "float",
    "flag": "bool",
    "ts": "ts",
    "meta.k": "text",
    "meta.v": "int",
}
DUCK = {name: name.replace(".", "_") for name in FIELDS}
TEXTS = ["alpha", "Beta", "gamma", "ALPHA", "", "al"]
NEEDLES = ["a", "AL", "bet", "", "z", "alpha"]
T0 = datetime(2026, 2, 23, tzinfo=UTC)  # a Monday
_names = itertools.count()
EXAMPLES = int(os.environ.get("THERMODB_PROPERTY_EXAMPLES", "12"))
"""Examples per property test; raise it for a deeper run (the default keeps the file fast)."""

# -- records ---------------------------------------------------------------------------------
moments = st.builds(
    lambda s, micro: T0 + timedelta(seconds=s, microseconds=micro),
    st.integers(0, 60 * 86400),
    st.sampled_from([0, 0, 123456]),
)


@st.composite
def records(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 25))
    out = []
    for i in range(count):
        full = i == 0  # the first record has every field, so every field exists
        maybe = (lambda s: s) if full else (lambda s: st.none() | s)
        rec: dict[str, Any] = {"id": i}
        for name, strat in (
            ("grp", st.sampled_from(TEXTS)),
            ("n", st.integers(-5, 5)),
            ("x", st.floats(-100, 100, allow_nan=False).map(lambda v: round(v, 3) + 0.5)),
            ("flag", st.booleans()),
            ("ts", moments),
        ):
            value = draw(maybe(strat))
            if value is not None or draw(st.booleans()):
                rec[name] = value
        if full or draw(st.booleans()):
            meta: dict[str, Any] = {}
            if full or draw(st.booleans()):
                meta["k"] = draw(st.sampled_from(TEXTS))
            if full or draw(st.booleans()):
                meta["v"] = draw(st.integers(-3, 3))
            rec["meta"] = meta
        out.append(rec)
    return out


def stored(rec: dict[str, Any]) -> dict[str, Any]:
    """A record as thermodb ingests it (timestamps as ISO text)."""
    return {k: iso(v) if isinstance(v, datetime) else v for k, v in rec.items()}


# -- specs -----------------------------------------------------------------------------------
def values_for(kind: str) -> st.SearchStrategy[Any]:
    return {
        "int": st.integers(-6, 6),
        "float": st.floats(-100, 100, allow_nan=False).map(lambda v: round(v, 2)),
        "text": st.sampled_from([*TEXTS[:-1], "zeta"]),
        "bool": st.booleans(),
        "ts": moments.map(iso),
    }[kind]


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(st.sampled_from(sorted(FIELDS)))
    kind = FIELDS[field]
    ops = ["is_null", "not_null", "=", "!="]
    if kind in ("int", "float", "ts"):
        ops += ["<", "<=", ">", ">=", "between", "in", "not_in"]
    if kind == "text":
        ops += ["in", "not_in", "contains", "starts_with", "is_empty", "not_empty"]
    op = draw(st.sampled_from(ops))
    if op in ("is_null", "not_null", "is_empty", "not_empty"):
        return {"field": field, "op": op}
    if op in ("contains", "starts_with"):
        return {"field": field, "op": op, "value": draw(st.sampled_from(NEEDLES))}
    if op in ("in", "not_in"):
        return {
            "field": field,
            "op": op,
            "value": draw(st.lists(values_for(kind), min_size=1, max_size=3)),
        }
    if op == "between":
        low, high = sorted(draw(st.lists(values_for(kind), min_size=2, max_size=2)))
        return {"field": field, "op": op, "value": [low, high]}
    return {"field": field, "op": op, "value": draw(values_for(kind))}


filters = st.recursive(
    conditions(),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"and": xs}),
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"or": xs}),
        inner.map(lambda x: {"not": x}),
    ),
    max_leaves=4,
)


@st.composite
def time_ranges(draw: st.DrawFn) -> dict[str, Any]:
    a, b = sorted(draw(st.lists(moments, min_size=2, max_size=2)))
    out: dict[str, Any] = {"field": "ts"}
    if draw(st.booleans()):
        out["start"] = iso(a)
    if draw(st.booleans()):
        out["end"] = iso(b)
    return out


GROUPABLE = ["grp", "flag", "meta.k", "n", "meta.v"]
BUCKETS = ["minute", "hour", "day", "week", "month", "year"]


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {"collection": "?"}
    if draw(st.booleans()):
        spec["where"] = draw(filters)
    if draw(st.integers(0, 3)) == 0:
        spec["time"] = draw(time_ranges())
    if draw(st.booleans()):
        spec["select"] = draw(
            st.lists(st.sampled_from(sorted(FIELDS)), min_size=1, max_size=4, unique=True)
        )
        if draw(st.booleans()):
            spec["order"] = [{"field": "id", "desc": draw(st.booleans())}]
            if "id" not in spec["select"]:
                spec["select"].append("id")
            if draw(st.booleans()):
                spec["limit"] = draw(st.integers(0, 5))
                spec["offset"] = draw(st.integers(0, 3))
        return spec
    keys = draw(st.lists(st.sampled_from(GROUPABLE + BUCKETS), max_size=2, unique=True))
    spec["group_by"] = [
        {"field": "ts", "bucket": k, "alias": k} if k in BUCKETS else {"field": k} for k in keys
    ]
    aggs: list[dict[str, Any]] = [{"fn": "count", "alias": "c"}]
    for i in range(draw(st.integers(0, 3))):
        fn = draw(
            st.sampled_from(["count", "count_distinct", "sum", "avg", "min", "max", "percentile"])
        )
        numeric = ["n", "x", "meta.v"]
        field = draw(
            st.sampled_from(
                numeric + (["grp", "ts"] if fn in ("count", "count_distinct", "min", "max") else [])
            )
        )
        agg: dict[str, Any] = {"fn": fn, "field": field, "alias": f"a{i}"}
        if fn == "percentile":
            agg["q"] = draw(st.sampled_from([0.1, 0.5, 0.9, 0.95]))
        aggs.append(agg)
    spec["aggregates"] = aggs
    if draw(st.booleans()):
        spec["having"] = {"field": "c", "op": ">", "value": draw(st.integers(0, 3))}
    names = [g.get("alias") or g["field"] for g in spec["group_by"]]
    if names and draw(st.booleans()):
        spec["order"] = [{"field": n, "desc": draw(st.booleans())} for n in names]
        if draw(st.booleans()):
            spec["limit"] = draw(st.integers(0, 4))
    return spec


# -- the reference ---------------------------------------------------------------------------
def duck_table(records_: list[dict[str, Any]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t (id BIGINT, grp VARCHAR, n BIGINT, x DOUBLE, flag BOOLEAN, "
        "ts TIMESTAMP, meta_k VARCHAR, meta_v BIGINT)"
    )
    rows = []
    for r in records_:
        meta = r.get("meta") or {}
        ts = r.get("ts")
        rows.append(
            (
                r["id"],
                r.get("grp"),
                r.get("n"),
                r.get("x"),
                r.get("flag"),
                ts.astimezone(UTC).replace(tzinfo=None) if ts else None,
                meta.get("k"),
                meta.get("v"),
            )
        )
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return con


def _lit(field: str, value: Any, params: list[Any]) -> str:
    if FIELDS[field] == "ts":
        params.append(datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None))
    else:
        params.append(value)
    return "?"


def duck_filter(node: dict[str, Any], params: list[Any]) -> str:
    if "and" in node:
        return "(" + " AND ".join(duck_filter(n, params) for n in node["and"]) + ")"
    if "or" in node:
        return "(" + " OR ".join(duck_filter(n, params) for n in node["or"]) + ")"
    if "not" in node:
        return f"(NOT coalesce({duck_filter(node['not'], params)}, false))"
    field, op, value = node["field"], node["op"], node.get("value")
    col = DUCK[field]
    if op == "is_null":
        return f"({col} IS NULL)"
    if op == "not_null":
        return f"({col} IS NOT NULL)"
    if op == "is_empty":
        return f"({col} IS NULL OR {col} = '')"
    if op == "not_empty":
        return f"NOT ({col} IS NULL OR {col} = '')"
    if op == "contains":
        params.append(value)
        return f"contains(lower({col}), lower(?))"
    if op == "starts_with":
        params.append(value)
        return f"starts_with(lower({col}), lower(?))"
    if op in ("in", "not_in"):
        marks = ", ".join(_lit(field, v, params) for v in value)
        if op == "in":
            return f"({col} IN ({marks}))"
        return f"({col} IS NULL OR {col} NOT IN ({marks}))"
    if op == "between":
        return (
            f"({col} BETWEEN {_lit(field, value[0], params)} AND {_lit(field, value[1], params)})"
        )
    mark = _lit(field, value, params)
    if op == "!=":
        return f"({col} IS NULL OR {col} <> {mark})"
    return f"({col} {'=' if op == '=' else op} {mark})"


def duck_query(spec: dict[str, Any]) -> tuple[str, list[Any]]:
    params: list[Any] = []
    where = []
    if "where" in spec:
        where.append(duck_filter(spec["where"], params))
    rng = spec.get("time")
    if rng:
        for key, op in (("start", ">="), ("end", "<")):
            if key in rng:
                where.append(f"ts {op} ?")
                params.append(
                    datetime.fromisoformat(rng[key].replace("Z", "+00:00")).replace(tzinfo=None)
                )
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    order = ", ".join(
        f'"{o["field"]}" {"DESC" if o["desc"] else "ASC"} NULLS LAST' for o in spec.get("order", [])
    )
    tail = f" ORDER BY {order}" if order else ""
    if "limit" in spec:
        tail += f" LIMIT {spec['limit']}"
    if spec.get("offset"):
        tail += f" OFFSET {spec['offset']}"
    if "aggregates" not in spec:
        cols = ", ".join(f'{DUCK[f]} AS "{f}"' for f in spec["select"])
        return f"SELECT {cols} FROM t{clause}{tail}", params
    exprs = []
    for g in spec["group_by"]:
        if "bucket" in g:
            fmt = "%Y-%m-%dT%H:%M:%SZ" if g["bucket"] in ("minute", "hour") else "%Y-%m-%d"
            exprs.append(f"strftime(date_trunc('{g['bucket']}', ts), '{fmt}') AS \"{g['alias']}\"")
        else:
            exprs.append(f'{DUCK[g["field"]]} AS "{g["field"]}"')
    group = ", ".join(str(i + 1) for i in range(len(exprs)))
    for a in spec["aggregates"]:
        col = DUCK.get(a.get("field") or "", "*")
        fn = a["fn"]
        expr = {
            "count": f"count({col})",
            "count_distinct": f"count(DISTINCT {col})",
            "percentile": f"quantile_cont({col}, {a.get('q')})",
        }.get(fn, f"{fn}({col})")
        exprs.append(f'{expr} AS "{a["alias"]}"')
    having = ""
    if "having" in spec:
        having = f" HAVING count(*) > {int(spec['having']['value'])}"
    group_clause = f" GROUP BY {group}" if group else ""
    return f"SELECT {', '.join(exprs)} FROM t{clause}{group_clause}{having}{tail}", params


def normal(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value.replace(tzinfo=UTC) if value.tzinfo is None else value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    return value


def same_rows(got: list[list[Any]], want: list[list[Any]], ordered: bool) -> bool:
    def key(row: list[Any]) -> str:
        return repr([f"{v:.6g}" if isinstance(v, float) else v for v in row])

    g = [[normal(v) for v in r] for r in got]
    w = [[normal(v) for v in r] for r in want]
    if not ordered:
        g, w = sorted(g, key=key), sorted(w, key=key)
    if len(g) != len(w):
        return False
    for a, b in zip(g, w, strict=True):
        for x, y in zip(a, b, strict=True):
            if isinstance(x, float) and isinstance(y, float):
                if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9):
                    return False
            elif x != y:
                return False
    return True


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(recs=records(), spec_list=st.lists(specs(), min_size=4, max_size=4))
def test_queries_match_duckdb(
    db: Database, recs: list[dict[str, Any]], spec_list: list[dict[str, Any]]
) -> None:
    name = f"p{next(_names)}"
    db.ingest([stored(r) for r in recs], collection=name)
    duck = duck_table(recs)
    for drawn in spec_list:
        spec = {**drawn, "collection": name}
        got = db.query(spec)
        sql, params = duck_query(spec)
        want = [list(r) for r in duck.execute(sql, params).fetchall()]
        ordered = "order" in spec
        assert same_rows(got.rows, want, ordered), (
            f"spec {spec}\nthermodb {got.rows}\nduckdb {want}\n"
            f"sql {got.explain['stores'][0]['sql']}"
        )


def test_reference_itself_is_sane() -> None:
    """Guard against a reference that agrees with anything: it must see a real difference."""
    recs = [{"id": 0, "grp": "alpha", "n": 1}, {"id": 1, "grp": "Beta", "n": 2}]
    con = duck_table(recs)
    sql, params = duck_query(
        {
            "collection": "t",
            "where": {"field": "grp", "op": "contains", "value": "ALP"},
            "select": ["id"],
        }
    )
    assert con.execute(sql, params).fetchall() == [(0,)]
    assert not same_rows([[1]], [[0]], ordered=True)
    pytest.importorskip("duckdb")


# -- links -----------------------------------------------------------------------------------
PLANS = ["free", "pro", "Pro", ""]
ROOMS = ["general", "random"]


@st.composite
def linked(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    users = [
        {"id": i, "plan": draw(st.sampled_from(PLANS)) if i else "pro"}
        for i in range(draw(st.integers(1, 8)))
    ]
    messages = [
        {
            "mid": j,
            "user_id": draw(st.integers(0, 9)),  # some point at no user
            "room": draw(st.sampled_from(ROOMS)),
            "ms": draw(st.integers(0, 100)) + 0.5,
        }
        for j in range(draw(st.integers(1, 20)))
    ]
    return users, messages


link_filters = st.one_of(
    st.lists(st.sampled_from(PLANS), min_size=1, max_size=2).map(
        lambda v: {"field": "plan", "op": "in", "value": v}
    ),
    st.just({"field": "plan", "op": "is_empty"}),
)


def duck_links(users: list[dict[str, Any]], messages: list[dict[str, Any]]) -> Any:
    con = duckdb.connect()
    con.execute("CREATE TABLE u (id BIGINT, plan VARCHAR)")
    con.execute("CREATE TABLE m (mid BIGINT, user_id BIGINT, room VARCHAR, ms DOUBLE)")
    con.executemany("INSERT INTO u VALUES (?, ?)", [(r["id"], r["plan"]) for r in users])
    con.executemany(
        "INSERT INTO m VALUES (?, ?, ?, ?)",
        [(r["mid"], r["user_id"], r["room"], r["ms"]) for r in messages],
    )
    return con


def plan_sql(cond: dict[str, Any]) -> tuple[str, list[Any]]:
    if cond["op"] == "is_empty":
        return "(u.plan IS NULL OR u.plan = '')", []
    return f"u.plan IN ({', '.join('?' for _ in cond['value'])})", list(cond["value"])


@settings(
    max_examples=max(1, EXAMPLES * 5 // 6),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=linked(),
    cond=link_filters,
    room=st.sampled_from(ROOMS),
    fn=st.sampled_from(["count", "sum"]),
    more_than=st.integers(0, 2),
)
def test_links_match_duckdb(
    db: Database,
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    cond: dict[str, Any],
    room: str,
    fn: str,
    more_than: int,
) -> None:
    users, messages = data
    n = next(_names)
    u, m = f"users{n}", f"messages{n}"
    db.ingest(users, collection=u, key="id")
    db.ingest(messages, collection=m)
    duck = duck_links(users, messages)
    where_plan, params = plan_sql(cond)
    totals = [{"fn": "count"}, {"fn": "sum", "field": "ms"}]

    for kind, sql in (
        ("semi", f"m.user_id IN (SELECT u.id FROM u WHERE {where_plan})"),
        ("anti", f"NOT EXISTS (SELECT 1 FROM u WHERE u.id = m.user_id AND {where_plan})"),
    ):
        link = {"collection": u, "kind": kind, "on": ["user_id", "id"], "where": cond}
        got = db.query({"collection": m, "links": [link], "aggregates": totals}).rows
        want = duck.execute(f"SELECT count(*), sum(ms) FROM m WHERE {sql}", params).fetchall()
        assert same_rows(got, [list(r) for r in want], ordered=True), (kind, cond, got, want)

    value = "count(*)" if fn == "count" else "sum(m2.ms)"
    agg_link = {
        "collection": m,
        "kind": "aggregate",
        "on": ["id", "user_id"],
        "where": {"field": "room", "op": "=", "value": room},
        "aggregate": {"fn": fn, **({"field": "ms"} if fn == "sum" else {}), "alias": "v"},
    }
    got = db.query(
        {"collection": u, "links": [agg_link], "select": ["id", "v"], "order": [{"field": "id"}]}
    ).rows
    want = duck.execute(
        f"SELECT u.id, (SELECT {value} FROM m AS m2 WHERE m2.user_id = u.id AND m2.room = ?) "
        "FROM u ORDER BY u.id",
        [room],
    ).fetchall()
    assert same_rows(got, [list(r) for r in want], ordered=True), (got, want)

    got = db.query(
        {
            "collection": u,
            "links": [{**agg_link, "aggregate": {"fn": "count", "alias": "v"}}],
            "where": {"field": "v", "op": ">", "value": more_than},
            "aggregates": [{"fn": "count"}],
        }
    ).rows
    want = duck.execute(
        "SELECT count(*) FROM u WHERE (SELECT count(*) FROM m WHERE m.user_id = u.id "
        "AND m.room = ?) > ?",
        [room, more_than],
    ).fetchall()
    assert got == [list(r) for r in want]

    lookup = {"collection": u, "kind": "lookup", "on": ["user_id", "id"], "alias": "u"}
    got = db.query(
        {
            "collection": m,
            "links": [lookup],
            "group_by": [{"field": "u.plan"}],
            "aggregates": [{"fn": "avg", "field": "ms"}, {"fn": "count"}],
        }
    ).rows
    want = duck.execute(
        "SELECT u.plan, avg(m.ms), count(*) FROM m LEFT JOIN u ON u.id = m.user_id GROUP BY u.plan"
    ).fetchall()
    assert same_rows(got, [list(r) for r in want], ordered=False), (got, want)


# -- the same answers warm, split across tiers, and cold ---------------------------------
DEEP = "deep.a.b.c"
"""A leaf four levels down, holding meta.v's values: JSON paths of any depth, every tier."""
FAR = datetime(2100, 1, 1, tzinfo=UTC)


def _deepened(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with every meta.v read through the four-level path instead."""
    import json

    return dict(json.loads(json.dumps(spec).replace('"meta.v"', f'"{DEEP}"')))


@pytest.fixture
def tiered(backend_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("THERMODB_COLD", f"file://{tmp_path / 'cold'}")
    database = thermodb.open(backend_url)
    yield database
    database.close()


@settings(
    max_examples=max(4, EXAMPLES // 2),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    recs=records(),
    spec_list=st.lists(specs(), min_size=4, max_size=4),
    deep=st.booleans(),
    segment_rows=st.sampled_from([3, 1000]),
)
def test_specs_answer_alike_before_and_after_moves(
    tiered: Database,
    recs: list[dict[str, Any]],
    spec_list: list[dict[str, Any]],
    deep: bool,
    segment_rows: int,
) -> None:
    """Every spec gives the same columns and rows (in the same order where it is ordered,
    and grouped rows always are) with all rows warm, then split across the tiers (records
    without a time stay warm) and, after the next pass, compacted."""
    db = tiered
    name = f"t{next(_names)}"
    rows = []
    for rec in recs:
        row = stored(rec)
        if isinstance(rec.get("meta"), dict) and "v" in rec["meta"]:
            row["deep"] = {"a": {"b": {"c": rec["meta"]["v"]}}}
        rows.append(row)
    db.ingest(rows, collection=name)
    specs_ = [{**(_deepened(s) if deep else s), "collection": name} for s in spec_list]
    warm = [db.query(s) for s in specs_]
    db.thermal.set_policy(
        name, hot_for="1s", warm_for="1s", min_age="1s", window="1d", segment_rows=segment_rows
    )
    for _ in range(2):  # demote, then compact what is small
        db.migrate(FAR)
        for spec, before in zip(specs_, warm, strict=True):
            after = db.query(spec)
            ordered = bool(spec.get("order") or spec.get("group_by"))
            assert after.columns == before.columns, spec
            assert same_rows(after.rows, before.rows, ordered), (
                f"spec {spec}\nwarm {before.rows}\nafter the move {after.rows}\n"
                f"{after.explain.get('sql')}"
            )
        db.thermal.set_policy(name, segment_rows=1000)
