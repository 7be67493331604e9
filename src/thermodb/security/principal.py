"""Who is asking, and what they may do: principals, roles and per-collection grants.

A :class:`Principal` is the outcome of authentication (an API key or a JWT). It carries a
role and grants; every check in the gateway asks :meth:`Principal.may`. Roles are
bundles of default permissions: ``admin`` may do anything, ``writer`` may read and write,
``reader`` may read; a custom role starts with nothing and lives on its grants alone.
Grants narrow (or, for a custom role, define) the collections a permission applies to:
``{"users": {"read"}, "*": {"read"}}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from thermodb.errors import PermissionDeniedError

__all__ = [
    "ANONYMOUS",
    "BUILTIN_ROLES",
    "Permission",
    "Principal",
    "parse_grants",
]

Permission = Literal["read", "write", "admin"]
PERMISSIONS: tuple[Permission, ...] = ("read", "write", "admin")

BUILTIN_ROLES: dict[str, frozenset[Permission]] = {
    "admin": frozenset({"read", "write", "admin"}),
    "writer": frozenset({"read", "write"}),
    "reader": frozenset({"read"}),
}
"""A role's permissions on the collections its grants name (all, when it names none)."""

_IMPLIED: dict[Permission, frozenset[Permission]] = {
    "admin": frozenset({"read", "write", "admin"}),
    "write": frozenset({"read", "write"}),
    "read": frozenset({"read"}),
}


@dataclass(frozen=True)
class Principal:
    """An authenticated caller.

    ``grants`` maps a collection name (or ``*``) to permissions. With no grants, a built-in
    role applies to every collection; with grants, only to the collections named.
    """

    subject: str
    role: str
    grants: Mapping[str, frozenset[Permission]] = field(default_factory=dict)
    claims: Mapping[str, Any] = field(default_factory=dict)
    key_id: str | None = None
    via: Literal["key", "jwt", "local", "anonymous"] = "key"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin" and not self.grants

    def permissions(self, collection: str) -> frozenset[Permission]:
        """What this principal may do on ``collection``."""
        base = BUILTIN_ROLES.get(self.role, frozenset())
        if not self.grants:
            return base
        granted = self.grants.get(collection, frozenset()) | self.grants.get("*", frozenset())
        expanded: set[Permission] = set()
        for perm in granted:
            expanded |= _IMPLIED[perm]
        if self.role in BUILTIN_ROLES:
            # a built-in role's grants narrow where it applies; they never raise it above it
            return frozenset(expanded & base) if base else frozenset(expanded)
        return frozenset(expanded)

    def may(self, permission: Permission, collection: str) -> bool:
        return permission in self.permissions(collection)

    def require(self, permission: Permission, collection: str) -> None:
        """Raise PermissionDeniedError unless this principal has ``permission`` there."""
        if not self.may(permission, collection):
            raise PermissionDeniedError(
                f"{self.subject} (role {self.role}) may not {permission} {collection!r}",
                hint=f"ask an admin for credentials that grant {permission} on {collection!r}",
                code="forbidden",
            )

    def require_global(self, permission: Permission) -> None:
        """For actions on the database as a whole (create a collection, manage keys):
        the permission must hold for every collection (``*``)."""
        if not self.may(permission, "*"):
            raise PermissionDeniedError(
                f"{self.subject} (role {self.role}) may not {permission} the database",
                hint="this needs a key whose role grants it on every collection",
                code="forbidden",
            )

    def narrowed(self, collection: str, *, read_only: bool = False) -> Principal:
        """This principal limited to one collection (a domain MCP server), and to reads."""
        perms = self.permissions(collection)
        if read_only:
            perms = perms & frozenset({"read"})
        return Principal(
            subject=self.subject,
            role=self.role,
            grants={collection: perms},
            claims=self.claims,
            key_id=self.key_id,
            via=self.via,
        )

    def reads_only(self) -> Principal:
        """This principal with every write and admin permission taken away."""
        read = frozenset({"read"})
        if self.grants:
            grants = {c: self.permissions(c) & read for c in self.grants}
        else:
            grants = {"*": BUILTIN_ROLES.get(self.role, frozenset()) & read}
        return Principal(
            subject=self.subject,
            role=self.role,
            grants=grants,
            claims=self.claims,
            key_id=self.key_id,
            via=self.via,
        )

    def visible(self, names: Iterable[str]) -> list[str]:
        """The collections among ``names`` this principal may read."""
        return [n for n in names if self.may("read", n)]


ANONYMOUS = Principal(subject="anonymous", role="none", via="anonymous")

LOCAL_ADMIN = Principal(subject="local", role="admin", via="local")
"""Used when auth is not configured (loopback only) and by the stdio MCP server without a key."""


def parse_grants(
    spec: str | Iterable[str] | Mapping[str, Any] | None,
) -> dict[str, frozenset[Permission]]:
    """Grants from ``users,messages:write,*:read``, a list of such items, or a mapping.

    An item without ``:perm`` gets ``read``; ``a+b`` lists several permissions.
    """
    if spec is None:
        return {}
    if isinstance(spec, Mapping):
        return {str(k): _perms(v, str(k)) for k, v in spec.items()}
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    out: dict[str, frozenset[Permission]] = {}
    for item in (i.strip() for i in items):
        if not item:
            continue
        name, _, perms = item.partition(":")
        out[name.strip()] = out.get(name.strip(), frozenset()) | _perms(perms or "read", name)
    return out


def _perms(value: Any, name: str) -> frozenset[Permission]:
    raw = value.split("+") if isinstance(value, str) else list(value)
    out: set[Permission] = set()
    for p in (str(x).strip() for x in raw):
        if p not in PERMISSIONS:
            from thermodb.errors import ConfigError

            raise ConfigError(
                f"unknown permission {p!r} for {name!r}",
                hint="use read, write or admin (several joined with '+')",
            )
        out.add(p)
    return frozenset(out)
