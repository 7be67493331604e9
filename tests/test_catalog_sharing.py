"""Two processes (or server workers) on one database see each other's schema changes."""

from __future__ import annotations

from pathlib import Path

import thermodb
from thermodb.database import Database


def test_a_second_instance_sees_new_collections_and_fields(db: Database) -> None:
    other = type(db)(db.target)
    try:
        db.ingest([{"id": 1, "name": "a"}], collection="things")
        assert [c.name for c in other.collections()] == ["things"]
        db.ingest([{"id": 2, "name": "b", "colour": "red"}], collection="things")
        spec = {
            "collection": "things",
            "where": {"field": "colour", "op": "=", "value": "red"},
            "aggregates": [{"fn": "count"}],
        }
        assert other.query(spec).rows == [[1]]
        assert "colour" in {f["field"] for f in other.describe("things")["fields"]}
        # the second instance extends the schema the first one changed: no duplicate column
        other.ingest([{"id": 3, "name": "c", "colour": "blue", "size": 2}], collection="things")
        assert db.query({"collection": "things", "aggregates": [{"fn": "count"}]}).rows == [[3]]
        assert db.collection("things").fields["size"].column == "size"
        db.drop("things")
        assert other.collections() == []
    finally:
        other.close()


def test_get_sees_another_instances_fields_and_a_recreated_collection(db: Database) -> None:
    other = type(db)(db.target)
    try:
        db.ingest([{"id": 1, "name": "ann", "flag": True}], collection="u")
        assert db.get("u", 1) == {"id": 1, "name": "ann", "flag": True}
        other.ingest([{"id": 1, "name": "ann", "flag": True, "extra": "E"}], collection="u")
        assert db.get("u", 1) == {"id": 1, "name": "ann", "flag": True, "extra": "E"}
        other.drop("u")
        other.ingest([{"id": 1, "flag": 5}], collection="u")
        assert db.get("u", 1) == {"id": 1, "flag": 5}
        assert db.query({"collection": "u", "select": ["flag"]}).rows == [[5]]
        db.drop("u")
        db.ingest([{"id": 1, "flag": "seven", "zz": 1}], collection="u")
        assert db.get("u", 1) == {"id": 1, "flag": "seven", "zz": 1}
        assert db.query({"collection": "u", "select": ["zz"]}).rows == [[1]]
    finally:
        other.close()


def test_a_query_during_an_ingest_that_adds_fields_never_fails(tmp_path: Path) -> None:
    """A schema change is published only once its transaction commits: a reader in another
    thread never plans with a column its own snapshot does not have ("no such column")."""
    import threading

    with thermodb.open(tmp_path / "data") as db:
        db.ingest([{"id": 0, "a": 1}], collection="wide")
        stop = threading.Event()
        errors: list[BaseException] = []
        answered = [0]

        def reader() -> None:
            while not stop.is_set():
                try:
                    db.query({"collection": "wide", "limit": 5})
                    db.sql("SELECT * FROM wide LIMIT 5")
                    answered[0] += 1
                except BaseException as exc:
                    errors.append(exc)
                    return

        thread = threading.Thread(target=reader)
        thread.start()
        try:
            for i in range(1, 40):
                db.ingest([{"id": i, f"f{i}": i, "a": i}], collection="wide")
        finally:
            stop.set()
            thread.join(timeout=60)
        assert errors == [], errors[0]
        assert answered[0] > 0
        assert len(db.collection("wide").fields) == 41
