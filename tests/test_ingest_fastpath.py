"""The block fast path of NDJSON ingest gives what the record-at-a-time path gives.

Decoded NDJSON blocks bound for one evolving collection skip the per-record validation walk
(:meth:`RecordChecker.check_block`), gather nested leaves per path
(:func:`nested_values`), and read uniform time strings without per-value parsing
(``_uniform_times``). Each property compares against the general path on the same input:
tables compared row by row through SQL, schemas (types, columns, versions, history) and
field statistics compared whole.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from thermodb.catalog.types import FieldType
from thermodb.database import Database
from thermodb.ingest import pipeline
from thermodb.ingest.leaves import nested_values
from thermodb.ingest.validation import Limits, RecordChecker, RecordProblem
from thermodb.ingest.values import time_of, type_columns
from thermodb.storage.columns import format_timestamp

BASE = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)
TIMES = st.builds(
    lambda ms, shape: shape(BASE + timedelta(milliseconds=ms)),
    st.integers(-(10**10), 10**10),
    st.sampled_from(
        [
            lambda m: m.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            lambda m: m.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            lambda m: m.isoformat(timespec="seconds").replace("+00:00", "Z"),
            lambda m: m.isoformat(timespec="seconds"),  # +00:00: the general path
        ]
    ),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.integers(1_700_000_000, 1_700_000_005),  # epoch seconds in time-named fields
    st.floats(-2, 2, allow_nan=False, allow_infinity=False),
    st.sampled_from(["a", "b", "", "2026-02-30T00:00:00Z", "2026-03-18"]),
    TIMES,
)
NESTED = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=2),
        st.dictionaries(st.sampled_from(["x", "y", "z"]), inner, max_size=3),
    ),
    max_leaves=6,
)
KEYS = ["id", "ts", "created_at", "level", "meta", "tags", "n"]
FIELDS = {
    "id": st.one_of(st.integers(0, 40), st.none(), st.sampled_from(["a", "b"])),
    "ts": st.one_of(TIMES, st.none()),
    "created_at": st.one_of(TIMES, SCALARS),
    "level": SCALARS,
    "meta": NESTED,
    "tags": NESTED,
    "n": SCALARS,
}
RECORDS = st.lists(
    st.builds(
        lambda values, order: {k: values[k] for k in order if k in values},
        st.fixed_dictionaries({}, optional=FIELDS),  # type: ignore[arg-type]
        st.permutations(KEYS),
    ).filter(bool),
    min_size=1,
    max_size=30,
)
_names = itertools.count()


def _block_path_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline._Call, "_checked_as_block", lambda self, batch: False)


def _state(db: Database, name: str, report: Any) -> dict[str, Any]:
    """Everything an ingest leaves behind: rows, schema, statistics and the report."""
    coll = db.catalog.find(name)
    if coll is None:
        return {"report": (report.written, report.rejected)}
    columns = [f.column for f in coll.top_fields() if f.column]
    q = db.store.quote
    table = q(db.store.table(coll).name)
    sql = f"SELECT {', '.join(q(c) for c in columns)} FROM {table} ORDER BY _rid"
    with db.store.engine.connect() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql(sql).fetchall()] if columns else []
    return {
        "rows": rows,
        "fields": [f.model_dump() for f in coll.fields.values()],
        "roles": (coll.key_field, coll.time_field, coll.kind, coll.schema_version, coll.records),
        "history": [(h.version, h.added, h.widened, h.note) for h in coll.history],
        "report": (
            report.written,
            report.rejected,
            [(r.position, r.reason.replace(name, "<collection>")) for r in report.rejections],
        ),
    }


def _outcome(db: Database, path: Path, name: str, options: dict[str, Any]) -> dict[str, Any]:
    try:
        report = db.ingest(str(path), collection=name, **options)
    except Exception as exc:  # both paths must fail alike (same error, same message)
        return {"error": (type(exc).__name__, str(exc).replace(name, "<collection>"))}
    return _state(db, name, report)


def _ingest_both(
    db: Database, path: Path, monkeypatch: pytest.MonkeyPatch, **options: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    n = next(_names)
    fast = _outcome(db, path, f"fast_{n}", options)
    with monkeypatch.context() as m:
        _block_path_off(m)
        slow = _outcome(db, path, f"slow_{n}", options)
    return fast, slow


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    batches=st.lists(RECORDS, min_size=1, max_size=3),
    batch_size=st.integers(3, 40),
    evolution=st.sampled_from(["evolve", "freeze", "discard_value"]),
)
def test_fast_path_equals_record_path(
    db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    batches: list[list[dict[str, Any]]],
    batch_size: int,
    evolution: str,
) -> None:
    path = tmp_path / "records.ndjson"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for b in batches for r in b))
    fast, slow = _ingest_both(
        db, path, monkeypatch, on_error="skip", batch_size=batch_size, evolution=evolution
    )
    event("failed alike" if "error" in fast else "ingested")
    assert fast == slow


def test_fast_path_handles_clean_files_without_the_record_walk(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "logs.ndjson"
    lines = [
        {"ts": f"2026-03-18T15:30:{i % 60:02d}.{i:03d}Z", "level": "INFO", "http": {"s": i}}
        for i in range(50)
    ]
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in lines))

    def record_walk(*_: Any) -> None:
        raise AssertionError("the block should not be checked record by record")

    monkeypatch.setattr(pipeline._Call, "_check_each", record_walk)
    report = sqlite_db.ingest(str(path), collection="logs", batch_size=20)
    assert report.written == 50
    coll = sqlite_db.catalog.find("logs")
    assert coll is not None
    assert coll.fields["http.s"].present == 50
    assert coll.fields["ts"].type == "timestamp"


def test_bad_lines_keep_their_record_errors(sqlite_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "mixed.ndjson"
    path.write_bytes(b'{"a": 1}\n{"a": \n{"a\\u0000b": 2}\n{"a": 3}\n')
    report = sqlite_db.ingest(str(path), collection="mixed", on_error="skip")
    assert report.written == 2
    assert [(r.position, r.reason[:12]) for r in report.rejections] == [
        (2, "invalid JSON"),
        (3, "field name '"),
    ]


LIMITS = Limits(max_record_bytes=400, max_depth=3, max_field_name=3, max_fields=3)
NAMES = st.sampled_from(["a", "b", "abcd", "x.y", "\x01", "\x00", '"q'])
SMALL = st.recursive(
    st.one_of(st.none(), st.integers(-1000, 1000), st.text(max_size=30)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(NAMES, inner, max_size=3)),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    records=st.lists(
        st.one_of(st.dictionaries(NAMES, SMALL, max_size=4), st.lists(SMALL, max_size=2)),
        min_size=1,
        max_size=6,
    )
)
def test_block_check_passes_exactly_what_record_checks_pass(records: list[Any]) -> None:
    lines = [orjson.dumps(r) for r in records]
    decoded = [orjson.loads(line) for line in lines]
    checker = RecordChecker(LIMITS)

    def passes(record: Any, size: int) -> bool:
        try:
            checker.check(record, size)
        except RecordProblem:
            return False
        return True

    verdicts = [passes(r, len(line)) for r, line in zip(decoded, lines, strict=True)]
    block = RecordChecker(LIMITS).check_block(decoded, [len(line) for line in lines])
    if block:
        assert all(verdicts)
    elif all(verdicts):
        # only oversized lines may send good records to the record path
        assert max(map(len, lines)) * 8 + 8 > LIMITS.max_record_bytes


@settings(max_examples=200, deadline=None)
@given(records=RECORDS, known=st.sets(st.sampled_from(["meta.x", "meta.y.z", "tags.x"])))
def test_nested_values_equal_the_walk(records: list[dict[str, Any]], known: set[str]) -> None:
    checker = RecordChecker(Limits())
    expected: dict[str, list[Any]] = {}
    for record in records:
        for leaf, value in checker.check(record):
            values = expected.get(leaf)
            if values is None:
                if value is None and leaf not in known:
                    continue
                values = expected[leaf] = []
            values.append(value)
    columns = type_columns(records, {})
    got = nested_values([(c.key, c.values) for c in columns], records, known)
    assert got == expected
    new = [p for p in expected if p not in known]
    assert [p for p in got if p not in known] == new  # new fields keep the walk's order


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.one_of(st.none(), TIMES), min_size=1, max_size=20))
def test_uniform_times_read_as_the_general_path(values: list[str | None]) -> None:
    typed = type_columns([{"t": v} for v in values], {"t": FieldType.TIMESTAMP})
    (column,) = typed
    moments = [None if v is None else time_of(v) for v in values]
    assert column.values == moments
    if column.texts is not None:
        assert column.texts == [None if m is None else format_timestamp(m) for m in moments]
