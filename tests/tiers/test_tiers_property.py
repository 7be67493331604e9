"""Property: any sequence of ingests, moves, reads and deletes answers like no tiering.

The reference is a plain dict of the last record written per key. After every step the
tiered database must hold exactly those records (each in one place) and `get`, `count` and a
sum over a field must agree with the dict.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tierdata import BASE, LATER, stored

import thermodb

KEYS = st.integers(min_value=0, max_value=25)
records = st.lists(
    st.tuples(KEYS, st.integers(min_value=0, max_value=96), st.sampled_from(["a", "b"])),
    min_size=1,
    max_size=12,
)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("ingest"), records),
        st.tuples(st.just("migrate"), st.integers(min_value=0, max_value=3)),
        st.tuples(st.just("read"), KEYS),
        st.tuples(st.just("delete"), KEYS),
    ),
    min_size=1,
    max_size=8,
)


def _record(key: int, hour: int, level: str) -> dict[str, Any]:
    return {
        "id": key,
        "ts": (BASE + timedelta(hours=hour)).isoformat().replace("+00:00", "Z"),
        "level": level,
        "ms": float(key * 3 + hour),
    }


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_tiering_never_changes_answers(steps: list[tuple[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp, thermodb.open(f"{tmp}/data") as db:
        db.ingest([_record(0, 0, "a")], collection="logs")
        model: dict[int, dict[str, Any]] = {0: _record(0, 0, "a")}
        db.thermal.set_policy("logs", promote_after=2, min_age="1s")
        for op, arg in steps:
            if op == "ingest":
                batch = [_record(*r) for r in arg]
                db.ingest(batch, collection="logs")
                for r in batch:
                    model[r["id"]] = r
            elif op == "migrate":
                when = LATER + timedelta(days=arg)
                db.thermal.clock = lambda when=when: when
                report = db.migrate(when)
                assert report.failed == []
            elif op == "read":
                db.thermal.cache.clear()
                assert db.get("logs", arg) == _expected(model.get(arg))
            else:
                assert db.delete("logs", arg) is (arg in model)
                model.pop(arg, None)
            assert stored(db, "logs") == {k: _expected(v) for k, v in model.items()}
            assert db.count("logs") == len(model)
        for key in range(26):
            assert db.get("logs", key) == _expected(model.get(key))


def _expected(record: dict[str, Any] | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {**record, "ts": record["ts"].replace("+00:00", "Z")}
