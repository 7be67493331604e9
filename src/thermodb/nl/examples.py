"""The store of successful answers (question → QuerySpec) the LLM provider retrieves from.

Every question the engine answered is kept once; ``nearest`` returns the most similar earlier
questions (rapidfuzz token-set similarity) as few-shot examples for the model. Examples
live in a ``namespace`` (the gateway passes one per caller's authority), so one caller's
questions and values are never shown to the model on behalf of another.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from thermodb.catalog.tables import examples_table
from thermodb.query.spec import QuerySpec
from thermodb.storage.operational import OperationalStore

__all__ = ["ExampleStore"]


class ExampleStore:
    def __init__(self, store: OperationalStore) -> None:
        self.store = store

    def add(
        self, question: str, spec: QuerySpec, namespace: str = "", *, wait: bool = True
    ) -> None:
        """Keep an answered question in ``namespace`` (``wait=False``: StorageError at once
        if the store is held by another writer, for the caller to retry later)."""
        key = question.strip().lower()
        digest = hashlib.sha256((f"{namespace}\0{key}" if namespace else key).encode()).hexdigest()
        t = examples_table
        with self.store.begin(wait=wait) as conn:
            exists = conn.execute(sa.select(t.c.digest).where(t.c.digest == digest)).first()
            if exists is None:
                conn.execute(
                    t.insert().values(
                        digest=digest,
                        namespace=namespace,
                        question=question,
                        spec=spec.model_dump_json(by_alias=True, exclude_defaults=True),
                    )
                )

    def nearest(self, question: str, k: int = 3, namespace: str = "") -> list[tuple[str, str]]:
        from rapidfuzz import fuzz, process

        t = examples_table
        query = sa.select(t.c.question, t.c.spec).where(t.c.namespace == namespace)
        with self.store.read() as conn:
            rows = [(r[0], r[1]) for r in conn.execute(query).all()]
        if not rows:
            return []
        got = process.extract(question, [r[0] for r in rows], scorer=fuzz.token_set_ratio, limit=k)
        return [rows[i] for _q, _s, i in got]
