"""JWT bearer tokens (PyJWT): HS256 with a shared secret, RS256 with a PEM key or JWKS.

``exp``, ``nbf``, ``aud`` (when configured) and ``iss`` (when configured) are checked; each
failure raises an :class:`AuthError` with its own ``code`` so a client can tell an expired
token (refresh it) from a wrong one (fix the configuration).
"""

from __future__ import annotations

from typing import Any

import jwt
import jwt.types

from thermodb.errors import AuthError, ConfigError
from thermodb.security.config import SecurityConfig
from thermodb.security.principal import Principal, parse_grants

__all__ = ["JWTVerifier"]


class JWTVerifier:
    """Verifies tokens and turns their claims into a :class:`Principal`."""

    def __init__(self, config: SecurityConfig) -> None:
        self.config = config
        self._jwks: jwt.PyJWKClient | None = None
        if config.jwks_url:
            self._jwks = jwt.PyJWKClient(config.jwks_url, cache_keys=True)

    def verify(self, token: str) -> Principal:
        claims = self._decode(token)
        role = claims.get(self.config.role_claim)
        if not isinstance(role, str) or not role:
            raise AuthError(
                f"the token has no {self.config.role_claim!r} claim",
                hint="issue tokens with a role (admin, writer, reader or a custom role)",
                code="invalid",
            )
        try:
            grants = parse_grants(claims.get(self.config.grants_claim))
        except ConfigError as exc:
            raise AuthError(
                f"the token's grants are invalid: {exc.message}", code="invalid"
            ) from None
        subject = str(claims.get("sub") or "jwt")
        return Principal(
            subject=f"jwt:{subject}", role=role, grants=grants, claims=claims, via="jwt"
        )

    def _decode(self, token: str) -> dict[str, Any]:
        cfg = self.config
        options: jwt.types.Options = {"require": ["exp"]}
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise AuthError(
                "the bearer token is malformed",
                hint="send a JWT or an API key",
                code="malformed",
            ) from None
        alg = header.get("alg")
        key: Any
        if alg == "HS256" and cfg.jwt_key():
            key = cfg.jwt_key()
        elif alg == "RS256" and cfg.jwt_public_key:
            key = cfg.jwt_public_key
        elif alg == "RS256" and self._jwks is not None:
            try:
                key = self._jwks.get_signing_key_from_jwt(token).key
            except jwt.PyJWKClientError as exc:
                raise AuthError(f"no JWKS key for this token: {exc}", code="invalid") from None
        else:
            raise AuthError(
                f"tokens signed with {alg!r} are not accepted here",
                hint="this server accepts HS256 or RS256 tokens as configured",
                code="invalid",
            )
        try:
            return dict(
                jwt.decode(
                    token,
                    key,
                    algorithms=[alg],
                    audience=cfg.audience,
                    issuer=cfg.issuer,
                    leeway=cfg.leeway_s,
                    options=options,
                )
            )
        except jwt.ExpiredSignatureError:
            raise AuthError(
                "the token has expired", hint="get a fresh token", code="expired"
            ) from None
        except jwt.ImmatureSignatureError:
            raise AuthError("the token is not valid yet (nbf)", code="not_yet_valid") from None
        except jwt.InvalidAudienceError:
            raise AuthError(
                "the token is for another audience",
                hint=f"request a token with aud={cfg.audience!r}",
                code="audience",
            ) from None
        except jwt.InvalidIssuerError:
            raise AuthError("the token is from an untrusted issuer", code="issuer") from None
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"the token lacks the {exc.claim!r} claim", code="invalid") from None
        except jwt.InvalidSignatureError:
            raise AuthError("the token's signature is not valid", code="invalid") from None
        except jwt.DecodeError:
            raise AuthError("the bearer token is malformed", code="malformed") from None
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"the token is not valid: {exc}", code="invalid") from None
