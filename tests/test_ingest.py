"""Ingestion on every backend: inference, evolution, atomicity, policies, limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from thermodb.catalog.types import FieldType
from thermodb.database import Database
from thermodb.errors import InputError, SchemaError


def test_infers_types_key_time_and_kind(db: Database) -> None:
    db.ingest(
        [
            {
                "id": 1,
                "email": "a@x.io",
                "score": 1.5,
                "ok": True,
                "signup_at": "2026-01-02T03:04:05Z",
                "last_seen_at": "2026-02-01T00:00:00+01:00",
                "address": {"city": "Oslo", "zip": "0150"},
            },
            {
                "id": 2,
                "email": "b@x.io",
                "score": 2,
                "ok": False,
                "signup_at": "2026-01-03",
                "last_seen_at": None,
                "address": {"city": "Bergen"},
            },
        ],
        collection="users",
    )
    c = db.collection("users")
    types = {p: f.type for p, f in c.fields.items()}
    assert types["id"] is FieldType.INT
    assert types["score"] is FieldType.FLOAT
    assert types["ok"] is FieldType.BOOL
    assert types["signup_at"] is FieldType.TIMESTAMP
    assert types["address"] is FieldType.JSON
    assert types["address.city"] is FieldType.TEXT
    assert (c.key_field, c.time_field, c.kind) == ("id", "signup_at", "entity")
    record = db.get("users", 1)
    assert record is not None
    assert record["last_seen_at"] == "2026-01-31T23:00:00Z"
    assert record["address"] == {"city": "Oslo", "zip": "0150"}
    assert record["ok"] is True and record["score"] == 1.5


def test_new_field_adds_column_and_conflict_widens(db: Database) -> None:
    db.ingest([{"id": 1, "n": 1}], collection="things")
    db.ingest([{"id": 2, "n": 2.5, "extra": "x"}], collection="things")
    c = db.collection("things")
    assert c.fields["n"].type is FieldType.FLOAT
    assert c.fields["extra"].type is FieldType.TEXT
    db.ingest([{"id": 3, "n": "many"}], collection="things")
    c = db.collection("things")
    assert c.fields["n"].type is FieldType.TEXT
    assert c.schema_version == 3
    assert [h.widened for h in c.history[1:]] == [{"n": ("int", "float")}, {"n": ("float", "text")}]
    assert db.get("things", 1) == {"id": 1, "n": "1.0"} or db.get("things", 1) == {
        "id": 1,
        "n": "1",
    }
    assert db.get("things", 3) == {"id": 3, "n": "many"}
    db.ingest([{"id": 4, "n": {"deep": [1, 2]}}], collection="things")
    assert db.collection("things").fields["n"].type is FieldType.JSON
    assert db.get("things", 4) == {"id": 4, "n": {"deep": [1, 2]}}
    assert db.get("things", 3) == {"id": 3, "n": "many"}


def test_epoch_numbers_in_time_fields(db: Database) -> None:
    db.ingest(
        [
            {"event": "a", "created_at": 1767225600},
            {"event": "b", "created_at": 1767225600123},
            {"event": "c", "count": 1767225600},
        ],
        collection="events",
    )
    c = db.collection("events")
    assert c.fields["created_at"].type is FieldType.TIMESTAMP
    assert c.fields["count"].type is FieldType.INT


def test_upsert_by_key_replaces_record(db: Database) -> None:
    db.ingest([{"id": "a", "v": 1}, {"id": "b", "v": 2}], collection="kv")
    db.ingest([{"id": "a", "v": 10}, {"id": "a", "v": 11}], collection="kv")
    assert db.count("kv") == 2
    assert db.get("kv", "a") == {"id": "a", "v": 11}


def test_bad_record_rejects_whole_call_and_leaves_store_as_it_was(db: Database) -> None:
    db.ingest([{"id": 1, "v": 1}], collection="kv")
    with pytest.raises(InputError) as err:
        db.ingest([{"id": 2, "v": 2, "new_field": True}, [1, 2], {"id": 3}], collection="kv")
    assert "record 2" in str(err.value) and "JSON object" in str(err.value)
    assert db.count("kv") == 1
    assert "new_field" not in db.collection("kv").fields
    with pytest.raises(InputError):
        db.ingest([{"fresh": 1}, "oops"], collection="fresh")
    assert db.catalog.find("fresh") is None
    reopened = type(db)(db.target)
    assert reopened.catalog.find("fresh") is None
    assert reopened.count("kv") == 1
    reopened.close()


def test_skip_policy_keeps_good_records_and_writes_reject_file(
    db: Database, tmp_path: Path
) -> None:
    src = tmp_path / "in.ndjson"
    src.write_text('{"id": 1}\nnot json\n{"id": 2}\n[3]\n\n{"id": null}\n')
    rejects = tmp_path / "rejects.ndjson"
    db.ingest([{"id": 0}], collection="c")
    report = db.ingest(str(src), collection="c", on_error="skip", reject_file=rejects)
    assert report.written == 2 and report.rejected == 3
    lines = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [r["line"] for r in lines] == [2, 4, 6]
    assert "invalid JSON" in lines[0]["reason"]
    assert "key field" in lines[2]["reason"]


def test_limits(db: Database) -> None:
    deep: dict[str, object] = {"x": 1}
    for _ in range(40):
        deep = {"d": deep}
    cases = [
        ({"a" * 2000: 1}, "limit is 1024"),
        (deep, "deeper than 32"),
        ({"a\x00b": 1}, "NUL"),
        ({"a\ud800": 1}, "surrogate"),
        ({}, "empty"),
        ({"blob": "x" * (2 * 1024 * 1024)}, "bytes"),
        ({"f": float("nan")}, "JSON cannot"),
    ]
    for record, expected in cases:
        with pytest.raises(InputError, match=expected):
            db.ingest([record], collection="lim")


def test_evolution_modes(db: Database) -> None:
    db.ingest([{"id": 1, "n": 1}], collection="frozen", evolution="freeze")
    with pytest.raises(SchemaError, match="not in the schema"):
        db.ingest([{"id": 2, "n": 2, "new": "x"}], collection="frozen")
    with pytest.raises(SchemaError, match="is int, not text"):
        db.ingest([{"id": 2, "n": "two"}], collection="frozen")
    db.ingest([{"id": 1, "n": 1}], collection="rows", evolution="discard_row")
    r = db.ingest([{"id": 2, "n": 2}, {"id": 3, "n": "x"}], collection="rows")
    assert (r.written, r.discarded) == (1, 1)
    db.ingest([{"id": 1, "n": 1}], collection="vals", evolution="discard_value")
    r = db.ingest([{"id": 2, "n": "x", "m": 5}], collection="vals")
    assert r.written == 1
    assert db.get("vals", 2) == {"id": 2}
    assert db.collection("vals").schema_version == 1


def test_dry_run_writes_nothing(db: Database) -> None:
    report = db.ingest([{"id": 1}], collection="dry", dry_run=True)
    assert report.written == 1 and report.dry_run
    assert db.catalog.find("dry") is None


def test_formats(db: Database, tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps([{"id": 1, "t": "x"}, {"id": 2, "t": "y"}]))
    (tmp_path / "b.csv").write_text('id,price,ok,name\n3,1.5,true,x\n4,,false,"a, b"\n')
    (tmp_path / "c.json").write_text(json.dumps({"id": 5, "nested": {"a": 1}}, indent=2))
    db.ingest(str(tmp_path / "a.json"), collection="a")
    db.ingest(str(tmp_path / "b.csv"), collection="b")
    db.ingest(str(tmp_path / "c.json"), collection="c")
    assert db.count("a") == 2
    assert db.get("b", 4) == {"id": 4, "ok": False, "name": "a, b"}
    assert db.collection("b").fields["price"].type is FieldType.FLOAT
    assert db.get("c", 5) == {"id": 5, "nested": {"a": 1}}


def test_describe(db: Database, dev_set: Path) -> None:
    db.ingest(str(dev_set / "users.ndjson"), collection="users")
    info = db.describe("users")
    fields = {f["field"]: f for f in info["fields"]}
    assert info["rows"] == 400 and info["key_field"] == "id"
    assert fields["age"]["null_fraction"] == pytest.approx(0.15, abs=0.02)
    assert fields["settings.theme"]["type"] == "text"
    assert fields["plan"]["categorical"]
    assert info["history"][0]["version"] == 1


def test_all_null_records_cannot_found_a_collection(db: Database) -> None:
    with pytest.raises(InputError, match="every field of the record is null"):
        db.ingest([{"a": None}], collection="nulls")
    assert db.catalog.find("nulls") is None
    db.ingest([{"id": 1, "a": 1}], collection="nulls")
    db.ingest([{"id": 2, "a": None}], collection="nulls")
    assert db.get("nulls", 2) == {"id": 2}


def test_time_field_that_stops_being_a_time_loses_the_role(db: Database) -> None:
    db.ingest([{"id": 1, "ts": "2026-01-01T00:00:00Z"}], collection="ev")
    assert db.collection("ev").time_field == "ts"
    db.ingest([{"id": 2, "ts": "soon"}], collection="ev")
    c = db.collection("ev")
    assert c.fields["ts"].type is FieldType.TEXT and c.time_field is None
    assert "no longer the time field" in c.history[-1].note
    assert db.get("ev", 1) == {"id": 1, "ts": "2026-01-01T00:00:00.000000Z"}


def test_alter_roles(db: Database) -> None:
    db.ingest(
        [
            {"id": 1, "sku": "a", "n": 1, "at": "2026-01-01T00:00:00Z"},
            {"id": 2, "sku": "b", "n": 1, "at": "2026-01-02T00:00:00Z"},
        ],
        collection="items",
    )
    with pytest.raises(SchemaError, match="repeat"):
        db.alter("items", key_field="n")
    with pytest.raises(SchemaError, match="not timestamps"):
        db.alter("items", time_field="sku")
    c = db.alter("items", key_field="sku", kind="entity", evolution="freeze")
    assert (c.key_field, c.kind, c.evolution) == ("sku", "entity", "freeze")
    db.ingest([{"id": 3, "sku": "a", "n": 5, "at": "2026-01-03T00:00:00Z"}], collection="items")
    assert db.count("items") == 2 and db.get("items", "a") == {
        "id": 3,
        "sku": "a",
        "n": 5,
        "at": "2026-01-03T00:00:00Z",
    }
    reopened = type(db)(db.target)
    assert reopened.collection("items").key_field == "sku"
    reopened.close()


def test_integers_beyond_64_bits_are_refused_clearly(db: Database) -> None:
    db.ingest([{"id": 1, "n": 5}], collection="big")
    with pytest.raises(InputError, match="beyond 64 bits"):
        db.ingest([{"id": 2, "n": 2**70}], collection="big")
    assert db.count("big") == 1
    with pytest.raises(InputError, match="out of range"):
        db.get("big", 2**64)


def test_a_record_refused_for_its_key_changes_no_schema(db: Database) -> None:
    db.ingest([{"id": 1, "x": 1}], collection="keyed")
    report = db.ingest([{"id": 2, "x": 2}, {"id": None, "x": "abc", "extra": {"a": 1}}],
                       collection="keyed", on_error="skip")  # fmt: skip
    assert (report.written, report.rejected) == (1, 1)
    c = db.collection("keyed")
    assert c.fields["x"].type is FieldType.INT and "extra" not in c.fields


def test_integers_beyond_64_bits_in_files_are_refused_not_rounded(
    db: Database, tmp_path: Path
) -> None:
    src = tmp_path / "big.ndjson"
    src.write_text('{"id": 1, "n": 5}\n{"id": 2, "n": 99999999999999999999999}\n'
                   '{"id": 3, "n": 7, "phone": "12345678901234567890"}\n')  # fmt: skip
    with pytest.raises(InputError, match=r"line 2 .*beyond 64 bits"):
        db.ingest(str(src), collection="big")
    report = db.ingest(str(src), collection="big", on_error="skip")
    assert (report.written, report.rejected) == (2, 1)
    assert db.get("big", 3) == {"id": 3, "n": 7, "phone": "12345678901234567890"}
    skipped = db.ingest([{"id": 4, "n": 2**70}, {"id": 5, "n": {"deep": [2**64]}}],
                        collection="big", on_error="skip")  # fmt: skip
    assert (skipped.written, skipped.rejected) == (0, 2)
