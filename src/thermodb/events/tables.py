"""The change stream's tables: the outbox, its id head, consumer cursors, schema marks.

Defined here, in their own ``MetaData``, so that they can move as they are into the
catalog's ordered migrations; :func:`create_tables` is idempotent until then.

* ``thermo_events``: one row per change. Ids are given out by ``thermo_event_head`` (one
  row, updated in the writing transaction), so they are monotonic in *commit* order on
  PostgreSQL too: a second writer waits on that row until the first commits, and a reader
  never sees id 12 before id 11 becomes visible.
* ``thermo_event_cursors``: how far each named consumer has read (the last id it handled).
* ``thermo_event_schemas``: the last schema version written to the outbox per collection,
  so a schema change is emitted once, by whichever write first sees it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = [
    "create_tables",
    "cursors_table",
    "events_metadata",
    "events_table",
    "head_table",
    "schemas_table",
]

events_metadata = sa.MetaData()

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

events_table = sa.Table(
    "thermo_events",
    events_metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("collection", sa.String(64), nullable=False),
    # the record's key as JSON (so 12 and "12" stay apart); NULL for keyless changes
    sa.Column("key", sa.Text, nullable=True),
    sa.Column("op", sa.String(16), nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    # the change as JSON; NULL when it was too large and ``ref`` says where to read it
    sa.Column("payload", sa.Text, nullable=True),
    sa.Column("ref", sa.Text, nullable=True),
)

head_table = sa.Table(
    "thermo_event_head",
    events_metadata,
    sa.Column("name", sa.String(16), primary_key=True),
    sa.Column("last_id", _BIG, nullable=False),
)

cursors_table = sa.Table(
    "thermo_event_cursors",
    events_metadata,
    sa.Column("consumer", sa.String(128), primary_key=True),
    sa.Column("position", _BIG, nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
)

schemas_table = sa.Table(
    "thermo_event_schemas",
    events_metadata,
    sa.Column("collection", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    # the collection's creation time: a dropped and recreated collection starts again
    sa.Column("created_at", sa.String(40), nullable=False),
)

HEAD = "events"


def create_tables(conn: Connection) -> None:
    """Create the tables and the head row if missing (in the caller's transaction)."""
    events_metadata.create_all(conn)
    conn.execute(
        sa.text(
            "INSERT INTO thermo_event_head (name, last_id) SELECT :n, 0 WHERE NOT EXISTS "
            "(SELECT 1 FROM thermo_event_head WHERE name = :same)"
        ),
        {"n": HEAD, "same": HEAD},
    )
