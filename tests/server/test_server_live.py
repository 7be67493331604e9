"""The API through a real uvicorn server on loopback, and `thermodb serve` end to end."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from gateway_env import LiveServer, make_env, seed

from thermodb.database import Database


def test_api_over_real_http(sqlite_db: Database) -> None:
    env = make_env(sqlite_db)
    with env.client, LiveServer(env.app) as live, httpx.Client(base_url=live.url) as http:
        assert http.get("/v1/collections").status_code == 401
        h = env.h("writer")
        r = http.put(
            "/v1/collections/users/records/20", json={"name": "liv", "tenant": "acme"}, headers=h
        )
        assert r.status_code == 200, r.text
        got = http.get("/v1/collections/users/records/20", headers=env.h("reader"))
        assert got.json()["name"] == "liv"
        assert got.headers["RateLimit-Limit"] == "1000"
        q = http.post("/v1/query", json={"collection": "users", "aggregates": [{"fn": "count"}]},
                      headers=env.h("reader"))  # fmt: skip
        assert q.json()["rows"] == [[3]]  # acme's 2 users and the new one
        assert "thermodb_http_request_duration_seconds" in http.get("/metrics").text


def _self_signed(tmp: Path) -> tuple[str, str]:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def _serve(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[bytes], int]:
    data = tmp_path / "data"
    db = Database(data)
    seed(db)
    db.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "thermodb", "--data", str(data)]
    command += ["serve", "--port", str(port), "--no-auth", *extra]
    proc = subprocess.Popen(
        command, env={**os.environ}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return proc, port


def _wait_up(url: str, **kwargs: object) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(url, timeout=1, **kwargs).status_code == 200:  # type: ignore[arg-type]
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{url} did not come up"
        time.sleep(0.1)


def test_thermodb_serve_subprocess(tmp_path: Path) -> None:
    proc, port = _serve(tmp_path)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_up(f"{base}/healthz")
        r = httpx.get(f"{base}/v1/collections/users/records/1")
        assert r.status_code == 200 and r.json()["name"] == "ann"
    finally:
        proc.terminate()
        proc.wait(10)


def test_thermodb_serve_tls(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    proc, port = _serve(tmp_path, "--tls-cert", cert, "--tls-key", key)
    try:
        _wait_up(f"https://127.0.0.1:{port}/healthz", verify=False)
        r = httpx.get(f"https://127.0.0.1:{port}/v1/collections", verify=False)
        assert r.status_code == 200
        assert {c["name"] for c in r.json()} == {"users", "messages"}
    finally:
        proc.terminate()
        proc.wait(10)
