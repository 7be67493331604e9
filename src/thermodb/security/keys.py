"""API keys, stored hashed in the operational store (table ``thermo_keys``).

A key reads ``tdb_<id>_<secret>``: the id finds the row, the secret is checked against a
SHA-256 digest with a constant-time compare. The secret is 32 random bytes, so a slow
password hash (bcrypt, argon2) would add latency on every request and no safety: nobody
can brute-force 256 bits. The plaintext is shown once, when the key is created.

Verified keys are cached for ``cache_s``, but every cache hit first compares a revocation
generation (one tiny read; a raw ``sqlite3`` read on SQLite) that every revocation bumps,
so a key revoked by any process (the CLI, another worker) stops working on its next
request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa

from thermodb.errors import AuthError, ConfigError, NotFoundError
from thermodb.security.principal import BUILTIN_ROLES, Permission, Principal, parse_grants
from thermodb.storage.operational import OperationalStore

__all__ = ["ApiKey", "KeyStore", "keys_table"]

PREFIX = "tdb_"
_meta = sa.MetaData()
keys_table = sa.Table(
    "thermo_keys",
    _meta,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("role", sa.String(64), nullable=False),
    sa.Column("grants", sa.Text, nullable=False),
    sa.Column("label", sa.String(200), nullable=False, default=""),
    sa.Column("claims", sa.Text, nullable=False, default="{}"),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("revoked_at", sa.String(40), nullable=True),
)

state_table = sa.Table(
    "thermo_keys_state",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("generation", sa.BigInteger, nullable=False),
)
"""One row: how many revocations there have been (caches compare it on every hit)."""


@dataclass(frozen=True)
class ApiKey:
    """A stored key, as `keys list` shows it (never with its secret)."""

    id: str
    role: str
    grants: dict[str, frozenset[Permission]]
    label: str
    claims: dict[str, Any]
    created_at: str
    revoked_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "role": self.role,
            "grants": {k: sorted(v) for k, v in self.grants.items()},
            "label": self.label,
            "claims": self.claims,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
        }


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyStore:
    """Create, list, revoke and verify API keys."""

    def __init__(self, store: OperationalStore, cache_s: float = 5.0) -> None:
        self.store = store
        self.cache_s = cache_s
        self._cache: dict[str, tuple[float, Principal, int]] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._raw_path = store.backend.file_path(store.engine)  # a local file, or None
        with store.begin() as conn:
            _meta.create_all(conn)

    @property
    def cheap_generation(self) -> bool:
        """True when reading the revocation generation is a local file read (no network)."""
        return self._raw_path is not None

    def generation(self) -> int:
        """The revocation generation as stored now."""
        if self._raw_path is not None:
            conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
            if conn is None:
                conn = sqlite3.connect(
                    self._raw_path, isolation_level=None, check_same_thread=False
                )
                conn.execute("PRAGMA busy_timeout = 5000")
                self._local.conn = conn
            row = conn.execute("SELECT generation FROM thermo_keys_state WHERE id = 1").fetchone()
            return int(row[0]) if row else 0
        with self.store.read() as sa_conn:
            value = sa_conn.execute(
                sa.select(state_table.c.generation).where(state_table.c.id == 1)
            ).scalar()
        return int(value or 0)

    def create(
        self,
        role: str,
        grants: str | dict[str, Any] | None = None,
        *,
        label: str = "",
        claims: dict[str, Any] | None = None,
    ) -> tuple[str, ApiKey]:
        """A new key: (the plaintext, shown once; its stored description)."""
        parsed = parse_grants(grants)
        if role not in BUILTIN_ROLES and not parsed:
            raise ConfigError(
                f"the custom role {role!r} has no grants, so its key could do nothing",
                hint="give it --collections, e.g. users:read,messages:write",
            )
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        row = {
            "id": key_id,
            "digest": _digest(secret),
            "role": role,
            "grants": orjson.dumps({k: sorted(v) for k, v in parsed.items()}).decode(),
            "label": label,
            "claims": orjson.dumps(claims or {}).decode(),
            "created_at": now,
            "revoked_at": None,
        }
        with self.store.begin() as conn:
            conn.execute(keys_table.insert().values(**row))
        return f"{PREFIX}{key_id}_{secret}", _from_row(row)

    def all(self) -> list[ApiKey]:
        with self.store.read() as conn:
            rows = conn.execute(keys_table.select().order_by(keys_table.c.created_at)).mappings()
            return [_from_row(r) for r in rows]

    def revoke(self, key_id: str) -> ApiKey:
        key_id = key_id.removeprefix(PREFIX).split("_", 1)[0]
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self.store.begin() as conn:
            updated = conn.execute(
                keys_table.update()
                .where(keys_table.c.id == key_id, keys_table.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            row = conn.execute(keys_table.select().where(keys_table.c.id == key_id)).mappings()
            found = row.first()
            if updated.rowcount:
                bumped = conn.execute(
                    state_table.update()
                    .where(state_table.c.id == 1)
                    .values(generation=state_table.c.generation + 1)
                )
                if not bumped.rowcount:
                    conn.execute(state_table.insert().values(id=1, generation=1))
        with self._lock:
            self._cache = {k: v for k, v in self._cache.items() if v[1].key_id != key_id}
        if found is None:
            raise NotFoundError(f"no API key with id {key_id!r}", hint="see `thermodb keys list`")
        if not updated.rowcount:
            raise NotFoundError(f"API key {key_id!r} was already revoked")
        return _from_row(found)

    def cached(self, token: str) -> Principal | None:
        """The principal of a key verified less than ``cache_s`` ago and not revoked since
        (one read of the revocation generation), else None."""
        with self._lock:
            hit = self._cache.get(token)
        if hit and time.monotonic() - hit[0] < self.cache_s and hit[2] == self.generation():
            return hit[1]
        return None

    def verify(self, token: str) -> Principal:
        """The principal of a presented key, or AuthError saying what is wrong with it."""
        now = time.monotonic()
        cached = self.cached(token)
        if cached is not None:
            return cached
        generation = self.generation()  # before the lookup: a revocation in between wins
        body = token.removeprefix(PREFIX)
        key_id, sep, secret = body.partition("_")
        if not token.startswith(PREFIX) or not sep or not key_id or not secret:
            raise AuthError(
                "the API key is malformed",
                hint="pass the whole key as printed by `thermodb keys create` (tdb_...)",
                code="malformed",
            )
        with self.store.read() as conn:
            row = conn.execute(keys_table.select().where(keys_table.c.id == key_id)).mappings()
            found = row.first()
        if found is None or not hmac.compare_digest(found["digest"], _digest(secret)):
            raise AuthError(
                "the API key is not valid", hint="check the key or create a new one", code="invalid"
            )
        if found["revoked_at"] is not None:
            raise AuthError(
                "the API key was revoked", hint="ask an admin for a new key", code="revoked"
            )
        key = _from_row(found)
        principal = Principal(
            subject=f"key:{key.id}" + (f" ({key.label})" if key.label else ""),
            role=key.role,
            grants=key.grants,
            claims=key.claims,
            key_id=key.id,
            via="key",
        )
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[token] = (now, principal, generation)
        return principal


def _from_row(row: Any) -> ApiKey:
    return ApiKey(
        id=row["id"],
        role=row["role"],
        grants=parse_grants(orjson.loads(row["grants"])),
        label=row["label"] or "",
        claims=orjson.loads(row["claims"] or "{}"),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )
