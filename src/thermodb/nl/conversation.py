"""Conversations, persisted in the operational store so a follow-up works in a new process.

One row per answered turn: the question and the QuerySpec that answered it. A follow-up
reads the latest turn of its conversation and changes that spec.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from thermodb.query.spec import QuerySpec
from thermodb.storage.operational import OperationalStore

__all__ = ["ConversationStore"]

_meta = sa.MetaData()
conversations_table = sa.Table(
    "thermo_conversations",
    _meta,
    sa.Column("conversation", sa.String(200), primary_key=True),
    sa.Column("turn", sa.Integer, primary_key=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("spec", sa.Text, nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
)


class ConversationStore:
    """Turns of named conversations in the ``thermo_conversations`` table."""

    def __init__(self, store: OperationalStore) -> None:
        self.store = store
        self._ready = False

    def _ensure(self) -> None:
        if not self._ready:
            with self.store.begin() as conn:
                _meta.create_all(conn)
            self._ready = True

    def last(self, conversation: str) -> tuple[int, QuerySpec] | None:
        """The latest turn number and its spec, or None for a new conversation."""
        self._ensure()
        t = conversations_table
        with self.store.read() as conn:
            row = conn.execute(
                sa.select(t.c.turn, t.c.spec)
                .where(t.c.conversation == conversation)
                .order_by(t.c.turn.desc())
                .limit(1)
            ).first()
        if row is None:
            return None
        return int(row[0]), QuerySpec.model_validate_json(row[1])

    def append(self, conversation: str, question: str, spec: QuerySpec) -> int:
        self._ensure()
        t = conversations_table
        with self.store.begin() as conn:
            turn = conn.execute(
                sa.select(sa.func.coalesce(sa.func.max(t.c.turn), 0)).where(
                    t.c.conversation == conversation
                )
            ).scalar_one()
            conn.execute(
                t.insert().values(
                    conversation=conversation,
                    turn=int(turn) + 1,
                    question=question,
                    spec=spec.model_dump_json(by_alias=True, exclude_defaults=True),
                    at=datetime.now(UTC).isoformat(),
                )
            )
        return int(turn) + 1
