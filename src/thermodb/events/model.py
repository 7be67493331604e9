"""`Event`: one change of the change stream, as consumers and brokers see it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson

__all__ = ["OPERATIONS", "Event", "Operation"]

Operation = Literal["insert", "upsert", "delete", "expire", "schema", "drop", "move"]
OPERATIONS: tuple[str, ...] = ("insert", "upsert", "delete", "expire", "schema", "drop", "move")


@dataclass(frozen=True, slots=True)
class Event:
    """One row of the outbox. ``payload`` stays JSON text until someone needs the value,
    so forwarders pass it on without decoding it."""

    id: int
    at: str
    collection: str
    key_json: str | None
    op: str
    schema_version: int
    payload_json: str | None
    ref: str | None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Event:
        return cls(int(row[0]), row[1], row[2], row[3], row[4], int(row[5]), row[6], row[7])

    @property
    def key(self) -> Any:
        return None if self.key_json is None else orjson.loads(self.key_json)

    @property
    def payload(self) -> Any:
        return None if self.payload_json is None else orjson.loads(self.payload_json)

    def to_json(self) -> bytes:
        """The event as one JSON object (what the CLI prints, SSE sends and brokers get)."""
        return orjson.dumps(
            {
                "id": self.id,
                "at": self.at,
                "collection": self.collection,
                "op": self.op,
                "key": orjson.Fragment(self.key_json) if self.key_json is not None else None,
                "schema_version": self.schema_version,
                "payload": (
                    orjson.Fragment(self.payload_json) if self.payload_json is not None else None
                ),
                "ref": self.ref,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = orjson.loads(self.to_json())
        return out
