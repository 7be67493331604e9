"""A bounded fuzz run over the parsers that take untrusted text: the SQL checker, the
QuerySpec parser (and the gateway's compile of it) and the ingest readers.

Each case must end in an answer or a ThermoError (never another exception, never a hang),
within a time and a memory budget per case (tracemalloc peak). Hypothesis drives it: a
fixed number of examples with no example database, so the run is the same in CI and takes
well under a minute.
"""

from __future__ import annotations

import io
import json
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import thermodb
from thermodb.catalog.model import Collection
from thermodb.errors import ThermoError
from thermodb.query.planner import parse_spec
from thermodb.query.sql_check import check_sql
from thermodb.security.config import MaskRule, RowFilter, SecurityConfig
from thermodb.security.policy import Policy
from thermodb.security.principal import Principal

SECONDS_PER_CASE = 5.0
BYTES_PER_CASE = 128 * 1024 * 1024

_FUZZ = settings(
    max_examples=80,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def bounded(fn: Callable[[], Any]) -> Any:
    """Run one case within the time and memory budget; ThermoError counts as an answer."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        return fn()
    except ThermoError as exc:
        assert exc.message  # a message that says why
        return exc
    finally:
        elapsed = time.monotonic() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert elapsed < SECONDS_PER_CASE, f"one case took {elapsed:.2f} s"
        assert peak < BYTES_PER_CASE, f"one case allocated {peak / 1e6:.0f} MB"


@pytest.fixture(scope="module")
def collections(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Collection]]:
    db = thermodb.open(tmp_path_factory.mktemp("fuzz") / "data")
    db.ingest(
        [{"id": 1, "email": "a@b.c", "tenant": "t", "profile": {"ssn": "1", "n": 2}}],
        collection="users",
        key="id",
    )
    db.ingest([{"id": 1, "user_id": 1, "text": "hi"}], collection="messages", key="id")
    yield {c.name: c for c in db.collections()}
    db.close()


# -- the SQL checker ----------------------------------------------------------------------
_WORDS = [
    "SELECT", "FROM", "WHERE", "WITH", "AS", "UNION", "ALL", "JOIN", "ON", "AND", "OR", "NOT",
    "(", ")", ",", "*", "=", "<", "'x'", "1", "users", "USERS", '"users"', "messages",
    "main.users", "public.users", "thermo_keys", "sqlite_master", "pg_class", "email",
    "profile.ssn", "u", "u.email", "count(*)", "printf('%.*c', 9, 'x')", "repeat('x', 9)",
    "version()", "current_user", "::regclass", "CASE", "WHEN", "THEN", "END", "IN", "LIKE",
    "GROUP", "BY", "ORDER", "LIMIT", "DELETE", "INSERT", "PRAGMA", ";", "--", "/*", "*/",
    "RECURSIVE", "x", "lateral", "VALUES", "?", "$1",
]  # fmt: skip
sql_texts = st.one_of(
    st.lists(st.sampled_from(_WORDS), max_size=60).map(" ".join),
    st.text(max_size=400),
    st.integers(1, 3000).map(lambda n: "SELECT " + "(" * n + "1" + ")" * n),
    st.integers(1, 3000).map(lambda n: "SELECT 1 FROM users WHERE " + " OR ".join(["id=1"] * n)),
)


@_FUZZ
@given(text=sql_texts, dialect=st.sampled_from(["sqlite", "postgres"]))
def test_sql_checker_answers_or_refuses(
    collections: dict[str, Collection], text: str, dialect: str
) -> None:
    bounded(lambda: check_sql(text, collections, dialect))


# -- QuerySpec: parse and compile under a policy -----------------------------------------
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)
_conditions = st.recursive(
    st.fixed_dictionaries(
        {"field": st.sampled_from(["id", "email", "profile", "profile.ssn", "tenant", "x"]),
         "op": st.sampled_from(["=", "!=", ">", "in", "contains", "is_null", "bad"]),
         "value": _json}
    ),
    lambda inner: st.fixed_dictionaries({"and": st.lists(inner, max_size=3)})
    | st.fixed_dictionaries({"or": st.lists(inner, max_size=3)})
    | st.fixed_dictionaries({"not": inner}),
    max_leaves=20,
)  # fmt: skip
specs = st.one_of(
    st.fixed_dictionaries(
        {"collection": st.sampled_from(["users", "messages", "nope"])},
        optional={
            "where": _conditions,
            "select": st.lists(st.sampled_from(["id", "email", "profile.ssn", "zz"])),
            "group_by": st.lists(
                st.fixed_dictionaries({"field": st.sampled_from(["email", "id"])})
            ),
            "limit": st.integers(-5, 10**12),
            "links": st.lists(st.fixed_dictionaries(
                {"collection": st.sampled_from(["users", "messages"]),
                 "kind": st.sampled_from(["semi", "lookup", "anti"])})),
        },
    ),
    _json,
    st.integers(1, 400).map(
        lambda n: {"collection": "users", "where": _deep_not(n)}
    ),
)  # fmt: skip


def _deep_not(n: int) -> dict[str, Any]:
    node: dict[str, Any] = {"field": "id", "op": "=", "value": 1}
    for _ in range(n):
        node = {"not": node}
    return node


@_FUZZ
@given(raw=specs)
def test_queryspec_parser_and_policy_answer_or_refuse(raw: Any) -> None:
    policy = Policy(
        SecurityConfig(
            row_filters={"users": [RowFilter(field="tenant", claim="tenant")]},
            masks={"users": {"email": MaskRule(), "profile.ssn": MaskRule()}},
        )
    )
    reader = Principal(subject="r", role="reader", claims={"tenant": "t"})

    def case() -> Any:
        try:
            spec = parse_spec(json.dumps(raw))
        except ValidationError:  # pragma: no cover - parse_spec maps these to QueryError
            raise AssertionError("a validation error escaped as itself") from None
        return policy.compile(reader, spec)

    bounded(case)


# -- the ingest readers -------------------------------------------------------------------
_bodies = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=2000).map(str.encode),
    st.lists(_json, max_size=20).map(lambda rows: json.dumps(rows).encode()),
    st.lists(_json, max_size=20).map(lambda rows: "\n".join(map(json.dumps, rows)).encode()),
    st.integers(1, 20_000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1, 20_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.integers(1, 50_000).map(lambda n: b"\n" * n),
)


@_FUZZ
@given(body=_bodies, fmt=st.sampled_from(["json", "ndjson", "csv", "auto"]))
def test_ingest_readers_answer_or_refuse(body: bytes, fmt: str) -> None:
    from thermodb.ingest.readers import read_records

    def case() -> list[Any]:
        items = read_records(io.BytesIO(body), fmt)  # type: ignore[arg-type]
        return [item for _, item in zip(range(10_000), items, strict=False)]

    bounded(case)


def test_fuzz_suite_is_bounded(tmp_path: Path) -> None:
    """The budget itself: a case that blows it is reported, not hidden."""
    with pytest.raises(AssertionError, match="allocated"):
        bounded(lambda: bytearray(BYTES_PER_CASE + 1))
