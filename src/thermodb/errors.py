"""The one exception tree of thermodb.

Every error a user can cause derives from :class:`ThermoError`; the edges (CLI exit codes,
HTTP status codes, MCP errors) map these classes and never invent their own::

    ThermoError                      exit 1
    ├── ConfigError                  exit 2   bad URL, option or setting
    ├── InputError                   exit 3   a record or file that cannot be ingested
    │   └── SchemaError              exit 3   a record that breaks a collection's schema rules
    ├── NotFoundError                exit 4   no such collection, field or record
    ├── QueryError                   exit 5   a query that cannot be run as written
    │   ├── UnsafeSQLError           exit 5   SQL that is not one read-only SELECT
    │   └── NotUnderstoodError       exit 6   a question the NL engine could not read
    ├── StorageError                 exit 7   the store underneath failed
    └── AccessError                  exit 8   who you are, or what you may do (HTTP, MCP)
        ├── AuthError                exit 8   no, bad, expired or revoked credentials (401)
        ├── PermissionDeniedError    exit 8   valid credentials without the right (403)
        └── RateLimitedError         exit 8   too many requests; retry later (429)

Each message says what went wrong *and* what to do about it.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AccessError",
    "AuthError",
    "ConfigError",
    "InputError",
    "NotFoundError",
    "NotUnderstoodError",
    "PermissionDeniedError",
    "QueryError",
    "RateLimitedError",
    "SchemaError",
    "StorageError",
    "ThermoError",
    "UnsafeSQLError",
]


class ThermoError(Exception):
    """Base of every error a caller of thermodb can see."""

    exit_code: ClassVar[int] = 1
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, *, hint: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form for `--format json`, HTTP problem bodies and MCP errors."""
        out: dict[str, Any] = {"error": type(self).__name__, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        out.update({k: v for k, v in self.details.items() if v is not None})
        return out


class ConfigError(ThermoError):
    exit_code = 2
    http_status = 400


class InputError(ThermoError):
    exit_code = 3
    http_status = 422


class SchemaError(InputError):
    pass


class NotFoundError(ThermoError):
    exit_code = 4
    http_status = 404


class QueryError(ThermoError):
    exit_code = 5
    http_status = 400


class UnsafeSQLError(QueryError):
    pass


class NotUnderstoodError(QueryError):
    exit_code = 6
    http_status = 422


class StorageError(ThermoError):
    exit_code = 7
    http_status = 503


class AccessError(ThermoError):
    """Raised by the security layer only; the core never checks who is asking."""

    exit_code = 8
    http_status = 403


class AuthError(AccessError):
    """No credentials, or credentials that cannot be accepted. ``code`` tells which
    (``missing``, ``malformed``, ``invalid``, ``expired``, ``revoked``, ``audience``...)."""

    http_status = 401


class PermissionDeniedError(AccessError):
    http_status = 403


class RateLimitedError(AccessError):
    """``retry_after`` (seconds) says when the bucket has a token again."""

    http_status = 429
