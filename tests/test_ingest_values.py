"""The column-at-a-time typing and batch statistics give what one-at-a-time processing gives.

Each property compares the fast batch code with a plain reference loop over the records, in
order, written from the rules (``typed_value`` per value, widening as it goes).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from thermodb.catalog.model import Field
from thermodb.catalog.types import FieldType, widen
from thermodb.ingest.inference import looks_like_time_name, parse_timestamp
from thermodb.ingest.validation import Limits, RecordChecker, RecordProblem, check_record
from thermodb.ingest.values import leaves_type, type_columns, typed_value
from thermodb.ingest.written import identifier_name, read_text

KEYS = ["id", "n", "created_at", "label", "meta"]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.integers(1_700_000_000, 1_700_000_010),  # epoch seconds
    st.floats(-2, 2, allow_nan=False),
    st.sampled_from(["a", "b", "2026-03-18", "2026-03-18T15:30:00Z", "12345678901"]),
    st.sampled_from(["17", "1,234", "2.5", "12 km", "5 mi", "—", "", "true", "March 5, 1998"]),
    st.dictionaries(st.sampled_from(["x", "y"]), st.integers(0, 3), max_size=2),
    st.lists(st.integers(0, 3), max_size=2),
)
RECORDS = st.lists(st.dictionaries(st.sampled_from(KEYS), VALUES, min_size=1), min_size=1)
TYPES = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(list(FieldType)), max_size=3)


def reference(
    records: list[dict[str, Any]], types: dict[str, FieldType]
) -> tuple[dict[str, FieldType], list[dict[str, tuple[FieldType | None, Any]]]]:
    """Type record by record, key by key (the pipeline's rules in evolve mode): a string
    in a field that is not text is read for what it says (``read_text``: a number, date,
    boolean or null, with one unit per field); a field that ends as text or JSON keeps the
    strings it read as they were written."""
    planned: dict[str, FieldType] = {}
    units: dict[str, str] = {}
    read: dict[str, list[int]] = {}
    rows = []
    for n, record in enumerate(records):
        row: dict[str, tuple[FieldType | None, Any]] = {}
        for key, value in record.items():
            current = planned.get(key) or types.get(key)
            time_name = key not in types and key not in planned and looks_like_time_name(key)
            reading = None
            if (
                type(value) is str
                and current not in (FieldType.TEXT, FieldType.JSON)
                and not identifier_name(key)
                and not (value[:1].isdigit() and len(value) >= 10 and parse_timestamp(value))
            ):
                reading = read_text(value)
                if (
                    reading is not None
                    and reading.unit
                    and units.get(key, reading.unit) != reading.unit
                ):
                    reading = None
            if reading is not None:
                read.setdefault(key, []).append(n)
                if reading.unit:
                    units[key] = reading.unit
                vt, parsed = reading.type, reading.value
            else:
                vt, parsed = typed_value(value, current, time_name)
            row[key] = (vt, parsed)
            if vt is not None:
                planned[key] = widen(current, vt) if current is not None else vt
        rows.append(row)
    for key, at in read.items():
        if planned.get(key) is None and types.get(key) is None:
            planned[key] = FieldType.TEXT  # only markers ('', '—'): text as written
        if planned.get(key) in (FieldType.TEXT, FieldType.JSON):
            for n in at:
                rows[n][key] = (FieldType.TEXT, records[n][key])
    return planned, rows


@settings(max_examples=150, deadline=None)
@given(RECORDS, TYPES)
def test_columns_type_like_records_one_at_a_time(
    records: list[dict[str, Any]], types: dict[str, FieldType]
) -> None:
    planned, rows = reference(records, types)
    for column in type_columns(records, types):
        expected_type = planned.get(column.key, types.get(column.key))
        assert column.type == expected_type, column.key
        for i, row in enumerate(rows):
            vt, parsed = row.get(column.key, (None, None))
            assert column.values[i] == parsed
            kind = column.kind if column.kinds is None else column.kinds[i]
            if parsed is not None:
                assert kind == vt, (column.key, i)
        assert column.absent == sum(1 for r in records if column.key not in r)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=3), st.integers(0, 3), st.booleans())))
def test_observe_many_equals_observing_one_by_one(values: list[Any]) -> None:
    one, many = Field(path="f", type=FieldType.TEXT), Field(path="f", type=FieldType.TEXT)
    for value in values:
        if value is None:
            one.nulls += 1
        else:
            one.observe(value)
    many.observe_many(values)
    assert one.model_dump() == many.model_dump()


def test_observe_many_counts_absent_fields_apart_from_nulls() -> None:
    f = Field(path="f", type=FieldType.INT)
    f.observe_many([1, None, None, 2], absent=1)
    assert (f.present, f.nulls, f.examples) == (2, 1, [1, 2])


@given(st.lists(st.one_of(st.none(), st.integers(0, 2), st.floats(0, 1), st.text(max_size=12))))
def test_leaves_type_is_a_fold_of_widen(values: list[Any]) -> None:
    present = [v for v in values if v is not None]
    if not present:
        return
    expected: FieldType | None = None
    for value in present:
        vt, _ = typed_value(value, None, False)
        assert vt is not None
        expected = vt if expected is None else widen(expected, vt)
    assert leaves_type(values, None) == expected
    assert leaves_type(values, FieldType.INT) == widen(FieldType.INT, expected)


def test_checker_remembers_names_but_still_refuses_bad_ones() -> None:
    checker = RecordChecker(Limits(max_depth=2))
    assert checker.check({"a": 1, "b": {"c": 2}}) == [("b.c", 2)]
    assert checker.check({"a": 2, "b": {"c": 3}}, known_size=20) == [("b.c", 3)]
    for bad, reason in [
        ({"a\x00": 1}, "NUL"),
        ({"a": 1, 3: 2}, "must be strings"),
        ({"b": {"c": {"d": 1}}}, "deeper than 2"),
        ({"a": float("inf")}, "JSON cannot hold"),
    ]:
        try:
            checker.check(bad)
        except RecordProblem as problem:
            assert reason in str(problem)
        else:
            raise AssertionError(f"{bad} passed")
    assert check_record({"x": [1, {"y": "z"}]}, Limits()) == []
