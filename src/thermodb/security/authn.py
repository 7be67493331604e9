"""Authentication: from the credentials a request carries to a :class:`Principal`.

Accepted: ``Authorization: Bearer <API key or JWT>`` and ``X-API-Key: <API key>``. No
credentials with auth required raises ``AuthError(code="missing")``; the HTTP edge answers
401 with ``WWW-Authenticate: Bearer``.
"""

from __future__ import annotations

from thermodb.errors import AuthError
from thermodb.security.config import SecurityConfig
from thermodb.security.keys import PREFIX, KeyStore
from thermodb.security.principal import LOCAL_ADMIN, Principal
from thermodb.security.tokens import JWTVerifier

__all__ = ["Authenticator"]


class Authenticator:
    def __init__(self, config: SecurityConfig, keys: KeyStore) -> None:
        self.config = config
        self.keys = keys
        self.jwt = JWTVerifier(config) if config.jwt_enabled else None

    def cached(self, authorization: str | None, api_key: str | None = None) -> Principal | None:
        """The caller if it is an API key verified moments ago and the revocation check is a
        local read (fit for the event loop), else None."""
        if not self.keys.cheap_generation:
            return None
        token = api_key.strip() if api_key else None
        if token is None and authorization and authorization[:7].lower() == "bearer ":
            token = authorization[7:].strip()
        if token and token.startswith(PREFIX):
            return self.keys.cached(token)
        return None

    def authenticate(self, authorization: str | None, api_key: str | None = None) -> Principal:
        token = api_key.strip() if api_key else None
        if token is None and authorization:
            scheme, _, value = authorization.strip().partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise AuthError(
                    "the Authorization header is malformed",
                    hint="send 'Authorization: Bearer <key or token>'",
                    code="malformed",
                )
            token = value.strip()
        if not token:
            if not self.config.required:
                return LOCAL_ADMIN
            raise AuthError(
                "this request needs credentials",
                hint="send 'Authorization: Bearer <key>' (create one with `thermodb keys create`)",
                code="missing",
            )
        if token.startswith(PREFIX):
            return self.keys.verify(token)
        if self.jwt is not None and token.count(".") == 2:
            return self.jwt.verify(token)
        raise AuthError(
            "the credentials are malformed",
            hint="send an API key (tdb_...) or a JWT this server is configured to accept",
            code="malformed",
        )
