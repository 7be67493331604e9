"""Conversations, persisted in the operational store so a follow-up works in a new process.

One row per answered turn: the question and the QuerySpec that answered it. A follow-up
reads the latest turn of its conversation and changes that spec.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from thermodb.catalog.tables import conversations_table
from thermodb.query.spec import QuerySpec
from thermodb.storage.operational import OperationalStore

__all__ = ["ConversationStore"]


class ConversationStore:
    """Turns of named conversations in the ``thermo_conversations`` table."""

    def __init__(self, store: OperationalStore) -> None:
        self.store = store
        self._unwritten: dict[str, QuerySpec] = {}
        """Turns answered but not yet written (the store was busy): follow-ups see them."""

    def last(self, conversation: str) -> tuple[int, QuerySpec] | None:
        """The latest turn number and its spec, or None for a new conversation."""
        t = conversations_table
        with self.store.read() as conn:
            row = conn.execute(
                sa.select(t.c.turn, t.c.spec)
                .where(t.c.conversation == conversation)
                .order_by(t.c.turn.desc())
                .limit(1)
            ).first()
        waiting = self._unwritten.get(conversation)
        if waiting is not None:
            return (int(row[0]) if row else 0) + 1, waiting
        if row is None:
            return None
        return int(row[0]), QuerySpec.model_validate_json(row[1])

    def note(self, conversation: str, spec: QuerySpec) -> None:
        """Remember a turn in memory until :meth:`append` has written it."""
        self._unwritten[conversation] = spec

    def append(
        self, conversation: str, question: str, spec: QuerySpec, *, wait: bool = True
    ) -> int:
        """Write a turn (a short write transaction of its own, after the answer).

        ``wait=False`` gives up at once, with StorageError, if another writer holds the
        store, so a question never waits on someone else's ingest (the caller retries
        in the background).
        """
        t = conversations_table
        with self.store.begin(wait=wait) as conn:
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
        if self._unwritten.get(conversation) is spec:
            del self._unwritten[conversation]
        return int(turn) + 1
