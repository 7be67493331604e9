"""Authentication in the style of PostgREST's suite: each way to be refused, and its code."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from gateway_env import JWT_SECRET, Env, security_config

from thermodb.database import Database
from thermodb.server import create_app


def token(**claims: Any) -> str:
    now = int(time.time())
    body = {
        "sub": "u1",
        "role": "reader",
        "tenant": "acme",
        "aud": "thermodb",
        "iss": "https://issuer.test",
        "exp": now + 300,
    }
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, JWT_SECRET, "HS256")


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def test_anonymous_gets_401_with_www_authenticate(env: Env) -> None:
    r = env.client.get("/v1/collections")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["code"] == "missing"


def test_health_is_open_but_data_is_not(env: Env) -> None:
    assert env.client.get("/healthz").status_code == 200
    assert env.client.get("/v1/collections/users/records/1").status_code == 401


def test_wrong_role_gets_403(env: Env) -> None:
    r = env.client.put(
        "/v1/collections/users/records/9", json={"name": "x"}, headers=env.h("reader")
    )
    assert r.status_code == 403
    assert r.json()["error"] == "PermissionDeniedError"
    r = env.client.delete("/v1/collections/users", headers=env.h("writer"))
    assert r.status_code == 403
    assert (
        env.client.get("/v1/collections/users/records/1", headers=env.h("admin")).status_code == 200
    )


def test_grant_limits_collections(env: Env) -> None:
    r = env.client.get("/v1/collections", headers=env.h("msgreader"))
    assert [c["name"] for c in r.json()] == ["messages"]
    r = env.client.get("/v1/collections/users/records/1", headers=env.h("msgreader"))
    assert r.status_code == 403


def test_expired_token_401_expired(env: Env) -> None:
    r = env.client.get("/v1/collections", headers=bearer(token(exp=int(time.time()) - 10)))
    assert r.status_code == 401
    assert r.json()["code"] == "expired"


def test_not_yet_valid_token(env: Env) -> None:
    r = env.client.get("/v1/collections", headers=bearer(token(nbf=int(time.time()) + 600)))
    assert r.status_code == 401
    assert r.json()["code"] == "not_yet_valid"


def test_malformed_credentials_401_malformed(env: Env) -> None:
    for header in ("Bearer not.a.jwt", "Basic abc", "Bearer", "Bearer tdb_nounderscore"):
        r = env.client.get("/v1/collections", headers={"Authorization": header})
        assert r.status_code == 401, header
        assert r.json()["code"] == "malformed", header


def test_wrong_audience_and_issuer(env: Env) -> None:
    r = env.client.get("/v1/collections", headers=bearer(token(aud="someone-else")))
    assert (r.status_code, r.json()["code"]) == (401, "audience")
    r = env.client.get("/v1/collections", headers=bearer(token(iss="https://evil.test")))
    assert (r.status_code, r.json()["code"]) == (401, "issuer")


def test_wrong_signature_is_invalid(env: Env) -> None:
    forged = jwt.encode({"role": "admin", "aud": "thermodb", "exp": time.time() + 60}, "x" * 40)
    r = env.client.get("/v1/collections", headers=bearer(forged))
    assert r.status_code == 401
    assert r.json()["code"] == "invalid"


def test_unsigned_alg_none_is_refused(env: Env) -> None:
    unsigned = jwt.encode(
        {"role": "admin", "aud": "thermodb", "exp": time.time() + 60}, None, "none"
    )
    r = env.client.get("/v1/collections", headers=bearer(unsigned))
    assert r.status_code == 401


def test_valid_jwt_reads_with_its_claims(env: Env) -> None:
    r = env.client.get("/v1/collections/users/records/1", headers=bearer(token()))
    assert r.status_code == 200
    assert r.json()["email"] == "a***@example.com"
    # tenant acme may not see globex's user 3
    assert (
        env.client.get("/v1/collections/users/records/3", headers=bearer(token())).status_code
        == 404
    )


def test_revoked_key_401_revoked(env: Env) -> None:
    gw = env.app.state.gateway
    plaintext, key = gw.keys.create("reader")
    assert env.client.get("/v1/collections", headers=bearer(plaintext)).status_code == 200
    gw.keys.revoke(key.id)
    r = env.client.get("/v1/collections", headers=bearer(plaintext))
    assert (r.status_code, r.json()["code"]) == (401, "revoked")


def test_wrong_secret_for_existing_key_id(env: Env) -> None:
    good = env.keys["reader"]
    bad = good[: good.rindex("_") + 1] + "wrongsecret"
    r = env.client.get("/v1/collections", headers=bearer(bad))
    assert (r.status_code, r.json()["code"]) == (401, "invalid")


def test_keys_are_stored_hashed(env: Env) -> None:
    gw = env.app.state.gateway
    secret = env.keys["admin"].rsplit("_", 1)[1]
    with gw.db.store.read() as conn:
        stored = conn.execute(sa.text("SELECT digest FROM thermo_keys")).scalars().all()
    assert stored and all(secret not in d for d in stored)


def test_x_api_key_header(env: Env) -> None:
    r = env.client.get("/v1/collections", headers={"X-API-Key": env.keys["admin"]})
    assert r.status_code == 200


def test_auth_failures_are_audited(env: Env) -> None:
    env.client.get("/v1/collections", headers=bearer(token(exp=int(time.time()) - 10)))
    last = env.app.state.gateway.audit.tail(1)[0]
    assert (last.action, last.outcome, last.detail["code"]) == ("auth", "denied", "expired")


def test_rs256_with_public_key(sqlite_db: Database) -> None:
    from fastapi.testclient import TestClient

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    app = create_app(sqlite_db, security_config(jwt_secret=None, jwt_public_key=public_pem))
    sqlite_db.ingest([{"id": 1, "x": 1}], collection="things", key="id")
    claims = {
        "role": "reader",
        "aud": "thermodb",
        "iss": "https://issuer.test",
        "exp": time.time() + 60,
    }
    good = jwt.encode(claims, private, "RS256")
    with TestClient(app) as client:
        assert (
            client.get("/v1/collections/things/records/1", headers=bearer(good)).status_code == 200
        )
        hs = jwt.encode(claims, JWT_SECRET, "HS256")  # HS256 is not configured here
        assert client.get("/v1/collections", headers=bearer(hs)).status_code == 401


def test_no_auth_mode_is_local_admin(sqlite_db: Database) -> None:
    from fastapi.testclient import TestClient

    app = create_app(sqlite_db, security_config(required=False))
    sqlite_db.ingest([{"id": 1, "x": 1}], collection="things", key="id")
    with TestClient(app) as client:
        assert client.get("/v1/collections/things/records/1").status_code == 200
        assert client.get("/v1/collections", headers=bearer("tdb_bad_key")).status_code == 401


def test_rs256_with_jwks_url(sqlite_db: Database) -> None:
    from fastapi.testclient import TestClient
    from gateway_env import LiveServer
    from jwt.algorithms import RSAAlgorithm
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": "k1", "use": "sig", "alg": "RS256"})

    async def keys(_request: object) -> JSONResponse:
        return JSONResponse({"keys": [jwk]})

    issuer = Starlette(routes=[Route("/jwks.json", keys)])
    sqlite_db.ingest([{"id": 1, "x": 1}], collection="things", key="id")
    with LiveServer(issuer) as idp:  # type: ignore[arg-type]
        config = security_config(jwt_secret=None, jwks_url=f"{idp.url}/jwks.json")
        app = create_app(sqlite_db, config)
        claims = {"role": "reader", "aud": "thermodb", "iss": "https://issuer.test",
                  "exp": time.time() + 60}  # fmt: skip
        good = jwt.encode(claims, private, "RS256", headers={"kid": "k1"})
        with TestClient(app) as client:
            r = client.get("/v1/collections/things/records/1", headers=bearer(good))
            assert r.status_code == 200, r.text
            other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            bad = jwt.encode(claims, other, "RS256", headers={"kid": "k1"})
            assert client.get("/v1/collections", headers=bearer(bad)).status_code == 401
