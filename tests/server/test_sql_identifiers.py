"""Restricted collections spelled every way the engines accept, on SQLite and PostgreSQL.

The class: the guard and the engine must agree on which collection a name means. Each
generated statement reads a collection under a row filter (``orders``) or a mask
(``users.email``) through some spelling (case, quotes, brackets, schema prefixes, CTEs in
any scope, subqueries, unions, expressions over the masked field). The property: the
gateway refuses it, or nothing in the answer comes from outside the caller's rows or
shows a masked value.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from gateway_env import JWT_SECRET
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thermodb.database import Database
from thermodb.errors import ThermoError
from thermodb.security.config import MaskRule, RowFilter, SecurityConfig
from thermodb.security.gateway import Gateway
from thermodb.security.principal import Principal

ORDERS = [
    {"order_id": 1, "tenant_id": "acme", "total": 10},
    {"order_id": 2, "tenant_id": "acme", "total": 20},
    {"order_id": 3, "tenant_id": "globex", "total": 3000},
]
USERS = [
    {"id": 1, "email": "ann@example.com", "profile": {"ssn": "111-22-3333", "city": "Oslo"}},
    {"id": 2, "email": "bob@example.com", "profile": {"ssn": "444-55-6666", "city": "Rome"}},
]
SECRETS = ("globex", "3000", "ann@example.com", "bob@example.com", "111-22-3333", "444-55")
READER = Principal(subject="key:reader", role="reader", claims={"tenant": "acme"}, key_id="r")


@pytest.fixture
def gateway(db: Database) -> Iterator[Gateway]:
    db.ingest(ORDERS, collection="orders", key="order_id")
    db.ingest(USERS, collection="users", key="id")
    db.ingest([{"id": 1, "text": "hi"}], collection="messages", key="id")
    config = SecurityConfig(
        jwt_secret=JWT_SECRET,
        row_filters={"orders": [RowFilter(field="tenant_id", claim="tenant")]},
        masks={"users": {"email": MaskRule(style="email"), "profile": MaskRule()}},
        audit_reads=False,  # no background flusher outliving the database
    )
    yield Gateway(db, config)


def _case(draw: st.DrawFn, name: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    return "".join(c.upper() if f else c for c, f in zip(name, flips, strict=True))


@st.composite
def spelling(draw: st.DrawFn, name: str) -> str:
    """One way of writing a table name that SQLite or PostgreSQL would accept."""
    written = _case(draw, name)
    quote = draw(st.sampled_from(["", '"', "`", "["]))
    if quote == "[":
        written = f"[{written}]"
    elif quote:
        written = f"{quote}{written}{quote}"
    prefix = draw(st.sampled_from(["", "", "", "main.", "public.", "temp.", '"public".']))
    return prefix + written


def _shapes(t: str, other: str) -> list[str]:
    return [
        f"SELECT * FROM {t}",
        f"SELECT x.* FROM {t} AS x",
        f"WITH c AS (SELECT * FROM {t}) SELECT * FROM c",
        f"WITH c AS (SELECT 1 AS one) SELECT * FROM c, {t}",
        f"SELECT * FROM (SELECT * FROM {t}) AS s",
        f"SELECT * FROM (WITH q AS (SELECT * FROM {t}) SELECT * FROM q) AS s",
        f"SELECT 1 AS a UNION ALL SELECT count(*) FROM {t}",
        f"SELECT (SELECT count(*) FROM {t}) AS n",
        f"SELECT * FROM {other} WHERE EXISTS (SELECT 1 FROM {t})",
        f"SELECT a.* FROM {other} m, (WITH {t} AS (SELECT 1) SELECT 1) q, {t} a",
        f"WITH {t} AS (SELECT 1 AS x) SELECT * FROM {t}",
        f"SELECT * FROM {other} JOIN {t} ON 1 = 1",
    ]


def _assert_safe(gateway: Gateway, sql: str) -> None:
    try:
        answer = gateway.sql(READER, sql)
    except ThermoError as exc:
        assert exc.http_status < 500, (sql, exc)
        return
    text = str(answer.rows)
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, (sql, leaked, answer.rows)


_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_SETTINGS
@given(data=st.data())
def test_filtered_collection_in_any_spelling(gateway: Gateway, data: st.DataObject) -> None:
    t = data.draw(spelling("orders"))
    other = data.draw(spelling("messages"))
    shape = data.draw(st.sampled_from(_shapes(t, other)))
    _assert_safe(gateway, shape)


@_SETTINGS
@given(data=st.data())
def test_masked_fields_in_any_spelling_and_expression(
    gateway: Gateway, data: st.DataObject
) -> None:
    t = data.draw(spelling("users"))
    field = data.draw(st.sampled_from(["email", "EMAIL", '"email"', "profile", "profile.ssn"]))
    shape = data.draw(
        st.sampled_from(
            [
                f"SELECT {field} FROM {t}",
                f"SELECT upper({field}) || '' AS v FROM {t}",
                f"SELECT id FROM {t} WHERE {field} LIKE 'a%'",
                f"SELECT max({field}) FROM {t}",
                f"SELECT * FROM {t} ORDER BY {field}",
                f"SELECT substr({field}, 1, 3) FROM (SELECT * FROM {t}) AS s",
                f"WITH c AS (SELECT {field} AS v FROM {t}) SELECT v FROM c",
            ]
        )
    )
    _assert_safe(gateway, shape)


def test_unrestricted_collection_in_other_spellings_still_reads(gateway: Gateway) -> None:
    for sql in (
        "SELECT count(*) FROM MESSAGES",
        'SELECT count(*) FROM "Messages"',
        "WITH m AS (SELECT * FROM Messages) SELECT count(*) FROM m",
    ):
        assert gateway.sql(READER, sql).rows == [[1]], sql


def test_spellings_of_a_restricted_collection_are_refused(gateway: Gateway) -> None:
    """The finding: ORDERS / "Orders" / inside a CTE skipped the row filter."""
    for sql in (
        "SELECT order_id, tenant_id FROM ORDERS",
        'SELECT * FROM "Orders"',
        "WITH x AS (SELECT * FROM Orders) SELECT * FROM x",
        "SELECT email FROM USERS",
    ):
        with pytest.raises(ThermoError) as err:
            gateway.sql(READER, sql)
        assert err.value.http_status in (400, 403, 404), sql


SERVER_DETAILS = [
    "SELECT version()",
    "SELECT current_user",
    "SELECT user",
    "SELECT session_user",
    "SELECT current_database()",
    "SELECT current_schema",
    "SELECT 'messages'::regclass",
    "SELECT CAST('messages' AS regclass)",
    "SELECT current_setting('search_path')",
    "SELECT sqlite_version()",
    "SELECT inet_server_addr()",
]


@pytest.mark.parametrize("sql", SERVER_DETAILS)
def test_server_details_are_refused(gateway: Gateway, sql: str) -> None:
    admin = Principal(subject="admin", role="admin")
    with pytest.raises(ThermoError) as err:
        gateway.sql(admin, sql)
    assert err.value.http_status in (400, 403), (sql, err.value)


def test_postgres_tables_beside_thermodb_stay_unreadable(pg_url: str) -> None:
    """Another application's table in ``public``: not by name, prefix or CTE scope."""
    import thermodb

    db = thermodb.open(pg_url)
    name = f"app_users_{uuid.uuid4().hex[:8]}"
    try:
        db.ingest([{"id": 1, "text": "hi"}], collection="messages", key="id")
        with db.store.engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE TABLE public.{name} (secret text)")
            conn.exec_driver_sql(f"INSERT INTO public.{name} VALUES ('s3cr3t')")
        gateway = Gateway(db, SecurityConfig(audit_reads=False))
        admin = Principal(subject="admin", role="admin")
        for sql in (
            f"SELECT * FROM {name}",
            f"SELECT * FROM public.{name}",
            f"SELECT a.* FROM messages s, (WITH {name} AS (SELECT 1) SELECT 1) q, {name} a",
            f"WITH a AS (SELECT * FROM {name}), {name} AS (SELECT 1) SELECT * FROM a",
            f"WITH {name} AS (SELECT * FROM {name}) SELECT * FROM {name}",
        ):
            with pytest.raises(ThermoError) as err:
                gateway.sql(admin, sql)
            assert err.value.http_status < 500, (sql, err.value)
        assert gateway.sql(admin, "SELECT count(*) FROM messages").rows == [[1]]
        # the store's own backstop: user SQL runs with thermodb's schema alone on the path
        executor = db.planner.executors["operational"]
        from thermodb.query.executor import Part

        with pytest.raises(ThermoError):
            executor.run(Part("operational", f"SELECT * FROM {name}", read_only=True))
    finally:
        with db.store.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS public.{name}")
        db.close()


def test_hints_name_only_visible_collections(gateway: Gateway) -> None:
    only_messages = Principal(subject="m", role="reader", grants={"messages": frozenset({"read"})})
    with pytest.raises(ThermoError) as err:
        gateway.sql(only_messages, "SELECT * FROM nosuch")
    assert "messages" in (err.value.hint or "")
    assert "orders" not in (err.value.hint or "") and "users" not in (err.value.hint or "")
