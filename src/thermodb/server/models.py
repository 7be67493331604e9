"""Request and response bodies of the HTTP API, so the OpenAPI document says what is sent."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AskRequest",
    "CollectionCreate",
    "CollectionSummary",
    "QueryResponse",
    "SQLRequest",
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CollectionSummary(BaseModel):
    name: str
    kind: str
    key_field: str | None
    time_field: str | None
    fields: int
    schema_version: int
    rows: int | None = Field(description="None when a row filter hides the total from you")


class CollectionCreate(_Body):
    name: str = Field(min_length=1, max_length=63, pattern=r"^[a-z][a-z0-9_]*$")
    records: list[dict[str, Any]] = Field(
        min_length=1, max_length=10_000, description="First records; the schema is inferred"
    )
    kind: Literal["entity", "event"] | None = None
    key_field: str | None = Field(default=None, max_length=300)
    time_field: str | None = Field(default=None, max_length=300)


class QueryResponse(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = Field(description="True when the server's row cap cut the answer short")
    explain: dict[str, Any] = Field(default_factory=dict)
    insight: Any = None
    reading: str | None = Field(
        default=None, description="How a question was read, in words (ask answers only)"
    )
    spec: Any = None
    confidence: float | None = None
    conversation: str | None = None


class SQLRequest(_Body):
    sql: str = Field(min_length=1, max_length=20_000, description="One read-only SELECT")


class AskRequest(_Body):
    question: str = Field(min_length=1, max_length=2_000)
    conversation: str | None = Field(
        default=None, max_length=64, description="An id from an earlier answer, for follow-ups"
    )


class WriteResult(BaseModel):
    written: int
    created: bool


class Health(BaseModel):
    status: str
    detail: str | None = None


class Domain(BaseModel):
    name: str
    kind: str
    health: str
    tiers: dict[str, int | None]
    """Rows per tier (None where a row filter hides the totals from you)."""
    rows: int | None
    requests_per_min: int
    mcp: str
