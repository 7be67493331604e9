"""Read-only SQL: what is refused (and that nothing was changed), what runs, and the limits."""

from __future__ import annotations

import pytest

from thermodb.database import Database
from thermodb.errors import NotFoundError, QueryError, UnsafeSQLError
from thermodb.query import sql as sql_module
from thermodb.query.executor import Part, SQLiteGuard

REFUSED = [
    "DELETE FROM users",
    "UPDATE users SET plan = 'pro'",
    "INSERT INTO users (id) VALUES (99)",
    "DROP TABLE users",
    "CREATE TABLE x (a int)",
    "ALTER TABLE users ADD COLUMN x int",
    "TRUNCATE users",
    "SELECT 1; DROP TABLE users",
    "SELECT * FROM users; SELECT * FROM users",
    "WITH x AS (DELETE FROM users RETURNING *) SELECT * FROM x",
    "WITH x AS (UPDATE users SET plan = 'x' RETURNING id) SELECT count(*) FROM x",
    "WITH x AS (INSERT INTO users (id) VALUES (5) RETURNING id) SELECT * FROM x",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT pg_ls_dir('.')",
    "SELECT lo_export(1, '/tmp/x')",
    "SELECT lo_import('/etc/passwd')",
    "SELECT dblink('host=x', 'select 1')",
    "SELECT load_extension('/tmp/evil')",
    "SELECT readfile('/etc/passwd')",
    "SELECT writefile('/tmp/x', 'data')",
    "SELECT set_config('default_transaction_read_only', 'off', false)",
    "SELECT nextval('users__rid_seq')",
    "SELECT query_to_xml('delete from users', true, true, '')",
    "SELECT pg_sleep(10)",
    "COPY users TO '/tmp/users.csv'",
    "COPY (SELECT * FROM users) TO PROGRAM 'id'",
    "PRAGMA writable_schema = 1",
    "PRAGMA table_info(users)",
    "ATTACH DATABASE '/tmp/other.db' AS other",
    "DETACH DATABASE other",
    "VACUUM",
    "SET default_transaction_read_only = off",
    "BEGIN",
    "EXPLAIN SELECT * FROM users",
    "SELECT * INTO copy_of_users FROM users",
    "SELECT id FROM users FOR UPDATE",
    "SELECT * FROM thermo_collections",
    "SELECT doc FROM thermo_collections",
    "SELECT * FROM sqlite_master",
    "SELECT * FROM sqlite_schema",
    "SELECT * FROM main.users",
    "SELECT * FROM pg_catalog.pg_tables",
    "SELECT * FROM pg_class",
    "SELECT * FROM information_schema.tables",
    "SELECT * FROM users WHERE id IN (SELECT 1 FROM thermo_settings)",
    "GRANT ALL ON users TO public",
    "SELECT * FROM pragma_table_info('users')",
    "SELECT name FROM pragma_table_list",
    "SELECT * FROM users JOIN sqlite_master ON 1 = 1",
    "SELECT (SELECT count(*) FROM thermo_settings)",
    "SELECT id FROM users UNION ALL SELECT 1 FROM thermo_collections",
    "SELECT 1 INTO TEMP t",
    "VALUES (1)",
]


@pytest.fixture
def data(db: Database) -> Database:
    db.ingest(
        [
            {"id": i, "plan": ["free", "pro"][i % 2], "settings": {"theme": "dark", "n": i}}
            for i in range(20)
        ],
        collection="users",
    )
    db.ingest(
        [{"mid": i, "user_id": i % 5, "text": f"m{i}%"} for i in range(30)], collection="messages"
    )
    return db


@pytest.mark.parametrize("text", REFUSED)
def test_refused(data: Database, text: str) -> None:
    with pytest.raises((UnsafeSQLError, NotFoundError)) as err:
        data.sql(text)
    assert err.value.message  # a message that says why, never a traceback
    assert data.count("users") == 20
    assert data.collection("users").fields["plan"].column == "plan"


def test_refusals_name_the_reason(data: Database) -> None:
    cases = {
        "SELECT 1; DROP TABLE users": "one statement",
        "WITH x AS (DELETE FROM users RETURNING *) SELECT * FROM x": "DELETE",
        "SELECT pg_read_file('/etc/passwd')": "pg_read_file",
        "SELECT * FROM thermo_collections": "catalog",
        "PRAGMA table_info(users)": "PRAGMA",
        "SELECT * INTO t FROM users": "INTO",
    }
    for text, reason in cases.items():
        with pytest.raises(UnsafeSQLError, match=reason):
            data.sql(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT count(*) AS n FROM users", [[20]]),
        (
            "select plan, count(*) from users group by plan order by plan",
            [["free", 10], ["pro", 10]],
        ),
        ("SELECT id FROM users WHERE settings.n >= 18 ORDER BY id", [[18], [19]]),
        ("SELECT u.settings.theme AS t FROM users u WHERE u.id = 3", [["dark"]]),
        (
            "SELECT u.plan, count(*) FROM messages m JOIN users u ON u.id = m.user_id "
            "GROUP BY u.plan ORDER BY 1",
            [["free", 18], ["pro", 12]],
        ),
        (
            "WITH busy AS (SELECT user_id FROM messages GROUP BY user_id HAVING count(*) > 5) "
            "SELECT count(*) FROM busy",
            [[5]],
        ),
        ("SELECT id FROM users WHERE id < 2 UNION SELECT mid FROM messages WHERE mid = 7", None),
        ("SELECT count(*) FROM messages WHERE text LIKE 'm1%'", [[11]]),
        ("SELECT 5 % 3, 'a:b'", [[2, "a:b"]]),
        ("SELECT count(*) FROM Users -- ; DROP TABLE users", [[20]]),
        ("SELECT id FROM users WHERE id IN (SELECT user_id FROM messages) AND id > 3", [[4]]),
    ],
)
def test_accepted(data: Database, text: str, expected: list[list[object]] | None) -> None:
    result = data.sql(text)
    if expected is None:
        assert sorted(r[0] for r in result.rows) == [0, 1, 7]
    else:
        assert result.rows == expected
    assert result.explain["stores"][0]["sql"]


def test_select_star_lists_fields_as_json(data: Database) -> None:
    result = data.sql("SELECT * FROM users WHERE id = 1")
    assert result.columns == ["id", "plan", "settings"]
    assert result.rows == [[1, "pro", {"theme": "dark", "n": 1}]]


def test_row_cap_cannot_be_exceeded(data: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    result = data.sql("SELECT * FROM messages", max_rows=5)
    assert len(result.rows) == 5 and result.truncated
    monkeypatch.setattr(sql_module, "ROW_CAP", 10)
    result = data.sql("SELECT * FROM messages", max_rows=1_000_000)
    assert len(result.rows) == 10 and result.truncated
    assert result.explain["row_cap"] == 10
    assert not data.sql("SELECT * FROM users WHERE id < 3").truncated


def test_statement_timeout(data: Database) -> None:
    slow = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) "
        "SELECT count(*) FROM c"
    )
    with pytest.raises(QueryError, match="longer than"):
        data.sql(slow, timeout=0.3)
    assert data.sql("SELECT count(*) FROM users").rows == [[20]]  # the connection still works


def test_store_backstops_refuse_writes_that_skip_the_check(data: Database) -> None:
    """Even a statement that never went through the checker cannot write or read the catalog."""
    executor = data.planner.executors["operational"]
    with pytest.raises(UnsafeSQLError, match="read"):
        executor.run(Part("operational", "DELETE FROM users", read_only=True))
    assert data.count("users") == 20
    if data.store.dialect == "sqlite":
        guard = SQLiteGuard(frozenset({"users"}))
        with pytest.raises(UnsafeSQLError):
            executor.run(
                Part("operational", "SELECT * FROM thermo_collections", read_only=True, guard=guard)
            )
    # the connection goes back to the pool writable
    data.ingest([{"id": 100, "plan": "pro"}], collection="users")
    assert data.count("users") == 21


def test_unknown_collection_and_bad_sql(data: Database) -> None:
    with pytest.raises(NotFoundError, match="nosuch"):
        data.sql("SELECT * FROM nosuch")
    with pytest.raises(QueryError):
        data.sql("SELECT FROM WHERE")
    with pytest.raises(QueryError):
        data.sql("   ")
    with pytest.raises(QueryError):
        data.sql("SELECT no_such_column FROM users")


# -- work the timeout cannot bound (finding 6) ---------------------------------------------
HEAVY = [
    "SELECT printf('%.*c', 900000000, 'x') FROM users",
    "SELECT printf('%900000000c', 'x') FROM users",
    "SELECT format('%*s', 900000000, 'x') FROM users",
    "SELECT repeat('x', 500000000) FROM users",
    "SELECT repeat(plan, 1000) FROM users",
    "SELECT lpad('x', 900000000) FROM users",
    "SELECT rpad(plan, 100000 * 10000, 'y') FROM users",
    "SELECT replace(replace(plan, 'p', '" + "x" * 50 + "'), 'x', '" + "y" * 50 + "') FROM users",
    "SELECT zeroblob(900000000)",
    "SELECT randomblob(900000000)",
]


@pytest.mark.parametrize("text", HEAVY)
def test_size_arguments_are_bounded(data: Database, text: str) -> None:
    with pytest.raises(UnsafeSQLError):
        data.sql(text)


def test_small_size_arguments_still_run(data: Database) -> None:
    if data.store.dialect == "sqlite":
        assert data.sql("SELECT replace('a-b', '-', '--'), printf('%5s', 'x')").rows == [
            ["a--b", "    x"]
        ]
    if data.store.dialect == "postgresql":  # SQLite has no repeat() or lpad()
        result = data.sql("SELECT repeat('ab', 2), lpad('x', 3, '-'), replace('a-b', '-', '--')")
        assert result.rows == [["abab", "--x", "a--b"]]


def test_deep_nesting_is_refused_quickly(data: Database) -> None:
    import time

    for depth in (40, 100, 5000):
        text = "SELECT " + "(" * depth + "1" + ")" * depth + " FROM users"
        started = time.monotonic()
        with pytest.raises(QueryError, match="nested too deeply"):
            data.sql(text)
        assert time.monotonic() - started < 1.0
    assert data.sql("SELECT " + "(" * 20 + "1" + ")" * 20).rows == [[1]]


def test_many_or_terms_are_checked_in_linear_time(data: Database) -> None:
    import time

    text = "SELECT count(*) FROM users WHERE " + " OR ".join(f"id = {i}" for i in range(1000))
    started = time.monotonic()
    try:
        assert data.sql(text).rows == [[20]]
    except QueryError as exc:  # SQLite's own limit: an expression tree 1000 deep
        assert "too large" in exc.message
    assert time.monotonic() - started < 5.0  # was 49 s: a full print per OR node
    text = "SELECT count(*) FROM users WHERE " + " OR ".join(f"id = {i}" for i in range(500))
    assert data.sql(text).rows == [[20]]
    with pytest.raises(QueryError, match=r"characters long|tokens"):
        data.sql("SELECT 1 FROM users WHERE " + " OR ".join("id = 1" for _ in range(5000)))


def test_functions_outside_the_allow_list_are_refused(data: Database) -> None:
    for text in (
        "SELECT sqlite_version()",
        "SELECT version()",
        "SELECT current_user",
        "SELECT user FROM users",
        "SELECT CAST(plan AS regclass) FROM users",
        "SELECT no_such_function(plan) FROM users",
    ):
        with pytest.raises(UnsafeSQLError):
            data.sql(text)
    assert data.sql('SELECT count("plan") FROM users').rows == [[20]]
