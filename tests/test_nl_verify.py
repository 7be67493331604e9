"""The reading check: a signal word the final spec does not honour is refused, not answered.

Each case gives the check a question and a spec that drops what a word asks for (an
absence, a text match, a share, a grouping, a value) and expects a refusal naming the words;
the right spec for the same question passes. End-to-end, right readings still answer.
Data is built here on SQLite (the ``db`` fixture).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from thermodb.database import Database
from thermodb.errors import NotUnderstoodError
from thermodb.nl.engine import NLEngine
from thermodb.nl.schema import SchemaIndex
from thermodb.nl.verify import check_reading
from thermodb.query.spec import Aggregate, Condition, GroupKey, Link, QuerySpec

NOW = datetime(2026, 9, 16, 12, 0, tzinfo=UTC)
SITES = ["Leeds", "Cork", "Porto"]
PATIENTS = [
    {
        "patient_id": i,
        "email": None if i % 4 == 0 else f"p{i}@example.org",
        "home_site": SITES[i % 3],
        "address": {"city": SITES[(i + 1) % 3]},
        "plan": ["basic", "premium"][i % 2],
    }
    for i in range(1, 25)
]
NOTES = [
    {
        "note_id": i,
        "patient_id": 1 + i % 24,
        "body": "please send a refill" if i % 3 == 0 else "thank you",
        "sent_at": (NOW - timedelta(days=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "clinic": ["orthodontics", "audiology"][i % 2],
    }
    for i in range(1, 31)
]
COUNT = [Aggregate(fn="count", alias="count")]


@pytest.fixture
def ix(db: Database) -> SchemaIndex:
    db.ingest(PATIENTS, collection="patients")
    db.ingest(NOTES, collection="notes")
    return NLEngine(db).index()


def refused(question: str, spec: QuerySpec, ix: SchemaIndex, *, share: bool = False) -> str:
    with pytest.raises(NotUnderstoodError) as err:
        check_reading(question, spec, ix, share=share)
    return err.value.message


def test_a_dropped_negation_is_refused_and_a_null_check_passes(ix: SchemaIndex) -> None:
    question = "How many patients don't have an email address?"
    wrong = QuerySpec(collection="patients", aggregates=COUNT)
    assert "do not have" in refused(question, wrong, ix)
    right = wrong.model_copy(update={"where": Condition(field="email", op="is_null")})
    check_reading(question, right, ix, share=False)
    for absent in ("Which patients have never sent a note?", "patients without an email"):
        assert "can't answer" in refused(absent, wrong, ix)
    anti = wrong.model_copy(update={"links": [Link(collection="notes", kind="anti")]})
    check_reading("Which patients have never sent a note?", anti, ix, share=False)


def test_not_in_a_comparison_is_no_absence(ix: SchemaIndex) -> None:
    spec = QuerySpec(
        collection="notes",
        where=Condition(field="note_id", op="<=", value=5),
        aggregates=COUNT,
    )
    check_reading("how many notes have an id of no more than 5", spec, ix, share=False)


def test_a_dropped_text_match_is_refused(ix: SchemaIndex) -> None:
    question = "How many notes mention a refill?"
    wrong = QuerySpec(collection="notes", aggregates=COUNT)
    assert "mention" in refused(question, wrong, ix)
    right = wrong.model_copy(
        update={"where": Condition(field="body", op="contains", value="refill")}
    )
    check_reading(question, right, ix, share=False)


def test_a_share_must_be_computed(ix: SchemaIndex) -> None:
    question = "what percentage of patients are on the premium plan?"
    spec = QuerySpec(
        collection="patients",
        where=Condition(field="plan", op="=", value="premium"),
        aggregates=COUNT,
    )
    assert "percentage" in refused(question, spec, ix)
    check_reading(question, spec, ix, share=True)
    check_reading("how many notes were 20 percent longer", spec, ix, share=False)


def test_a_dropped_grouping_is_refused(ix: SchemaIndex) -> None:
    wrong = QuerySpec(collection="notes", aggregates=COUNT)
    assert "each clinic" in refused("How many notes for each clinic?", wrong, ix)
    assert "per day" in refused("notes per day", wrong, ix)
    by_field = wrong.model_copy(update={"group_by": [GroupKey(field="clinic")]})
    check_reading("How many notes for each clinic?", by_field, ix, share=False)
    assert "per day" in refused("notes per day", by_field, ix)
    by_day = wrong.model_copy(update={"group_by": [GroupKey(bucket="day")]})
    check_reading("notes per day", by_day, ix, share=False)
    # the collection's own entity: "per note" is the records themselves
    check_reading("average id per note", wrong, ix, share=False)


def test_a_value_word_the_spec_ignores_is_refused(ix: SchemaIndex) -> None:
    question = "In orthodontics, how many notes were sent?"
    wrong = QuerySpec(collection="notes", aggregates=COUNT)
    assert "orthodontics" in refused(question, wrong, ix)
    right = wrong.model_copy(
        update={"where": Condition(field="clinic", op="=", value="orthodontics")}
    )
    check_reading(question, right, ix, share=False)


def test_a_value_two_fields_hold_needs_words_that_say_which(ix: SchemaIndex) -> None:
    spec = QuerySpec(
        collection="patients",
        where=Condition(field="home_site", op="=", value="Cork"),
        aggregates=COUNT,
    )
    message = refused("How many patients live in Cork?", spec, ix)
    assert "address.city" in message and "home_site" in message and "say which" in message
    check_reading("How many patients have Cork as their home site?", spec, ix, share=False)


def test_right_readings_still_answer_end_to_end(db: Database, ix: SchemaIndex) -> None:
    missing = sum(p["email"] is None for p in PATIENTS)
    got = db.ask("how many patients have no email", now=NOW)
    assert got.rows == [[missing]]
    per_clinic = db.ask("how many notes per clinic", now=NOW)
    expected = {c: sum(n["clinic"] == c for n in NOTES) for c in ("audiology", "orthodontics")}
    assert {r[0]: r[1] for r in per_clinic.rows} == expected


def test_the_engine_refuses_a_reading_that_drops_a_signal(db: Database, ix: SchemaIndex) -> None:
    """Whatever the reader makes of it, the engine never answers with the count of all."""
    try:
        got = db.ask("How many notes mention a refill?", now=NOW)
    except NotUnderstoodError:
        return
    assert got.rows == [[sum("refill" in n["body"] for n in NOTES)]]


def test_still_and_quoted_about_need_their_element(ix: SchemaIndex) -> None:
    wrong = QuerySpec(collection="patients", aggregates=COUNT)
    assert "still unreachable" in refused("how many patients are still unreachable", wrong, ix)
    premium = wrong.model_copy(update={"where": Condition(field="plan", op="=", value="premium")})
    check_reading("how many patients are still premium", premium, ix, share=False)
    notes = QuerySpec(collection="notes", aggregates=COUNT)
    assert "about 'refill'" in refused("how many notes about 'refill'", notes, ix)


def test_a_value_named_only_in_part_is_refused(ix: SchemaIndex) -> None:
    spec = QuerySpec(
        collection="notes",
        where=Condition(field="body", op="=", value="urgent refill"),
        aggregates=COUNT,
    )
    assert "'urgent'" in refused("how many notes say refill", spec, ix)
    check_reading("how many notes say urgent refill", spec, ix, share=False)
