"""Clear error paths: what the input is instead of records, where, and what to do."""

from __future__ import annotations

import gzip
import io
import json
import resource
import time
from pathlib import Path

import pytest

from cli_process import run_cli
from thermodb.database import Database
from thermodb.errors import InputError, SchemaError
from thermodb.ingest.guards import MAX_EXPANSION
from thermodb.ingest.validation import Limits


def test_csv_on_stdin_names_the_input_format_option(tmp_path: Path) -> None:
    done = run_cli("ingest", "-", data=tmp_path / "d", stdin="a,b\n1,2\n")
    assert done.returncode != 0
    assert "--input-format csv" in done.stderr and "Traceback" not in done.stderr


def test_a_bare_json_number_is_not_a_record(tmp_path: Path) -> None:
    done = run_cli("ingest", "-", data=tmp_path / "d", stdin="5\n")
    assert done.returncode != 0
    assert "bare JSON number (5)" in done.stderr and "not a record" in done.stderr


@pytest.mark.parametrize(
    ("body", "kind"), [(b'"string"', "string"), (b"null", "null"), (b"true", "boolean")]
)
def test_a_body_that_is_not_records_is_an_error(db: Database, body: bytes, kind: str) -> None:
    for fmt in ("auto", "json", "ndjson"):
        with pytest.raises(InputError, match=f"bare JSON {kind}"):
            db.ingest(io.BytesIO(body), collection="b", fmt=fmt)


def test_one_json_object_with_the_json_format_is_one_record(db: Database) -> None:
    report = db.ingest(io.BytesIO(b'{"a": 1}'), collection="one", fmt="json")
    assert report.written == 1


def test_reject_file_keeps_line_text_number_and_reason(sqlite_db: Database, tmp_path: Path) -> None:
    src = tmp_path / "in.ndjson"
    src.write_bytes(
        b'{"a": 1}\n{"a": \n{"a": 98765432109876543210987}\n{"a": "x\\u0000y"}\n[1]\n{"a": 2}\n'
    )
    rejects = tmp_path / "rejects.ndjson"
    report = sqlite_db.ingest(str(src), collection="r", on_error="skip", reject_file=rejects)
    assert (report.written, report.rejected) == (2, 4)
    lines = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [r["line"] for r in lines] == [2, 3, 4, 5]
    assert lines[0]["text"] == '{"a":' and lines[0]["reason"].startswith("invalid JSON at column")
    assert lines[1]["text"] == '{"a": 98765432109876543210987}' and "64 bits" in lines[1]["reason"]
    assert "NUL" in lines[2]["reason"]
    assert lines[3]["record"] == [1] and "JSON object" in lines[3]["reason"]
    assert all(r.get("record", 0) is not None for r in lines)
    assert sqlite_db.sql("SELECT a FROM r ORDER BY a").rows == [[1], [2]]


def test_errors_say_line_for_lines_and_record_for_records(
    sqlite_db: Database, tmp_path: Path
) -> None:
    src = tmp_path / "in.ndjson"
    src.write_bytes(b'{"a": 1}\n{"a": \n')
    with pytest.raises(InputError, match=r"^line 2 of .*in.ndjson: invalid JSON at column"):
        sqlite_db.ingest(str(src), collection="w")
    with pytest.raises(InputError, match=r"^record 2 of input: a record must be a JSON object"):
        sqlite_db.ingest([{"a": 1}, [2]], collection="w")


def test_huge_integers_refused_on_the_line_by_line_path(
    sqlite_db: Database, tmp_path: Path
) -> None:
    src = tmp_path / "in.ndjson"
    src.write_bytes(b'{"a": 1}\n{"a": \n{"a": 98765432109876543210987}\n')
    report = sqlite_db.ingest(str(src), collection="h", on_error="skip")
    assert report.written == 1
    assert sqlite_db.sql("SELECT a FROM h").rows == [[1]]


@pytest.mark.parametrize("text", ["a\x00b", "\ud800", "x\udfffy"])
def test_nul_and_lone_surrogates_are_per_record_input_errors(db: Database, text: str) -> None:
    report = db.ingest([{"s": "ok"}, {"s": text}, {"s": {"t": [text]}}], collection="n",
                       on_error="skip")  # fmt: skip
    assert (report.written, report.rejected) == (1, 2)
    with pytest.raises(InputError, match="not text a store can keep"):
        db.ingest([{"s": text}], collection="n")


def test_nul_in_ndjson_is_refused_per_line(db: Database) -> None:
    body = b'{"s": "ok"}\n{"s": "a\\u0000b"}\n{"s": "a\\\\u0000b"}\n'
    report = db.ingest(io.BytesIO(body), collection="n", on_error="skip")
    assert (report.written, report.rejected) == (2, 1)  # an escaped backslash is no NUL


def test_negative_zero_reads_alike_on_both_stores(db: Database) -> None:
    db.ingest([{"k": 1, "z": -0.0}, {"k": 2, "z": 0.5}], collection="z")
    rows = db.query({"collection": "z", "select": ["z"], "order": [{"field": "k"}]}).rows
    assert [r[0] for r in rows] == [0.0, 0.5]
    assert str(rows[0][0]) == "0.0"


def test_too_many_fields_for_one_collection_names_the_limit(db: Database) -> None:
    db.ingest([{f"f{i}": i for i in range(20)}], collection="wide", limits=Limits(max_columns=30))
    with pytest.raises(SchemaError, match="the limit is 30 per collection"):
        db.ingest([{f"g{i}": i for i in range(20)}], collection="wide",
                  limits=Limits(max_columns=30))  # fmt: skip
    assert len(db.collection("wide").top_fields()) == 20


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_deep_nesting_is_refused_while_parsing(sqlite_db: Database) -> None:
    before = _rss_mb()
    for body in (
        b"[" * 20_000 + b"]" * 20_000,
        b"[" + b'{"a":' * 20_000 + b"1" + b"}" * 20_000 + b"]",
    ):
        started = time.monotonic()
        with pytest.raises(InputError, match="nests deeper than"):
            sqlite_db.ingest(io.BytesIO(body), collection="deep")
        assert time.monotonic() - started < 2
    assert _rss_mb() - before < 100


def test_deep_nesting_through_the_cli_is_refused_cheaply(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    started = time.monotonic()
    done = run_cli("ingest", str(path), data=tmp_path / "d")
    assert done.returncode != 0 and "nests deeper than" in done.stderr
    assert time.monotonic() - started < 30


def test_a_gzip_bomb_is_refused_before_it_expands(sqlite_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "bomb.ndjson.gz"
    with gzip.open(path, "wb", compresslevel=9) as out:
        chunk = b" " * (1 << 20)
        for _ in range(512):  # 512 MiB of spaces: about 0.5 MB compressed
            out.write(chunk)
    assert path.stat().st_size * MAX_EXPANSION < 512 << 20
    before = _rss_mb()
    with pytest.raises(InputError, match="expands more than"):
        sqlite_db.ingest(str(path), collection="bomb")
    assert _rss_mb() - before < 200
    with pytest.raises(InputError, match="expands more than"):
        sqlite_db.ingest(io.BytesIO(path.read_bytes()), collection="bomb")


def test_blank_lines_are_read_before_the_write_lock(tmp_path: Path) -> None:
    import thermodb

    data = tmp_path / "d"
    first, second = thermodb.open(data), thermodb.open(data)
    try:
        first.ingest([{"a": 1}], collection="c")
        started = time.monotonic()
        report = first.ingest(io.BytesIO(b"\n" * 50_000_000), collection="c")
        assert report.written == 0 and time.monotonic() - started < 10
        second.ingest([{"a": 2}], collection="c")
    finally:
        first.close()
        second.close()


def test_an_over_long_line_is_refused_without_being_kept(sqlite_db: Database) -> None:
    body = b'{"a": 1}\n{"a": "' + b"x" * (20 << 20) + b'"}\n{"a": 2}\n'
    report = sqlite_db.ingest(io.BytesIO(body), collection="long", on_error="skip")
    assert (report.written, report.rejected) == (2, 1)
    assert "longer than" in report.rejections[0].reason
