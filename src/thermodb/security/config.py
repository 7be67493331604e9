"""Security settings: JWT verification, row filters, masks, rate limits and audit signing.

Read from the ``[auth]`` and ``[security]`` sections of ``thermodb.toml`` (one namespace:
``[auth] jwt_secret_env = ...`` and ``[security] jwt_secret_env = ...`` mean the same) (see
:mod:`thermodb.config`) or built directly in Python and tests. Secrets may be given by the
name of an environment variable (``*_env``) so they stay out of files.

Example::

    [security.row_filters]
    orders = [{ field = "tenant_id", claim = "tenant" }]

    [security.masks.users]
    email = { style = "email", unmasked_roles = ["admin"] }
"""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["MaskRule", "RateLimit", "RowFilter", "SecurityConfig"]

MaskStyle = Literal["email", "redact", "last4", "hash"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RowFilter(_Section):
    """``field = claims[claim]`` ANDed into every query of the collection by whom it binds."""

    field: str
    claim: str
    exempt_roles: list[str] = Field(default_factory=lambda: ["admin"])


class MaskRule(_Section):
    style: MaskStyle = "redact"
    unmasked_roles: list[str] = Field(default_factory=lambda: ["admin"])


class RateLimit(_Section):
    """A token bucket: ``burst`` tokens, refilled at ``per_second``."""

    per_second: float = Field(gt=0)
    burst: int = Field(gt=0)


def _default_limits() -> dict[str, RateLimit]:
    return {
        "read": RateLimit(per_second=200, burst=400),
        "query": RateLimit(per_second=50, burst=100),
        "write": RateLimit(per_second=50, burst=100),
        "admin": RateLimit(per_second=5, burst=20),
    }


class SecurityConfig(_Section):
    """Everything the gateway enforces besides the grants stored with each key."""

    # -- authentication ------------------------------------------------------------------
    required: bool = True
    """False: requests without credentials act as a local admin (loopback binds only)."""
    jwt_secret: str | None = None
    jwt_secret_env: str | None = None
    jwt_public_key: str | None = None
    """A PEM public key for RS256 tokens."""
    jwks_url: str | None = None
    audience: str | None = None
    issuer: str | None = None
    role_claim: str = "role"
    grants_claim: str = "collections"
    """A claim listing grants as ``users,messages:write`` or a list or a mapping."""
    leeway_s: float = 0.0
    key_cache_s: float = 60.0
    """How long a verified API key is trusted before it is looked up again. Revocations
    take effect at once regardless: every cache hit checks the revocation generation."""

    # -- authorisation -------------------------------------------------------------------
    row_filters: dict[str, list[RowFilter]] = Field(default_factory=dict)
    masks: dict[str, dict[str, MaskRule]] = Field(default_factory=dict)
    max_rows: int = Field(default=1000, gt=0)
    """Rows returned by one query or MCP tool call at most (flagged ``truncated``)."""
    query_timeout_s: float = Field(default=10.0, gt=0)
    """SQL statements run at most this long, checking included (the engine cancels them);
    MCP calls 30 s."""
    max_concurrent_queries: int = Field(default=8, gt=0)
    """Queries, SQL and questions running at once per server process; more wait up to
    ``query_queue_s`` and then get 429, so heavy work never takes every worker thread
    from key reads, health checks and writes."""
    query_queue_s: float = Field(default=5.0, ge=0)

    # -- rate limits ---------------------------------------------------------------------
    rate_limits: dict[str, RateLimit] = Field(default_factory=_default_limits)
    auth_failure_limit: RateLimit = Field(default_factory=lambda: RateLimit(per_second=1, burst=20))
    """Failed authentications per client address: beyond it the address gets 429 without
    its credentials being looked up, and one audit entry per throttled burst."""
    redis_url: str | None = None
    """Share buckets between workers through Redis; None keeps them per process."""
    rate_limit_fail: Literal["open", "closed"] = "open"
    """What to do when Redis is unreachable: ``open`` serves the request (counted in the
    ``thermodb_rate_limit_backend_errors_total`` metric), ``closed`` answers 503."""

    # -- request limits ------------------------------------------------------------------
    max_body_bytes: int = Field(default=16 * 1024 * 1024, gt=0)

    # -- audit ---------------------------------------------------------------------------
    audit_reads: bool = True
    checkpoint_every: int = Field(default=1000, gt=0)
    audit_hmac_key: str | None = None
    audit_hmac_key_env: str | None = None
    audit_ed25519_key: str | None = None
    """A PEM Ed25519 private key; checkpoints signed with it verify with its public key."""

    def jwt_key(self) -> str | None:
        if self.jwt_secret:
            return self.jwt_secret
        if self.jwt_secret_env:
            return os.environ.get(self.jwt_secret_env)
        return None

    def hmac_key(self) -> bytes | None:
        key = self.audit_hmac_key or (
            os.environ.get(self.audit_hmac_key_env) if self.audit_hmac_key_env else None
        )
        return key.encode() if key else None

    @property
    def jwt_enabled(self) -> bool:
        return bool(self.jwt_key() or self.jwt_public_key or self.jwks_url)

    @classmethod
    def from_settings(cls, settings: Any) -> SecurityConfig:
        """From a :class:`thermodb.config.Settings` (its ``auth`` and ``security`` sections)."""
        data: dict[str, Any] = {}
        for section in ("auth", "security"):  # [auth] and [security] share one namespace
            extra = getattr(settings, section, None)
            if isinstance(extra, BaseModel):
                data.update(extra.model_dump(exclude_unset=True))
            elif isinstance(extra, dict):
                data.update(extra)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            from thermodb.errors import ConfigError

            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(
                f"invalid [auth]/[security] settings: {problems}",
                hint="see docs/security.md for the settings and their types",
            ) from None
