"""Keys from the data, and type and name control by hand (alter --type, renames)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from cli_process import run_cli
from thermodb.catalog.naming import file_collection_name
from thermodb.catalog.types import FieldType
from thermodb.database import Database
from thermodb.errors import SchemaError


# -- keys and kinds ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("records", "key"),
    [
        ([{"sku": "A-1", "name": "pen"}, {"sku": "A-2", "name": "ink"}], "sku"),
        ([{"isbn": "978-0", "title": "A"}, {"isbn": "978-1", "title": "B"}], "isbn"),
        ([{"email": "a@x.io", "plan": "pro"}, {"email": "b@x.io", "plan": "free"}], "email"),
        ([{"slug": "red-pen", "n": 1}, {"slug": "blue-ink", "n": 2}], "slug"),
        ([{"ref": "3f2b6c1e-8d4a-4b2e-9c1d-2a3b4c5d6e7f", "n": 1},
          {"ref": "4f2b6c1e-8d4a-4b2e-9c1d-2a3b4c5d6e7f", "n": 2}], "ref"),
    ],
)  # fmt: skip
def test_an_identifier_is_proposed_as_key_and_the_collection_an_entity(
    db: Database, records: list[dict[str, object]], key: str
) -> None:
    db.ingest(records, collection="things")
    d = db.describe("things")
    assert (d["key_field"], d["kind"]) == (key, "entity")
    assert "present and unique" in d["key_reason"]
    db.ingest([{**records[0], "extra": 1}], collection="things")
    assert db.count("things") == 2  # the same key updated the record in place


def test_no_key_when_values_repeat_or_the_records_are_events(db: Database) -> None:
    db.ingest([{"code": "E1", "n": 1}, {"code": "E1", "n": 2}], collection="errs")
    assert db.describe("errs")["key_field"] is None
    db.ingest(
        [{"email": "a@x.io", "ts": "2026-01-01T00:00:00Z"},
         {"email": "b@x.io", "ts": "2026-01-01T00:00:01Z"}], collection="logins",
    )  # fmt: skip
    assert (db.describe("logins")["key_field"], db.describe("logins")["kind"]) == (None, "event")


def test_id_is_preferred_over_ID_whatever_the_order(db: Database) -> None:
    db.ingest([{"ID": 1, "id": 2, "v": 1}, {"ID": 2, "id": 1, "v": 2}], collection="a")
    db.ingest([{"id": 2, "ID": 1, "v": 1}, {"id": 1, "ID": 2, "v": 2}], collection="b")
    assert db.describe("a")["key_field"] == db.describe("b")["key_field"] == "id"


def test_alter_overrules_the_key(db: Database) -> None:
    db.ingest([{"sku": "A-1", "n": 1}, {"sku": "A-2", "n": 2}], collection="p")
    db.alter("p", key_field="", kind="event")
    assert db.describe("p")["key_field"] is None
    db.ingest([{"sku": "A-1", "n": 3}], collection="p")
    assert db.count("p") == 3


# -- types ---------------------------------------------------------------------------------
def test_alter_type_converts_every_value_or_refuses(db: Database) -> None:
    db.ingest([{"id": 1, "v": "12", "zip": "02134"}, {"id": 2, "v": "abc", "zip": "10001"}],
              collection="t")  # fmt: skip
    dry = db.change_type("t", "v", "int", dry_run=True)
    assert (dry.values, dry.failed, dry.failures) == (2, 1, ["abc"])
    with pytest.raises(SchemaError, match="1 of 2 values of 'v' do not convert to int"):
        db.change_type("t", "v", "int")
    assert db.collection("t").fields["v"].type is FieldType.TEXT  # as it was
    with pytest.raises(SchemaError, match="'02134'"):  # a leading zero: a code
        db.change_type("t", "zip", "int")
    db.ingest([{"id": 1, "zip": "30003"}, {"id": 3, "zip": "20002"}, {"id": 4}], collection="t")
    db.change_type("t", "id", "text")
    assert db.get("t", "3") == {"id": "3", "zip": "20002"}
    db.change_type("t", "id", "int")
    report = db.change_type("t", "zip", "int")
    assert report.failed == 0
    coll = db.collection("t")
    assert coll.fields["zip"].type is FieldType.INT and coll.history[-1].widened
    rows = db.query({"collection": "t", "select": ["id", "zip"], "order": [{"field": "id"}]}).rows
    assert [list(r) for r in rows] == [[1, 30003], [2, 10001], [3, 20002], [4, None]]
    db.change_type("t", "zip", "text")
    assert db.sql("SELECT zip FROM t WHERE id = 1").rows == [["30003"]]


def test_alter_type_keeps_the_key_unique(db: Database) -> None:
    db.ingest([{"id": "1.0", "n": 1}, {"id": "1", "n": 2}], collection="u")
    with pytest.raises(SchemaError, match="would repeat"):
        db.change_type("u", "id", "int")


def test_alter_type_cli_dry_run(tmp_path: Path) -> None:
    data = tmp_path / "d"
    src = tmp_path / "in.ndjson"
    src.write_text('{"k": 1, "v": "12"}\n{"k": 2, "v": "x"}\n')
    assert run_cli("ingest", str(src), "-c", "t", data=data).returncode == 0
    done = run_cli("alter", "t", "--type", "v=int", "--dry-run", "--format", "json", data=data)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["types"][0]["failed"] == 1 and out["types"][0]["failures"] == ["x"]
    done = run_cli("alter", "t", "--type", "v=int", data=data)
    assert done.returncode != 0 and "do not convert" in done.stderr


# -- names -------------------------------------------------------------------------------
def test_rename_field_and_collection(db: Database) -> None:
    db.ingest([{"id": 1, "zip": "02134", "meta": {"a": 1}}], collection="p")
    db.rename_field("p", "zip", "Postal code")
    db.rename_field("p", "meta", "info")
    assert db.get("p", 1) == {"id": 1, "Postal code": "02134", "info": {"a": 1}}
    assert "info.a" in db.collection("p").fields
    db.rename("p", "places")
    assert db.get("places", 1) == {"id": 1, "Postal code": "02134", "info": {"a": 1}}
    db.ingest([{"id": 1, "Postal code": "99999"}], collection="places")
    assert db.count("places") == 1 and db.get("places", 1)["Postal code"] == "99999"  # type: ignore[index]
    with pytest.raises(SchemaError, match="already exists"):
        db.ingest([{"x": 1}], collection="other")
        db.rename("places", "other")


@pytest.mark.parametrize(
    ("path", "name"),
    [("users.csv.gz", "users"), ("dir/order_items.ndjson", "order_items"),
     ("Customers.JSONL", "customers"), ("data.json", None), ("part-0001.ndjson", None),
     ("records.csv", None), ("x.csv", None), ("Football Teams 1998.csv", "football_teams"),
     ("2026-03-05.ndjson", None), ("batch_17.json", None)],
)  # fmt: skip
def test_file_collection_names(path: str, name: str | None) -> None:
    assert file_collection_name(path) == name


def test_a_file_names_its_new_collection(sqlite_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "users.csv.gz"
    with gzip.open(path, "wt") as out:
        out.write("login,age\nann,31\nbob,42\n")
    report = sqlite_db.ingest(str(path))
    assert report.created == ["users"] and sqlite_db.count("users") == 2
    again = tmp_path / "data.ndjson"
    again.write_text('{"sensor": "s1", "reading": 3.5}\n')
    assert sqlite_db.ingest(str(again)).created != ["data"]
