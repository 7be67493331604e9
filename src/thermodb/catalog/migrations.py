"""Ordered upgrades of the catalog's own tables: a data directory of any earlier release opens.

``thermo_settings.catalog_format`` says which format a database was last written in. On
open, every migration above it runs, in order, inside the catalog's start-up transaction,
and the format is advanced with them, so an upgrade happens entirely or not at all. A
database of a newer format than this release knows is refused rather than misread.

Each step is idempotent (it checks before it changes), because a fresh database gets its
tables in their latest shape and is stamped with the latest format at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thermodb.errors import ConfigError

__all__ = ["CATALOG_FORMAT", "MIGRATIONS", "Migration", "upgrade"]


@dataclass(frozen=True)
class Migration:
    version: int
    """The catalog format this step brings a database to."""
    note: str
    apply: Callable[[Connection], None]


def _add_column(table: str, column: str, sql_type: str) -> Callable[[Connection], None]:
    def apply(conn: Connection) -> None:
        inspector = sa.inspect(conn)
        if not inspector.has_table(table):
            return  # created later in its latest shape
        if column in {c["name"] for c in inspector.get_columns(table)}:
            return
        quote = conn.dialect.identifier_preparer.quote
        conn.exec_driver_sql(f"ALTER TABLE {quote(table)} ADD COLUMN {quote(column)} {sql_type}")

    return apply


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        2,
        "thermo_moves.sources: the segments a compaction merges",
        _add_column("thermo_moves", "sources", "TEXT"),
    ),
    Migration(
        3,
        "thermo_nl_examples.namespace: few-shot examples kept per caller's authority",
        _add_column("thermo_nl_examples", "namespace", "VARCHAR(64) NOT NULL DEFAULT ''"),
    ),
)
CATALOG_FORMAT = MIGRATIONS[-1].version
"""The format this release writes."""


def upgrade(conn: Connection, current: int) -> list[Migration]:
    """Run the migrations above ``current`` (in the caller's transaction); those run."""
    if current > CATALOG_FORMAT:
        raise ConfigError(
            f"this database was written by a newer thermodb (catalog format {current}; "
            f"this release reads up to {CATALOG_FORMAT})",
            hint="upgrade thermodb to open it",
        )
    done = [m for m in MIGRATIONS if m.version > current]
    for migration in done:
        migration.apply(conn)
    return done
