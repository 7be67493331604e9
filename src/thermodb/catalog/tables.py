"""The catalog's own tables beside the collections: conversations and NL examples.

Defined here, on the catalog's metadata, so the catalog creates (and its migrations
upgrade) them when a database opens — never a reader in the middle of a question, which
would take the write lock to do it.
"""

from __future__ import annotations

import sqlalchemy as sa

from thermodb.catalog.store import catalog_metadata

__all__ = ["conversations_table", "examples_table"]

conversations_table = sa.Table(
    "thermo_conversations",
    catalog_metadata,
    sa.Column("conversation", sa.String(200), primary_key=True),
    sa.Column("turn", sa.Integer, primary_key=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("spec", sa.Text, nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
)
"""One row per answered turn of a named conversation (nl/conversation.py)."""

examples_table = sa.Table(
    "thermo_nl_examples",
    catalog_metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("spec", sa.Text, nullable=False),
    sa.Column("namespace", sa.String(64), nullable=False, server_default=""),
)
"""Questions answered, with their specs (kept per ``namespace``: one per caller's
authority): the LLM provider's few-shot store (nl/examples.py)."""
