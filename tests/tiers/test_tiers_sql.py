"""Read-only SQL sees cold rows: the same answers before and after a move, and still safe."""

from __future__ import annotations

import pytest
from tierdata import LATER, events

from thermodb.database import Database
from thermodb.errors import QueryError, UnsafeSQLError

STATEMENTS = [
    "SELECT count(*) AS n FROM logs",
    "SELECT id, level, ms FROM logs WHERE level = 'error' AND ms > 3 ORDER BY id",
    "SELECT level, count(*) AS n, sum(ms) AS total, max(ts) AS last FROM logs"
    " GROUP BY level ORDER BY level",
    "SELECT ctx.host, count(*) AS n FROM logs GROUP BY ctx.host ORDER BY ctx.host",
    "SELECT l.id, h.tier FROM logs AS l JOIN hosts AS h ON h.name = l.host"
    " WHERE h.tier = 'gold' ORDER BY l.id DESC LIMIT 7",
    "SELECT h.tier, count(*) AS n FROM logs AS l JOIN hosts AS h ON h.name = l.host"
    " GROUP BY h.tier ORDER BY h.tier",
    "SELECT id, ts, ctx FROM logs ORDER BY ms DESC, id LIMIT 5",
    "SELECT * FROM logs WHERE id IN (3, 50, 119) ORDER BY id",
    "WITH e AS (SELECT id FROM logs WHERE level = 'error') SELECT count(*) AS n FROM e",
    # unaliased: the store's column names; grouped without ORDER BY: the store's order
    "SELECT count(*), max(ms), level FROM logs GROUP BY level",
    "SELECT ctx.host, count(*) FROM logs WHERE ms > 1 GROUP BY ctx.host",
    "SELECT count(*) FROM logs",
]
UNORDERED = {STATEMENTS[-3], STATEMENTS[-2]}
"""Grouped without ORDER BY: in key order where the store sorts groups (SQLite), else any."""


def _load(db: Database) -> None:
    db.ingest([{**r, "host": r["ctx"]["host"]} for r in events(120)], collection="logs")
    db.ingest(
        [{"name": f"h{i}", "tier": "gold" if i else "basic"} for i in range(3)],
        collection="hosts",
        key="name",
    )


def test_sql_answers_are_the_same_before_and_after_moves(tiered_db: Database) -> None:
    db = tiered_db
    _load(db)
    before = [db.sql(text) for text in STATEMENTS]
    assert before[0].rows == [[120]]
    assert all("tiers" not in r.explain for r in before)  # warm only: the store ran it
    db.migrate(LATER)
    assert db.thermal.segments.segments("logs"), "nothing went cold"
    after = [db.sql(text) for text in STATEMENTS]
    sorted_groups = db.store.backend.capabilities.groups_sorted
    for text, a, b in zip(STATEMENTS, after, before, strict=True):
        if text in UNORDERED and not sorted_groups:
            assert (a.columns, sorted(a.rows, key=str)) == (b.columns, sorted(b.rows, key=str))
            continue
        assert (a.columns, a.rows) == (b.columns, b.rows), text
    assert after[0].explain["tiers"] == ["warm", "cold"]
    assert after[0].explain["segments_read"]["logs"] >= 1
    # a deleted cold record disappears from SQL too (tombstones are honoured)
    db.delete("logs", 50)
    assert db.sql("SELECT count(*) AS n FROM logs").rows == [[119]]
    assert db.sql("SELECT id FROM logs WHERE id = 50").rows == []


def test_row_cap_and_timeout_hold_over_cold_rows(tdb: Database) -> None:
    _load(tdb)
    tdb.migrate(LATER)
    assert tdb.thermal.segments.segments("logs")
    capped = tdb.sql("SELECT id FROM logs ORDER BY id", max_rows=10)
    assert capped.rows == [[i] for i in range(10)]
    assert capped.truncated
    assert capped.explain["row_cap"] == 10
    with pytest.raises(QueryError, match="longer than"):
        tdb.sql(
            "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) "
            "SELECT count(*) FROM r, logs",
            timeout=0.2,
        )


REFUSED = [
    "SELECT * FROM read_parquet('/etc/passwd')",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_csv_auto('/etc/passwd')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT read_blob('/etc/passwd') FROM logs",
    "SELECT count(*) FROM logs, parquet_scan('/tmp/x.parquet')",
    "COPY logs TO '/tmp/out.csv'",
    "SELECT 1; COPY (SELECT 1) TO '/tmp/out.csv'",
    "SELECT * FROM thermo_collections",
    "SELECT getenv('HOME') FROM logs",
    "SELECT * FROM duckdb_settings()",
    "ATTACH '/tmp/x.db' AS x",
    "INSTALL httpfs",
]


@pytest.mark.parametrize("text", REFUSED)
def test_refused_sql_is_still_refused_over_cold_data(tdb: Database, text: str) -> None:
    _load(tdb)
    tdb.migrate(LATER)
    assert tdb.thermal.segments.segments("logs")
    with pytest.raises(UnsafeSQLError):
        tdb.sql(text)


def test_duckdb_cannot_read_files_even_past_the_check(tdb: Database) -> None:
    import duckdb

    from thermodb.tiers.executor import open_tier_views

    _load(tdb)
    tdb.migrate(LATER)
    segment = tdb.thermal.segments.segments("logs")[0]
    path = tdb.thermal.cold.duckdb_path(segment.location)
    assert path is not None
    conn = open_tier_views(tdb.thermal, tdb.catalog, ["logs"])
    try:
        assert conn.execute("SELECT count(*) FROM logs").fetchone() == (120,)
        with pytest.raises(duckdb.Error):
            conn.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()
        with pytest.raises(duckdb.Error):
            conn.execute("SELECT * FROM glob('/*')").fetchall()
        with pytest.raises(duckdb.Error):
            conn.execute("SET enable_external_access = true")
    finally:
        conn.close()


def test_describe_counts_cold_rows(tdb: Database) -> None:
    _load(tdb)
    tdb.migrate(LATER)
    assert tdb.thermal.segments.segments("logs")
    assert tdb.describe("logs")["rows"] == 120
