"""Any field name: stored under a safe column, shown and accepted as it arrived."""

from __future__ import annotations

from typing import Any

import pytest

from thermodb.catalog.naming import column_name, join_path, split_path
from thermodb.database import Database

ODD = {
    "No.": 1,
    "Pos.": "GK",
    "Pop. 1864": 5200,
    "Preceded by\nAlfred Scott": "Tom",
    "Name (Birth–Death)": "Ann (1900–1980)",
    "Área km²": 12.5,
    "№": 7,
    "x" * 300: "long",
    "No": "plain",
    "meta": {"v.1": 3, "plain": "p", '"q': "quoted"},
}


def _rows(n: int = 3) -> list[dict[str, Any]]:
    return [
        {**ODD, "No.": i, "Pop. 1864": 5200 + i, "meta": {**ODD["meta"], "v.1": i}}  # type: ignore[dict-item]
        for i in range(1, n + 1)
    ]


def test_names_are_kept_and_columns_are_safe(db: Database) -> None:
    db.ingest(_rows(), collection="towns")
    coll = db.collection("towns")
    for name in ODD:
        if name != "meta":
            f = coll.fields[name]
            assert f.column is not None and f.column.isascii()
            assert f.column.replace("_", "").isalnum() and len(f.column) <= 55
    assert {'meta."v.1"', "meta.plain", 'meta."""q"'} <= set(coll.fields)
    columns = [f.column for f in coll.top_fields()]
    assert len(set(map(str.lower, map(str, columns)))) == len(columns)
    described = {f["field"] for f in db.describe("towns")["fields"]}
    assert "Preceded by\nAlfred Scott" in described and "No." in described


def test_queries_take_the_original_names(db: Database) -> None:
    db.ingest(_rows(), collection="towns")
    result = db.query(
        {
            "collection": "towns",
            "select": ["No.", "Pop. 1864", 'meta."v.1"', "Preceded by\nAlfred Scott", "№"],
            "where": {"field": "Pop. 1864", "op": ">", "value": 5201},
            "order": [{"field": "No.", "desc": True}],
        }
    )
    assert result.columns == ["No.", "Pop. 1864", 'meta."v.1"', "Preceded by\nAlfred Scott", "№"]
    assert [list(r) for r in result.rows] == [[3, 5203, 3, "Tom", 7], [2, 5202, 2, "Tom", 7]]
    grouped = db.query(
        {
            "collection": "towns",
            "group_by": [{"field": "Pos."}],
            "aggregates": [{"fn": "sum", "field": "Pop. 1864", "alias": "total"}],
        }
    )
    assert [list(r) for r in grouped.rows] == [["GK", 5200 * 3 + 6]]


def test_sql_takes_quoted_original_names(db: Database) -> None:
    db.ingest(_rows(), collection="towns")
    result = db.sql(
        'SELECT "No.", "Pop. 1864", meta."v.1" FROM towns WHERE "Pop. 1864" > 5201 ORDER BY "No."'
    )
    assert result.columns == ["No.", "Pop. 1864", 'meta."v.1"']
    assert [list(r) for r in result.rows] == [[2, 5202, 2], [3, 5203, 3]]
    star = db.sql("SELECT * FROM towns ORDER BY 1 LIMIT 1")
    assert "Preceded by\nAlfred Scott" in star.columns and "No." in star.columns


def test_get_returns_the_original_keys(db: Database) -> None:
    rows = [{**r, "id": i} for i, r in enumerate(_rows(), 1)]
    db.ingest(rows, collection="places")
    got = db.get("places", 2)
    assert got is not None
    assert got["No."] == 2 and got["Preceded by\nAlfred Scott"] == "Tom"
    assert got["meta"] == {"v.1": 2, "plain": "p", '"q': "quoted"}


def test_a_top_level_name_like_a_path_and_the_leaf_both_stay_reachable(db: Database) -> None:
    db.ingest([{"a": {"b": 1}, "z": 0}], collection="both")
    db.ingest([{"a": {"b": 2}, "a.b": 10, "z": 1}], collection="both")
    coll = db.collection("both")
    assert coll.fields["a.b"].column is not None  # the top-level field has the plain name
    assert coll.fields['"a"."b"'].column is None  # the leaf moved to its quoted path
    result = db.query(
        {"collection": "both", "select": ["a.b", '"a"."b"'], "order": [{"field": "z"}]}
    )
    assert [list(r) for r in result.rows] == [[None, 1], [10, 2]]


def test_a_blank_name_is_named() -> None:
    from thermodb.ingest.validation import name_blank

    assert name_blank({"": 1, "a": 2}) == {"_empty": 1, "a": 2}
    assert name_blank({"_empty": 0, "": 1}) == {"_empty": 0, "_empty_2": 1}


def test_blank_header_ingests(db: Database) -> None:
    db.ingest([{"": "1900", "n": 1}, {"": "1901", "n": 2}], collection="years")
    assert "_empty" in db.collection("years").fields


@pytest.mark.parametrize(
    "segments",
    [("a",), ("a", "b"), ("a.b", "c"), ('"x', "y"), ("", "z"), ("p", 'q"r.s'), ("a.", ".")],
)
def test_paths_round_trip(segments: tuple[str, ...]) -> None:
    assert split_path(join_path(segments)) == segments
    assert split_path(join_path(segments, quote_all=True)) == segments


def test_column_names_are_stable_and_distinct() -> None:
    assert column_name("Pop. 1864", set()) == "pop_1864"
    first = column_name("No.", {"no"})
    assert first.startswith("no_") and first == column_name("No.", {"no"})
    assert column_name("No.", {"no", first}) != first
    assert column_name("Año", set()) == "ano"
    assert len(column_name("y" * 500, set())) <= 55
    assert column_name("名前", set()).startswith("f_")
