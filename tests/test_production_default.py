"""Safe by default (issue 12, finding 1): a missing CASUSREGIE_ENV means production, never development.

Tried as an operator starts the service: real processes with real environment variables, nothing but what
the test sets (the variables of the test run itself are removed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jose import jwk

from app.auth.tokens import sign_token
from app.config import DEV_JWT_SECRET, ConfigError, Settings, check_settings
from tests.serving import CASUSREGIE, PROJECT_DIR, free_port

ISSUER = "https://idp.example.test"
DEV_CLAIMS = {"sub": "forger", "org": "zvh-mh", "roles": ["beheerder", "auditor", "procesregisseur"],
              "iss": "casusregie-dev", "aud": "casusregie"}


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASUSREGIE_")}
    env.update(CASUSREGIE_LOG_LEVEL="INFO", **values)
    return env


def _claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iat": now, "exp": now + 600, **extra}


def test_settings_default_to_production() -> None:
    out = subprocess.run([sys.executable, "-c", "from app.config import Settings; print(Settings().env)"],
                         env=_env(), capture_output=True, text=True, timeout=60, check=True, cwd=PROJECT_DIR)
    assert out.stdout.strip() == "production"


def test_serve_with_only_a_database_url_refuses_to_start(db_url: str) -> None:
    done = subprocess.run([CASUSREGIE, "serve", "--port", str(free_port())], env=_env(CASUSREGIE_DATABASE_URL=db_url),
                          capture_output=True, text=True, timeout=120, check=False, cwd=PROJECT_DIR)
    assert done.returncode != 0
    assert "refusing to start" in done.stderr and "CASUSREGIE_JWKS" in done.stderr


def test_token_command_needs_development_mode(db_url: str) -> None:
    args = [CASUSREGIE, "token", "--org", "zvh-mh", "--role", "beheerder"]
    refused = subprocess.run(args, env=_env(CASUSREGIE_DATABASE_URL=db_url), capture_output=True, text=True,
                             timeout=60, check=False, cwd=PROJECT_DIR)
    assert refused.returncode != 0 and refused.stdout.strip() == ""
    for how in (["--dev"], []):
        env = _env(CASUSREGIE_DATABASE_URL=db_url) | ({} if how else {"CASUSREGIE_ENV": "development"})
        issued = subprocess.run(args + how, env=env, capture_output=True, text=True, timeout=60, check=True,
                                cwd=PROJECT_DIR)
        assert issued.stdout.count(".") == 2


def _start(args: list[str], env: dict[str, str], log_path: Path, port: int) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        process = subprocess.Popen([CASUSREGIE, "serve", "--port", str(port), *args], env=env, cwd=PROJECT_DIR,
                                   stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited {process.returncode}: {log_path.read_text()[-2000:]}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("serve did not start")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def test_production_server_refuses_development_secret_tokens(db_url: str, tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = jwk.construct(key.public_key(), "RS256").to_dict()
    public.update(kid="idp-1", alg="RS256", use="sig")
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{k: (v.decode() if isinstance(v, bytes) else v)
                                          for k, v in public.items()}]}))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    port = free_port()
    # No CASUSREGIE_ENV: what a server started from a deployment script without it gets.
    audit_key = tmp_path / "audit-signing-key.pem"
    audit_key.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    env = _env(CASUSREGIE_DATABASE_URL=db_url, CASUSREGIE_JWKS=str(jwks), CASUSREGIE_JWT_ISSUER=ISSUER,
               CASUSREGIE_BSN_HASH_KEY="a-private-key-of-at-least-32-bytes-0123456789",
               CASUSREGIE_AUDIT_SIGNING_KEY=str(audit_key),
               CASUSREGIE_AUDIT_CHECKPOINT_DIR=str(tmp_path / "checkpoints"))
    process = _start([], env, tmp_path / "serve.log", port)
    try:
        base = f"http://127.0.0.1:{port}"
        forged = sign_token(_claims(**DEV_CLAIMS), DEV_JWT_SECRET, "HS256")
        for path in ("/v1/convenants", "/v1/audit", "/v1/cases", "/v1/organisations"):
            r = httpx.get(base + path, headers={"Authorization": f"Bearer {forged}"}, timeout=30)
            assert r.status_code == 401, (path, r.text)
        real = sign_token(_claims(sub="u1", org="zvh-mh", roles=["beheerder"], iss=ISSUER, aud="casusregie"),
                          pem, "RS256", headers={"kid": "idp-1"})
        r = httpx.get(base + "/v1/organisations", headers={"Authorization": f"Bearer {real}"}, timeout=30)
        assert r.status_code == 200, r.text
    finally:
        _stop(process)
    assert "DEVELOPMENT MODE" not in (tmp_path / "serve.log").read_text()


@pytest.mark.parametrize("how", ["--dev", "env"])
def test_development_mode_is_asked_for_and_said_loudly(db_url: str, tmp_path: Path, how: str) -> None:
    port = free_port()
    env = _env(CASUSREGIE_DATABASE_URL=db_url) | ({"CASUSREGIE_ENV": "development"} if how == "env" else {})
    log = tmp_path / "serve.log"
    process = _start(["--dev"] if how == "--dev" else [], env, log, port)
    try:
        forged = sign_token(_claims(**DEV_CLAIMS), DEV_JWT_SECRET, "HS256")
        r = httpx.get(f"http://127.0.0.1:{port}/v1/organisations", headers={"Authorization": f"Bearer {forged}"},
                      timeout=30)
        assert r.status_code == 200, r.text
    finally:
        _stop(process)
    text = log.read_text()
    assert "DEVELOPMENT MODE" in text and "127.0.0.1" in text


PRODUCTION = {"CASUSREGIE_JWKS": "/etc/casusregie/jwks.json",
              "CASUSREGIE_BSN_HASH_KEY": "a-private-key-of-at-least-32-bytes-0123456789",
              "CASUSREGIE_AUDIT_SIGNING_KEY": "/etc/casusregie/audit-signing-key.pem",
              "CASUSREGIE_AUDIT_CHECKPOINT_DIR": "/var/lib/casusregie/audit-checkpoints"}


@pytest.mark.parametrize(("variable", "value", "named"), [
    ("CASUSREGIE_JWT_SECRET", "a", "at least 32 bytes"),
    ("CASUSREGIE_JWT_SECRET", f"{DEV_JWT_SECRET}  ", "public development"),
    ("CASUSREGIE_JWT_SECRET", DEV_JWT_SECRET.upper(), "public development"),
    ("CASUSREGIE_BSN_HASH_KEY", "1", "at least 32 bytes"),
    ("CASUSREGIE_BSN_HASH_KEY", " casusregie-dev-bsn-key-do-not-use-in-production\n", "public development"),
    ("CASUSREGIE_JWKS", "http://idp.example.test/jwks.json", "https"),
])
def test_production_refuses_weak_keys_set_as_an_operator_would(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    for key in [k for k in os.environ if k.startswith("CASUSREGIE_")]:
        monkeypatch.delenv(key)
    for key, default in PRODUCTION.items():
        monkeypatch.setenv(key, default)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as refused:
        check_settings(Settings())
    assert variable in str(refused.value) and named in str(refused.value)


@pytest.mark.parametrize("missing", [("CASUSREGIE_AUDIT_SIGNING_KEY",),
                                     ("CASUSREGIE_AUDIT_CHECKPOINT_DIR",)])
def test_production_refuses_to_start_without_a_checkpoint_key_and_sink(
    monkeypatch: pytest.MonkeyPatch, missing: tuple[str, ...]
) -> None:
    """Issue 11: signed checkpoints must leave the database, so production needs the key and a sink."""
    for key in [k for k in os.environ if k.startswith("CASUSREGIE_")]:
        monkeypatch.delenv(key)
    for key, default in PRODUCTION.items():
        if key not in missing:
            monkeypatch.setenv(key, default)
    with pytest.raises(ConfigError) as refused:
        check_settings(Settings())
    assert missing[0] in str(refused.value)
    if missing[0] == "CASUSREGIE_AUDIT_CHECKPOINT_DIR":  # a witness alone is a sink too
        monkeypatch.setenv("CASUSREGIE_AUDIT_WITNESS_URL", "https://witness.example.test/checkpoints")
        check_settings(Settings())


def test_production_accepts_strong_keys_and_https(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("CASUSREGIE_")]:
        monkeypatch.delenv(key)
    for key, default in PRODUCTION.items():
        monkeypatch.setenv(key, default)
    monkeypatch.setenv("CASUSREGIE_JWKS", "https://idp.example.test/jwks.json")
    monkeypatch.setenv("CASUSREGIE_JWT_SECRET", "x" * 32)
    check_settings(Settings())


@pytest.mark.parametrize(("variable", "field"), [("CASUSREGIE_CORS_ORIGINS", "cors_origins"),
                                                  ("CASUSREGIE_TRUSTED_PROXIES", "trusted_proxies"),
                                                  ("CASUSREGIE_ADMIN_ORGANISATIONS", "admin_organisations")])
@pytest.mark.parametrize(("value", "expected"), [("a", ["a"]), ("a, b,", ["a", "b"]), ('["a", "b"]', ["a", "b"]),
                                                  ("", [])])
def test_list_settings_read_as_operators_write_them(monkeypatch: pytest.MonkeyPatch, variable: str, field: str,
                                                    value: str, expected: list[str]) -> None:
    for key in [k for k in os.environ if k.startswith("CASUSREGIE_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv(variable, value)
    assert getattr(Settings(), field) == expected


def test_a_comma_list_works_for_every_cli_command(db_url: str) -> None:
    env = _env(CASUSREGIE_DATABASE_URL=db_url, CASUSREGIE_ENV="development",
               CASUSREGIE_CORS_ORIGINS="http://127.0.0.1:8794,http://localhost:8794",
               CASUSREGIE_TRUSTED_PROXIES="10.0.0.1", CASUSREGIE_ADMIN_ORGANISATIONS="zvh-mh,gemeente")
    done = subprocess.run([CASUSREGIE, "token", "--org", "zvh-mh", "--role", "beheerder"], env=env,
                          capture_output=True, text=True, timeout=60, check=False, cwd=PROJECT_DIR)
    assert done.returncode == 0, done.stderr
