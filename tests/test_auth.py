"""JWT verification: every way a token can be wrong is a 401 problem with WWW-Authenticate."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk

from app.auth.tokens import sign_token
from app.config import DEV_JWT_SECRET, Settings
from app.main import create_app
from tests.conftest import make_settings

NOW = int(time.time())
# Long enough to outlive a whole test run; the expired cases are far outside the 60 s leeway.
GOOD = {"sub": "u1", "org": "zvh-mh", "roles": ["beheerder"], "iss": "casusregie-dev", "aud": "casusregie",
        "iat": NOW, "exp": NOW + 6 * 3600}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _without(key: str) -> dict[str, Any]:
    return {k: v for k, v in GOOD.items() if k != key}


def _unsigned(claims: dict[str, Any]) -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def _hmac_token(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    import hashlib
    import hmac

    signing_input = f"{_b64(json.dumps({'alg': 'HS256', 'kid': kid}).encode())}.{_b64(json.dumps(claims).encode())}"
    sig = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(sig)}"


def _tampered() -> str:
    token = sign_token(GOOD, DEV_JWT_SECRET, "HS256")
    head, _, sig = token.split(".")
    payload = _b64(json.dumps(dict(GOOD, roles=["auditor"])).encode())
    return f"{head}.{payload}.{sig}"


BAD_TOKENS: dict[str, Any] = {
    "missing": None,
    "not a jwt": "not-a-token",
    "alg none": _unsigned(GOOD),
    "wrong key": sign_token(GOOD, "another-secret-that-is-long-enough", "HS256"),
    "tampered payload": _tampered(),
    "expired": sign_token(dict(GOOD, exp=NOW - 600), DEV_JWT_SECRET, "HS256"),
    "wrong issuer": sign_token(dict(GOOD, iss="elsewhere"), DEV_JWT_SECRET, "HS256"),
    "wrong audience": sign_token(dict(GOOD, aud="other-api"), DEV_JWT_SECRET, "HS256"),
    "no exp": sign_token(_without("exp"), DEV_JWT_SECRET, "HS256"),
    "no aud": sign_token(_without("aud"), DEV_JWT_SECRET, "HS256"),
    "no iss": sign_token(_without("iss"), DEV_JWT_SECRET, "HS256"),
    "no sub": sign_token(_without("sub"), DEV_JWT_SECRET, "HS256"),
    "no org": sign_token(_without("org"), DEV_JWT_SECRET, "HS256"),
    "no roles": sign_token(_without("roles"), DEV_JWT_SECRET, "HS256"),
    "empty roles": sign_token(dict(GOOD, roles=[]), DEV_JWT_SECRET, "HS256"),
    "unknown role": sign_token(dict(GOOD, roles=["beheerder", "superuser"]), DEV_JWT_SECRET, "HS256"),
    "HS384 not allowed": sign_token(GOOD, DEV_JWT_SECRET, "HS384"),
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
async def test_bad_tokens_are_401_problems(client: httpx.AsyncClient, case: str) -> None:
    token = BAD_TOKENS[case]
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    resp = await client.get("/v1/organisations", headers=headers)
    assert resp.status_code == 401, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.headers["www-authenticate"].startswith("Bearer")
    body = resp.json()
    assert body["status"] == 401 and body["type"].endswith("unauthorized")


async def test_expiry_within_leeway_is_accepted(client: httpx.AsyncClient) -> None:
    now = int(time.time())
    token = sign_token(dict(GOOD, iat=now - 100, exp=now - 30), DEV_JWT_SECRET, "HS256")
    resp = await client.get("/v1/organisations", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200


async def test_401_is_not_audited(client: httpx.AsyncClient, auth: Any) -> None:
    await client.get("/v1/organisations")
    resp = await client.get("/v1/audit", headers=auth("zvh-mh", "auditor"))
    assert resp.json()["items"] == []


# Every role gets 200 from an endpoint it may use.
ROLE_ENDPOINTS = {
    "procesregisseur": "/v1/organisations",
    "casusregisseur": "/v1/policies",
    "medewerker": "/v1/policies",
    "melder": "/v1/policies",
    "bestuurder": "/v1/policies",
    "beheerder": "/v1/organisations",
    "auditor": "/v1/audit",
}


@pytest.mark.parametrize("role", list(ROLE_ENDPOINTS))
async def test_valid_token_of_every_role(client: httpx.AsyncClient, auth: Any, role: str) -> None:
    from tests.world import World

    await World(client, auth).organisations()  # roles count for organisations of a kind that may hold them
    resp = await client.get(ROLE_ENDPOINTS[role], headers=auth("gemeente" if role == "bestuurder" else "zvh-mh", role))
    assert resp.status_code == 200, resp.text


@pytest.fixture
def jwks_file(tmp_path: Any) -> tuple[str, Any, Any]:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    keys = []
    for kid, key, alg in (("rsa-1", rsa_key, "RS256"), ("ec-1", ec_key, "ES256")):
        public = jwk.construct(key.public_key(), alg).to_dict()
        public.update(kid=kid, alg=alg, use="sig")
        keys.append({k: (v.decode() if isinstance(v, bytes) else v) for k, v in public.items()})
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": keys}))
    return str(path), rsa_key, ec_key


async def _client_for(settings: Settings) -> httpx.AsyncClient:
    app = create_app(settings)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
async def test_jwks_asymmetric_tokens(db_url: str, jwks_file: tuple[str, Any, Any], alg: str) -> None:
    from cryptography.hazmat.primitives import serialization

    path, rsa_key, ec_key = jwks_file
    key, kid = (rsa_key, "rsa-1") if alg == "RS256" else (ec_key, "ec-1")
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    settings = make_settings(db_url, jwks=path)
    async with await _client_for(settings) as c:
        good = sign_token(GOOD, pem, alg, headers={"kid": kid})
        assert (await c.get("/v1/organisations", headers={"Authorization": f"Bearer {good}"})).status_code == 200
        unknown_kid = sign_token(GOOD, pem, alg, headers={"kid": "rotated-away"})
        assert (await c.get("/v1/organisations",
                            headers={"Authorization": f"Bearer {unknown_kid}"})).status_code == 401
        # A token signed with the public key as an HMAC secret (algorithm confusion) must fail.
        public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
        confused = _hmac_token(GOOD, public_pem, kid)
        assert (await c.get("/v1/organisations", headers={"Authorization": f"Bearer {confused}"})).status_code == 401


def test_production_refuses_unsafe_configuration() -> None:
    from app.config import ConfigError, check_settings

    with pytest.raises(ConfigError, match="JWKS"):
        check_settings(Settings(env="production", bsn_hash_key="k" * 32))
    with pytest.raises(ConfigError, match="BSN"):
        check_settings(Settings(env="production", jwks="/etc/jwks.json"))
    with pytest.raises(ConfigError, match="development secret"):
        check_settings(Settings(env="production", jwks="/etc/jwks.json", bsn_hash_key="k" * 32,
                                jwt_secret=DEV_JWT_SECRET))
    check_settings(Settings(env="production", jwks="/etc/jwks.json", bsn_hash_key="k" * 32,
                            audit_signing_key="/etc/casusregie/audit.pem",  # type: ignore[arg-type]
                            audit_checkpoint_dir="/var/lib/casusregie/checkpoints"))  # type: ignore[arg-type]


def test_production_issues_no_dev_tokens() -> None:
    from app.auth.tokens import issue_dev_token

    with pytest.raises(RuntimeError):
        issue_dev_token(Settings(env="production", jwks="/x", bsn_hash_key="k" * 32), org="x", roles=["auditor"])


async def test_a_remembered_token_still_expires(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Verified tokens are remembered for speed, but never past their exp (+ leeway) nor past the TTL."""
    import app.auth.tokens as auth_module

    now = int(time.time())
    token = sign_token(dict(GOOD, iat=now, exp=now + 120), DEV_JWT_SECRET, "HS256")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/v1/organisations", headers=headers)).status_code == 200
    # 200 s later (for the cache and for python-jose alike) the token is past exp + 60 s leeway: refused
    # although it was verified a moment ago.
    import datetime as dt

    import jose.jwt

    later = time.time() + 200

    class Later(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            return dt.datetime.fromtimestamp(later, tz)

    monkeypatch.setattr(auth_module.time, "time", lambda: later)
    monkeypatch.setattr(jose.jwt, "datetime", Later)
    r = await client.get("/v1/organisations", headers=headers)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
