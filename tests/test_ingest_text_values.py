"""Values written as text: numbers, booleans, dates and nulls read per field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from thermodb.catalog.types import FieldType
from thermodb.database import Database
from thermodb.ingest.written import Reading, read_text, why_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17", Reading(FieldType.INT, 17)),
        ("12.5", Reading(FieldType.FLOAT, 12.5)),
        ("1,234", Reading(FieldType.INT, 1234)),
        ("1,234,567.5", Reading(FieldType.FLOAT, 1234567.5)),
        ("18 520", Reading(FieldType.INT, 18520)),
        ("$3.50", Reading(FieldType.FLOAT, 3.5, "$")),
        ("-€12", Reading(FieldType.INT, -12, "€")),
        ("12 km", Reading(FieldType.INT, 12, "km")),
        ("45%", Reading(FieldType.INT, 45, "%")),
        ("9.99%", Reading(FieldType.FLOAT, 9.99, "%")),
        ("3rd", Reading(FieldType.INT, 3, "ordinal")),
        (".333", Reading(FieldType.FLOAT, 0.333)),
        ("−5", Reading(FieldType.INT, -5)),
        ("1:23.45", Reading(FieldType.FLOAT, 83.45, "duration")),
        ("1:02:03", Reading(FieldType.FLOAT, 3723.0, "duration")),
        ("true", Reading(FieldType.BOOL, True)),
        ("FALSE", Reading(FieldType.BOOL, False)),
        ("March 5, 1998", Reading(FieldType.TIMESTAMP, datetime(1998, 3, 5, tzinfo=UTC))),
        ("5 Mar 1998", Reading(FieldType.TIMESTAMP, datetime(1998, 3, 5, tzinfo=UTC))),
        ("Sept. 30, 2001", Reading(FieldType.TIMESTAMP, datetime(2001, 9, 30, tzinfo=UTC))),
        ("", Reading(None, None)),
        ("—", Reading(None, None)),
        ("-", Reading(None, None)),
        ("  ", Reading(None, None)),
    ],
)
def test_read_text(text: str, expected: Reading) -> None:
    assert read_text(text) == expected


@pytest.mark.parametrize(
    "text",
    ["abc", "007", "9,99", "2 March", "February 30, 1998", "98765432109876543210987", "$5 km",
     "1:75", "2001–02", "±3", "12/05/98"],
)  # fmt: skip
def test_text_that_stays_text(text: str) -> None:
    assert read_text(text) is None


def test_why_text() -> None:
    assert "span of years" in (why_text("2001–02") or "")
    assert "day or month first" in (why_text("12/05/98") or "")
    assert why_text("4951 - 4955") is None and why_text("abc") is None


def test_a_number_written_as_text_stays_numeric(db: Database) -> None:
    db.ingest(
        [
            {"id": 1, "amount": 12.5, "paid": "true", "dist": "12 km", "price": "$3.50"},
            {"id": 2, "amount": "17", "paid": "false", "dist": "3 km", "price": "$1,200"},
            {"id": 3, "amount": "1,234", "paid": "—", "dist": "", "price": "-"},
        ],
        collection="orders",
    )
    coll = db.collection("orders")
    assert coll.fields["amount"].type is FieldType.FLOAT
    assert coll.fields["paid"].type is FieldType.BOOL
    assert (coll.fields["dist"].type, coll.fields["dist"].unit) == (FieldType.INT, "km")
    assert (coll.fields["price"].type, coll.fields["price"].unit) == (FieldType.FLOAT, "$")
    assert db.get("orders", 2) == {
        "id": 2, "amount": 17.0, "paid": False, "dist": 3, "price": 1200.0,
    }  # fmt: skip
    assert db.get("orders", 3) == {"id": 3, "amount": 1234.0}
    sums = db.sql("SELECT sum(amount), sum(dist), sum(price) FROM orders").rows
    assert [list(r) for r in sums] == [[1263.5, 15, 1203.5]]
    total = db.query(
        {"collection": "orders", "aggregates": [{"fn": "sum", "field": "amount", "alias": "t"}]}
    )
    assert [list(r) for r in total.rows] == [[1263.5]]
    described = {f["field"]: f for f in db.describe("orders")["fields"]}
    assert described["amount"]["from_text"] == "2 values were text like '17', '1,234'"
    assert described["dist"]["unit"] == "km"


def test_text_that_is_not_a_number_widens_and_says_why(db: Database) -> None:
    db.ingest([{"n": 1, "k": 0}, {"n": "2", "k": 1}], collection="w")
    assert db.collection("w").fields["n"].type is FieldType.INT
    db.ingest([{"n": "lots", "k": 2}], collection="w")
    coll = db.collection("w")
    assert coll.fields["n"].type is FieldType.TEXT
    assert "'lots' is not a number" in coll.history[-1].note
    rows = db.query({"collection": "w", "select": ["n"], "order": [{"field": "k"}]}).rows
    assert [r[0] for r in rows] == ["1", "2", "lots"]


def test_a_field_that_ends_as_text_keeps_what_was_written(db: Database) -> None:
    db.ingest(
        [{"k": 1, "v": "1,234", "u": "12 km"}, {"k": 2, "v": "abc", "u": "5 mi"}], collection="t"
    )
    coll = db.collection("t")
    assert coll.fields["v"].type is FieldType.TEXT and coll.fields["u"].type is FieldType.TEXT
    assert "'5 mi' is in mi, not km" in coll.fields["u"].text_note
    rows = db.query({"collection": "t", "select": ["v", "u"], "order": [{"field": "k"}]}).rows
    assert [list(r) for r in rows] == [["1,234", "12 km"], ["abc", "5 mi"]]


def test_dates_written_out_become_timestamps_and_seasons_stay_text(db: Database) -> None:
    db.ingest(
        [
            {"k": 1, "born": "March 5, 1998", "season": "2001–02"},
            {"k": 2, "born": "5 Mar 1998", "season": "2002–03"},
            {"k": 3, "born": "1998-03-06", "season": "2003–04"},
        ],
        collection="p",
    )
    coll = db.collection("p")
    assert coll.fields["born"].type is FieldType.TIMESTAMP
    assert coll.fields["season"].type is FieldType.TEXT
    assert "span of years" in coll.fields["season"].text_note
    rows = db.query({"collection": "p", "select": ["born"], "order": [{"field": "k"}]}).rows
    assert [r[0] for r in rows] == [
        "1998-03-05T00:00:00Z", "1998-03-05T00:00:00Z", "1998-03-06T00:00:00Z",
    ]  # fmt: skip


def test_identifiers_written_as_digits_stay_text(db: Database) -> None:
    db.ingest([{"order_id": "1001", "zip": "02134"}, {"order_id": "1002", "zip": "10001"}],
              collection="o")  # fmt: skip
    coll = db.collection("o")
    assert coll.fields["order_id"].type is FieldType.TEXT
    assert coll.fields["zip"].type is FieldType.TEXT
