"""The intelligence layer's own tables, beside the catalog in the operational store.

* ``thermo_query_fingerprints``: one row per query shape (its normalised text, the fields
  it filters / orders / groups on, one recent sample with real values for what-ifs);
* ``thermo_query_stats``: rolling hourly aggregates per fingerprint and writer process
  (calls, errors, cache hits, a latency histogram, rows, tiers); each process writes only
  its own rows, so writers never conflict and readers merge them;
* ``thermo_advisor_indexes``: every index the advisor made or tried, and its state;
* ``thermo_advisor_decisions``: append-only, every decision with its evidence;
* ``thermo_advisor_state``: small keys (the pass throttle).

Times are UNIX seconds (floats) and hours are whole hours since the epoch, so both
engines store and compare them alike.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = [
    "advisor_decisions",
    "advisor_indexes",
    "advisor_state",
    "create_tables",
    "query_fingerprints",
    "query_stats",
]

metadata = sa.MetaData()

query_fingerprints = sa.Table(
    "thermo_query_fingerprints",
    metadata,
    sa.Column("fingerprint", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("interface", sa.String(16), nullable=False),
    sa.Column("collection", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("fields", sa.Text, nullable=False),
    sa.Column("sample", sa.Text, nullable=False),
    sa.Column("first_seen", sa.Float, nullable=False),
    sa.Column("last_seen", sa.Float, nullable=False),
)

query_stats = sa.Table(
    "thermo_query_stats",
    metadata,
    sa.Column("fingerprint", sa.String(32), primary_key=True),
    sa.Column("hour", sa.Integer, primary_key=True),
    sa.Column("writer", sa.String(40), primary_key=True),
    sa.Column("calls", sa.Integer, nullable=False),
    sa.Column("errors", sa.Integer, nullable=False),
    sa.Column("cache_hits", sa.Integer, nullable=False),
    sa.Column("hit_ms", sa.Float, nullable=False),
    sa.Column("exec_ms", sa.Float, nullable=False),
    sa.Column("max_ms", sa.Float, nullable=False),
    sa.Column("hist", sa.Text, nullable=False),
    sa.Column("rows_returned", sa.BigInteger, nullable=False),
    sa.Column("rows_scanned", sa.BigInteger, nullable=False),
    sa.Column("tiers", sa.Text, nullable=False),
)
sa.Index("ix_thermo_query_stats_hour", query_stats.c.hour)

advisor_indexes = sa.Table(
    "thermo_advisor_indexes",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("collection", sa.String(64), nullable=False),
    sa.Column("columns", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("origin", sa.String(16), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("decided_at", sa.Float, nullable=True),
    sa.Column("last_used_at", sa.Float, nullable=True),
    sa.Column("fingerprints", sa.Text, nullable=False),
    sa.Column("baseline", sa.Text, nullable=False),
)

advisor_decisions = sa.Table(
    "thermo_advisor_decisions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("index_name", sa.String(64), nullable=False),
    sa.Column("collection", sa.String(64), nullable=False),
    sa.Column("columns", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
)
sa.Index("ix_thermo_advisor_decisions_at", advisor_decisions.c.at)

advisor_state = sa.Table(
    "thermo_advisor_state",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Float, nullable=False),
)


def create_tables(conn: Connection) -> None:
    metadata.create_all(conn, checkfirst=True)
