"""Settings: one TOML file (``thermodb.toml``) plus ``THERMODB_*`` environment variables.

Lookup order, later wins: built-in defaults → ``thermodb.toml`` in the data directory →
the file named by ``THERMODB_CONFIG`` → environment variables (``THERMODB_COLD``,
``THERMODB_CACHE``...; nested keys with ``__``, e.g. ``THERMODB_SECURITY__JWT_SECRET``).
With nothing configured, everything lives under one data directory.

Example ``thermodb.toml``::

    operational = "postgresql://app@db.internal/thermo"
    cold = "s3://bucket/thermo"
    cache = "redis://127.0.0.1:6379/0"

    [s3]
    endpoint = "http://127.0.0.1:9000"

    [security]
    jwt_secret_env = "MY_JWT_SECRET"   # the secret itself stays out of files
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from thermodb.errors import ConfigError

__all__ = ["Settings", "load_settings"]

CONFIG_FILE = "thermodb.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class S3Settings(_Section):
    endpoint: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None


class LLMSettings(_Section):
    url: str | None = None
    """An OpenAI-compatible chat-completions base URL; unset means offline only."""
    model: str = "gpt-4o-mini"
    api_key: str | None = None
    timeout_s: float = 20.0


class Settings(_Section):
    """Where each part of a database lives, and how it behaves."""

    data_dir: str = "thermodb-data"
    operational: str | None = None
    """sqlite:///PATH or postgresql://...; default: thermo.db in the data directory."""
    cold: str | None = None
    """file://PATH or s3://bucket/prefix; default: the cold/ folder of the data directory."""
    cache: str = "memory"
    """'memory' or redis://..."""
    cache_bytes: int = 64 * 1024 * 1024
    migrate_every: float | None = None
    """Seconds between background migration passes (THERMODB_MIGRATE_EVERY); None: off."""
    segment_rows: int | None = None
    """Default target rows per cold segment for policies that set none
    (THERMODB_SEGMENT_ROWS); None: the policy default."""
    s3: S3Settings = Field(default_factory=S3Settings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    auth: dict[str, Any] = Field(default_factory=dict)
    """Authentication (JWT secret or key, audience, issuer...): validated with ``security``
    by :class:`thermodb.security.config.SecurityConfig` (see docs/security.md)."""
    security: dict[str, Any] = Field(default_factory=dict)
    """Row filters, masks, rate limits, audit signing: validated by
    :class:`thermodb.security.config.SecurityConfig` (see docs/security.md)."""
    outbox: bool = True
    """Write the change stream (THERMODB_OUTBOX=0 turns it off; docs/lifecycle.md)."""
    events: str = "local"
    """Where `thermodb events forward` sends by default: 'local', nats://... or redis://..."""
    insights: dict[str, Any] = Field(default_factory=dict)
    """Query log, index advisor, anomalies: validated by
    :class:`thermodb.intelligence.settings.InsightsSettings` (see docs/insights.md)."""
    query_timeout_s: float = 30.0
    max_rows: int = 100_000

    @property
    def operational_url(self) -> str:
        return self.operational or self.data_dir

    @property
    def cold_url(self) -> str:
        return self.cold or f"file://{Path(self.data_dir, 'cold').resolve()}"

    @property
    def is_embedded(self) -> bool:
        return self.operational is None or self.operational.startswith("sqlite:")


def load_settings(
    target: str | Path | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """Settings for a data directory or database URL (``target``), from files and env."""
    env = dict(os.environ if environ is None else environ)
    merged: dict[str, Any] = {}
    text = str(target) if target is not None else env.get("THERMODB_DATA", "thermodb-data")
    if "://" in text and not text.startswith("file://"):
        merged["operational"] = text
        merged["data_dir"] = env.get("THERMODB_DATA_DIR", "thermodb-data")
    else:
        merged["data_dir"] = text.removeprefix("file://")
    for path in (Path(merged["data_dir"]) / CONFIG_FILE, env.get("THERMODB_CONFIG")):
        if path and Path(path).is_file():
            _deep_merge(merged, _read_toml(Path(path)))
    _deep_merge(merged, _from_env(env))
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(
            f"invalid settings: {problems}", hint=f"check {CONFIG_FILE} and THERMODB_* variables"
        ) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc


def _from_env(env: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    skip = {"THERMODB_DATA", "THERMODB_CONFIG", "THERMODB_DATA_DIR"}
    for name, value in env.items():
        if not name.startswith("THERMODB_") or name in skip or name.startswith("THERMODB_TEST"):
            continue
        if name == "THERMODB_REQUIRE_SERVICES":
            continue
        keys = name.removeprefix("THERMODB_").lower().split("__")
        head, _, rest = keys[0].partition("_")
        if len(keys) == 1 and head in _SECTIONS and rest:
            keys = [head, rest]  # THERMODB_LLM_URL is llm.url
        if keys[0] not in Settings.model_fields:
            continue  # not ours (or a typo we cannot tell apart from another tool's variable)
        node = out
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    return out


_SECTIONS = frozenset({"s3", "llm", "security", "auth", "insights"})


def _deep_merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value
