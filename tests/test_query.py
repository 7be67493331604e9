"""The query engine on every backend: each QuerySpec feature, results and explain."""

from __future__ import annotations

from typing import Any

import pytest

from thermodb.database import Database
from thermodb.errors import NotFoundError, QueryError
from thermodb.query import QuerySpec
from thermodb.query.percentile import percentile_cont

USERS = [
    {
        "id": 1,
        "name": "Ada",
        "plan": "pro",
        "country": "NO",
        "active": True,
        "score": 9.5,
        "signup_at": "2026-03-02T08:00:00Z",  # a Monday
        "settings": {"theme": "dark", "size": 12},
    },
    {
        "id": 2,
        "name": "bob",
        "plan": "free",
        "country": "SE",
        "active": False,
        "score": 3.0,
        "signup_at": "2026-03-08T23:59:59Z",  # a Sunday
        "settings": {"theme": "light", "size": 10},
    },
    {
        "id": 3,
        "name": "Cleo 50%_off",
        "plan": "",
        "country": "NO",
        "active": True,
        "score": 7.25,
        "signup_at": "2026-03-09T00:00:00Z",  # the next Monday
        "settings": {"theme": "dark"},
    },
    {
        "id": 4,
        "name": "dan",
        "country": "DK",
        "active": True,
        "signup_at": "2026-04-15T12:30:00Z",
        "settings": {"size": 8},
    },
]
MESSAGES = [
    {"mid": i, "user_id": uid, "room": room, "ms": ms, "sent_at": at}
    for i, (uid, room, ms, at) in enumerate(
        [
            (1, "general", 10.0, "2026-03-02T08:15:00Z"),
            (1, "general", 20.0, "2026-03-02T08:45:00Z"),
            (1, "random", 30.0, "2026-03-02T09:05:00Z"),
            (2, "general", 40.0, "2026-03-03T10:00:00Z"),
            (2, "random", 50.0, "2026-03-10T10:00:00Z"),
            (3, "general", 60.0, "2026-04-01T00:00:00Z"),
            (9, "general", 70.0, "2027-01-01T00:00:00Z"),
        ]
    )
]


@pytest.fixture
def data(db: Database) -> Database:
    db.ingest(USERS, collection="users")
    db.ingest(MESSAGES, collection="messages")
    return db


def q(db: Database, **spec: Any) -> list[list[Any]]:
    return db.query(spec).rows


def ids(db: Database, where: dict[str, Any], collection: str = "users") -> list[Any]:
    key = "id" if collection == "users" else "mid"
    rows = q(db, collection=collection, where=where, select=[key], order=[{"field": key}])
    return [r[0] for r in rows]


# -- filters -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"field": "plan", "op": "=", "value": "pro"}, [1]),
        ({"field": "name", "op": "=", "value": "ada"}, []),  # text = is exact
        ({"field": "plan", "op": "!=", "value": "pro"}, [2, 3, 4]),  # missing counts as !=
        ({"field": "score", "op": "<", "value": 7.25}, [2]),
        ({"field": "score", "op": "<=", "value": 7.25}, [2, 3]),
        ({"field": "score", "op": ">", "value": 7.25}, [1]),
        ({"field": "score", "op": ">=", "value": "7.25"}, [1, 3]),
        ({"field": "country", "op": "in", "value": ["NO", "DK"]}, [1, 3, 4]),
        ({"field": "plan", "op": "not_in", "value": ["pro", "free"]}, [3, 4]),
        ({"field": "name", "op": "contains", "value": "O"}, [2, 3]),
        ({"field": "name", "op": "contains", "value": "50%_"}, [3]),  # no wildcards
        ({"field": "name", "op": "contains", "value": "%"}, [3]),
        ({"field": "name", "op": "starts_with", "value": "a"}, [1]),
        ({"field": "plan", "op": "is_null"}, [4]),
        ({"field": "plan", "op": "not_null"}, [1, 2, 3]),
        ({"field": "plan", "op": "is_empty"}, [3, 4]),
        ({"field": "plan", "op": "not_empty"}, [1, 2]),
        ({"field": "score", "op": "between", "value": [3, 7.25]}, [2, 3]),
        ({"field": "active", "op": "=", "value": True}, [1, 3, 4]),
        ({"field": "active", "op": "=", "value": "false"}, [2]),
        ({"field": "signup_at", "op": ">=", "value": "2026-03-09"}, [3, 4]),
        ({"field": "signup_at", "op": "<", "value": "2026-03-09T00:00:00Z"}, [1, 2]),
        ({"field": "settings.theme", "op": "=", "value": "dark"}, [1, 3]),
        ({"field": "settings.size", "op": ">", "value": 9}, [1, 2]),
        ({"field": "settings.size", "op": "is_null"}, [3]),
        ({"field": "settings.theme", "op": "is_empty"}, [4]),
    ],
)
def test_condition_operators(data: Database, where: dict[str, Any], expected: list[int]) -> None:
    assert ids(data, where) == expected


def test_and_or_not_use_two_valued_logic(data: Database) -> None:
    pro_or_se = {
        "or": [
            {"field": "plan", "op": "=", "value": "pro"},
            {"field": "country", "op": "=", "value": "SE"},
        ]
    }
    assert ids(data, pro_or_se) == [1, 2]
    assert ids(data, {"and": [pro_or_se, {"field": "active", "op": "=", "value": True}]}) == [1]
    # not (plan = pro) includes the user without a plan: a missing value never matched
    assert ids(data, {"not": {"field": "plan", "op": "=", "value": "pro"}}) == [2, 3, 4]
    assert ids(data, {"not": {"not": {"field": "plan", "op": "=", "value": "pro"}}}) == [1]


def test_time_range_is_half_open_on_the_time_field_or_a_named_one(data: Database) -> None:
    rows = q(
        data,
        collection="messages",
        time={"start": "2026-03-02T08:45:00Z", "end": "2026-03-03T10:00:00Z"},
        select=["mid"],
        order=[{"field": "mid"}],
    )
    assert [r[0] for r in rows] == [1, 2]
    rows = q(
        data,
        collection="users",
        time={"field": "signup_at", "start": "2026-04-01T00:00:00Z"},
        select=["id"],
    )
    assert rows == [[4]]


# -- aggregates ----------------------------------------------------------------------------
def test_group_by_with_every_aggregate(data: Database) -> None:
    result = data.query(
        {
            "collection": "messages",
            "group_by": [{"field": "room"}],
            "aggregates": [
                {"fn": "count"},
                {"fn": "count_distinct", "field": "user_id", "alias": "users"},
                {"fn": "sum", "field": "ms"},
                {"fn": "avg", "field": "ms"},
                {"fn": "min", "field": "sent_at"},
                {"fn": "max", "field": "ms"},
                {"fn": "percentile", "field": "ms", "q": 0.9},
            ],
            "order": [{"field": "room"}],
        }
    )
    assert result.columns == [
        "room",
        "count",
        "users",
        "sum_ms",
        "avg_ms",
        "min_sent_at",
        "max_ms",
        "p90_ms",
    ]
    general = [10.0, 20.0, 40.0, 60.0, 70.0]
    assert result.rows[0][:7] == ["general", 5, 4, 200.0, 40.0, "2026-03-02T08:15:00Z", 70.0]
    assert result.rows[0][7] == pytest.approx(percentile_cont(general, 0.9))
    assert result.rows[1][:4] == ["random", 2, 2, 80.0]
    assert result.rows[1][7] == pytest.approx(30 + 0.9 * 20)


def test_aggregates_without_group_by_give_one_row(data: Database) -> None:
    result = data.query(
        {
            "collection": "users",
            "aggregates": [
                {"fn": "count"},
                {"fn": "count", "field": "plan"},
                {"fn": "sum", "field": "settings.size"},
                {"fn": "percentile", "field": "score", "q": 0.5},
            ],
        }
    )
    assert result.rows == [[4, 3, 30, 7.25]]
    assert data.query({"collection": "users", "aggregates": [{"fn": "count"}]}).scalar() == 4


def test_empty_input_aggregates(data: Database) -> None:
    rows = q(
        data,
        collection="messages",
        where={"field": "room", "op": "=", "value": "none"},
        aggregates=[
            {"fn": "count"},
            {"fn": "sum", "field": "ms"},
            {"fn": "percentile", "field": "ms", "q": 0.5},
        ],
    )
    assert rows == [[0, None, None]]


@pytest.mark.parametrize(
    ("bucket", "expected"),
    [
        ("minute", [["2026-03-02T08:15:00Z", 1], ["2026-03-02T08:45:00Z", 1]]),
        ("hour", [["2026-03-02T08:00:00Z", 2], ["2026-03-02T09:00:00Z", 1]]),
        ("day", [["2026-03-02", 3], ["2026-03-03", 1]]),
        ("week", [["2026-03-02", 4], ["2026-03-09", 1]]),
        ("month", [["2026-03-01", 5], ["2026-04-01", 1]]),
        ("year", [["2026-01-01", 6], ["2027-01-01", 1]]),
    ],
)
def test_calendar_buckets(data: Database, bucket: str, expected: list[list[Any]]) -> None:
    result = data.query(
        {
            "collection": "messages",
            "group_by": [{"bucket": bucket}],
            "aggregates": [{"fn": "count", "alias": "n"}],
            "order": [{"field": bucket}],
            "limit": 2,
        }
    )
    assert result.columns == [bucket, "n"]
    assert result.rows == expected


def test_week_buckets_start_on_monday_for_a_named_field(data: Database) -> None:
    rows = q(
        data,
        collection="users",
        group_by=[{"field": "signup_at", "bucket": "week", "alias": "week"}],
        aggregates=[{"fn": "count"}],
        order=[{"field": "week"}],
    )
    # Monday 03-02 and Sunday 03-08 share a week; Monday 03-09 starts the next
    assert rows == [["2026-03-02", 2], ["2026-03-09", 1], ["2026-04-13", 1]]


def test_having_order_limit_offset(data: Database) -> None:
    base = {
        "collection": "messages",
        "group_by": [{"field": "user_id"}],
        "aggregates": [{"fn": "count", "alias": "n"}, {"fn": "sum", "field": "ms"}],
        "having": {"field": "n", "op": ">=", "value": 1},
        "order": [{"field": "n", "desc": True}, {"field": "user_id"}],
    }
    assert q(data, **base) == [[1, 3, 60.0], [2, 2, 90.0], [3, 1, 60.0], [9, 1, 70.0]]
    assert q(data, **{**base, "limit": 2, "offset": 1}) == [[2, 2, 90.0], [3, 1, 60.0]]
    having = {"field": "sum_ms", "op": ">", "value": 60}
    assert q(data, **{**base, "having": having}) == [[2, 2, 90.0], [9, 1, 70.0]]


def test_group_by_nested_field_and_nulls_sort_last(data: Database) -> None:
    rows = q(
        data,
        collection="users",
        group_by=[{"field": "settings.theme"}],
        aggregates=[{"fn": "avg", "field": "score"}],
        order=[{"field": "settings.theme", "desc": True}],
    )
    assert rows == [["light", 3.0], ["dark", 8.375], [None, None]]


# -- listings ------------------------------------------------------------------------------
def test_listing_every_field_with_json_values(data: Database) -> None:
    result = data.query({"collection": "users", "where": {"field": "id", "op": "=", "value": 1}})
    record = result.records()[0]
    assert record["signup_at"] == "2026-03-02T08:00:00Z"
    assert record["settings"] == {"theme": "dark", "size": 12}
    assert record["active"] is True
    assert record["score"] == 9.5


def test_select_distinct_order_nulls_last(data: Database) -> None:
    rows = q(
        data, collection="users", select=["country"], distinct=True, order=[{"field": "country"}]
    )
    assert rows == [["DK"], ["NO"], ["SE"]]
    rows = q(data, collection="users", select=["id", "score"], order=[{"field": "score"}])
    assert rows == [[2, 3.0], [3, 7.25], [1, 9.5], [4, None]]
    rows = q(
        data, collection="users", select=["id"], order=[{"field": "score", "desc": True}], limit=2
    )
    assert rows == [[1], [3]]


def test_max_rows_truncates(data: Database) -> None:
    result = data.query({"collection": "messages"}, max_rows=3)
    assert len(result.rows) == 3 and result.truncated
    assert not data.query({"collection": "messages"}, max_rows=30).truncated


# -- links ---------------------------------------------------------------------------------
def test_semi_and_anti_links_infer_the_key(data: Database) -> None:
    pro = {"field": "plan", "op": "=", "value": "pro"}
    semi = {"collection": "users", "where": pro}
    assert ids(data, {"field": "room", "op": "not_null"}, "messages") == list(range(7))
    rows = q(data, collection="messages", links=[semi], aggregates=[{"fn": "count"}])
    assert rows == [[3]]
    anti = {**semi, "kind": "anti"}
    rows = q(data, collection="messages", links=[anti], aggregates=[{"fn": "count"}])
    assert rows == [[4]]  # user 9 does not exist, so it is not a pro user either
    # the reverse direction: users who sent a message in the random room
    link = {"collection": "messages", "where": {"field": "room", "op": "=", "value": "random"}}
    assert q(data, collection="users", links=[link], select=["id"], order=[{"field": "id"}]) == [
        [1],
        [2],
    ]


def test_lookup_link_reads_the_other_collection(data: Database) -> None:
    rows = q(
        data,
        collection="messages",
        links=[{"collection": "users", "kind": "lookup", "alias": "u"}],
        where={"field": "u.settings.theme", "op": "=", "value": "dark"},
        group_by=[{"field": "u.country"}],
        aggregates=[{"fn": "avg", "field": "ms"}],
    )
    assert rows == [["NO", 30.0]]


def test_aggregate_link_per_entity(data: Database) -> None:
    link = {
        "collection": "messages",
        "kind": "aggregate",
        "aggregate": {"fn": "count", "alias": "messages"},
    }
    rows = q(
        data,
        collection="users",
        links=[link],
        select=["id", "messages"],
        order=[{"field": "messages", "desc": True}, {"field": "id"}],
    )
    assert rows == [[1, 3], [2, 2], [3, 1], [4, 0]]
    rows = q(
        data,
        collection="users",
        links=[link],
        where={"field": "messages", "op": ">", "value": 1},
        aggregates=[{"fn": "count"}],
    )
    assert rows == [[2]]
    total = {"fn": "sum", "field": "ms", "alias": "total"}
    rows = q(
        data,
        collection="users",
        links=[
            {**link, "aggregate": total, "where": {"field": "room", "op": "=", "value": "general"}}
        ],
        group_by=[{"field": "country"}],
        aggregates=[{"fn": "sum", "field": "total"}],
        order=[{"field": "country"}],
    )
    assert rows == [["DK", None], ["NO", 90.0], ["SE", 40.0]]


def test_explicit_on_and_uninferable_links(data: Database) -> None:
    data.ingest(
        [{"code": "NO", "label": "Norway"}, {"code": "SE", "label": "Sweden"}],
        collection="countries",
    )
    rows = q(
        data,
        collection="users",
        links=[{"collection": "countries", "kind": "lookup", "on": ["country", "code"]}],
        select=["id", "countries.label"],
        order=[{"field": "id"}],
    )
    assert rows == [[1, "Norway"], [2, "Sweden"], [3, "Norway"], [4, None]]
    data.alter("countries", key_field="")  # inference keyed it by 'code'; no key now
    with pytest.raises(QueryError, match="cannot tell which fields link"):
        data.query({"collection": "users", "links": [{"collection": "countries"}]})


# -- errors and explain --------------------------------------------------------------------
def test_unknown_names_say_what_exists(data: Database) -> None:
    with pytest.raises(NotFoundError) as err:
        data.query({"collection": "users", "select": ["plann"]})
    assert "plan" in (err.value.hint or "")
    with pytest.raises(NotFoundError):
        data.query({"collection": "user"})
    with pytest.raises(NotFoundError):
        data.query({"collection": "users", "select": ["settings.nope"]})


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"collection": "users", "aggregates": [{"fn": "sum", "field": "name"}]}, "numeric"),
        ({"collection": "users", "where": {"field": "score", "op": ">", "value": "high"}}, "score"),
        (
            {"collection": "users", "where": {"field": "signup_at", "op": ">", "value": "soon"}},
            "ISO",
        ),
        ({"collection": "users", "group_by": [{"field": "name", "bucket": "day"}]}, "timestamp"),
        (
            {"collection": "users", "aggregates": [{"fn": "count"}], "order": [{"field": "name"}]},
            "order",
        ),
        ({"collection": "users", "aggregates": [{"fn": "count"}], "select": ["id"]}, "group_by"),
        ({"collection": "users", "where": {"field": "plan", "op": "in", "value": []}}, "not valid"),
        ({"collection": "users", "limit": -1}, "not valid"),
    ],
)
def test_bad_specs_are_query_errors(data: Database, spec: dict[str, Any], message: str) -> None:
    with pytest.raises(QueryError) as err:
        data.query(spec)
    assert message in str(err.value)


def test_values_are_bound_and_explain_says_what_ran(data: Database) -> None:
    spec = QuerySpec.model_validate(
        {"collection": "users", "where": {"field": "name", "op": "=", "value": "x' OR 1=1 --"}}
    )
    result = data.query(spec.model_dump_json(by_alias=True))
    assert result.rows == []
    store = result.explain["stores"][0]
    assert store["store"] == "operational"
    assert "OR 1=1" not in store["sql"]
    assert "x' OR 1=1 --" in store["params"].values()
    assert result.explain["plan"]["kind"] == "listing"
    assert result.explain["timings"]["total_ms"] >= 0
    assert result.to_dict()["columns"] == result.columns


def test_json_fields_compare_as_json_and_contain_text(db: Database) -> None:
    db.ingest(
        [
            {"id": 1, "tags": ["a", "B"], "v": 5},
            {"id": 2, "tags": [], "v": {"n": 5}},
            {"id": 3, "tags": ["c"], "v": "x"},
            {"id": 4},
        ],
        collection="posts",
    )

    def post_ids(where: dict[str, Any]) -> list[Any]:
        rows = q(db, collection="posts", where=where, select=["id"], order=[{"field": "id"}])
        return [r[0] for r in rows]

    assert db.collection("posts").fields["v"].type.value == "json"  # 5, {...}, "x" widened
    assert post_ids({"field": "v", "op": "=", "value": 5}) == [1]
    assert post_ids({"field": "v", "op": "in", "value": [5, "x"]}) == [1, 3]
    assert post_ids({"field": "v", "op": "!=", "value": "x"}) == [1, 2, 4]
    assert post_ids({"field": "tags", "op": "contains", "value": "b"}) == [1]
    assert post_ids({"field": "tags", "op": "is_empty"}) == [2, 4]
    with pytest.raises(QueryError, match="cannot be ordered"):
        db.query({"collection": "posts", "where": {"field": "tags", "op": ">", "value": 1}})


def test_listings_stream(data: Database) -> None:
    columns, rows = data.planner.stream(
        QuerySpec.model_validate(
            {"collection": "messages", "select": ["mid", "sent_at"], "order": [{"field": "mid"}]}
        )
    )
    assert columns == ["mid", "sent_at"]
    assert next(rows) == [0, "2026-03-02T08:15:00Z"]
    assert len(list(rows)) == 6


def test_a_widened_text_leaf_compares_as_text_on_every_store(db: Database) -> None:
    db.ingest([{"id": 1, "meta": {"a": {"b": 1}}}, {"id": 2, "meta": {"a": {"b": "2"}}},
               {"id": 3, "meta": {"a": {"b": 3.5}}}, {"id": 4, "meta": {"a": {"b": True}}}],
              collection="leaves")  # fmt: skip
    assert db.collection("leaves").fields["meta.a.b"].type.value == "text"

    def ids(op: str, value: object) -> list[int]:
        spec = {"collection": "leaves", "select": ["id"], "order": [{"field": "id"}],
                "where": {"field": "meta.a.b", "op": op, "value": value}}  # fmt: skip
        return [row[0] for row in db.query(spec).rows]

    assert ids("=", "1") == [1]
    assert ids("!=", "1") == [2, 3, 4]
    assert ids("=", "true") == [4]
    assert ids(">", "1") == [2, 3, 4]
