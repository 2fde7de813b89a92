"""JWKS keys: a withdrawn key stops verifying new tokens within the max age; unknown kids cannot make the
server hammer its IdP; a token no key can verify is a 401 whatever its header holds (issue 12, findings
2 and 6)."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk

from app.auth import tokens
from app.auth.tokens import JWKS_MAX_AGE_SECONDS, JWKS_MIN_REFRESH_SECONDS, sign_token
from app.main import create_app
from tests.conftest import make_settings


def _public(key: Any, kid: str, alg: str) -> dict[str, Any]:
    public = jwk.construct(key.public_key(), alg).to_dict()
    public.update(kid=kid, alg=alg, use="sig")
    return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in public.items()}


def _pem(key: Any) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _claims() -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "u1", "org": "zvh-mh", "roles": ["beheerder"], "iss": "casusregie-dev", "aud": "casusregie",
            "iat": now, "exp": now + 3600}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(tokens.time, "monotonic", c)
    return c


@pytest.fixture
def keys() -> dict[str, Any]:
    return {"old": rsa.generate_private_key(public_exponent=65537, key_size=2048),
            "new": rsa.generate_private_key(public_exponent=65537, key_size=2048),
            "ec": ec.generate_private_key(ec.SECP256R1())}


async def _status(client: httpx.AsyncClient, token: str) -> int:
    r = await client.get("/v1/organisations", headers={"Authorization": f"Bearer {token}"})
    return r.status_code


async def test_a_withdrawn_key_stops_verifying_within_the_max_age(
    db_url: str, tmp_path: Path, clock: Clock, keys: dict[str, Any]
) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [_public(keys["old"], "old", "RS256"), _public(keys["new"], "new", "RS256")]}))
    app = create_app(make_settings(db_url, jwks=str(jwks)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert await _status(client, sign_token(_claims(), _pem(keys["old"]), "RS256", {"kid": "old"})) == 200
        jwks.write_text(json.dumps({"keys": [_public(keys["new"], "new", "RS256")]}))  # withdrawn at the IdP
        clock.now += JWKS_MAX_AGE_SECONDS - 1  # still within the max age: the known key is still used
        fresh = _claims() | {"jti": "second"}
        assert await _status(client, sign_token(fresh, _pem(keys["old"]), "RS256", {"kid": "old"})) == 200
        clock.now += 2  # past it: reloaded, the withdrawn key verifies no new token
        third = _claims() | {"jti": "third"}
        assert await _status(client, sign_token(third, _pem(keys["old"]), "RS256", {"kid": "old"})) == 401
        assert await _status(client, sign_token(third, _pem(keys["new"]), "RS256", {"kid": "new"})) == 200
    await app.state.db.dispose()


async def test_a_jwks_that_cannot_be_reloaded_verifies_nothing(
    db_url: str, tmp_path: Path, clock: Clock, keys: dict[str, Any]
) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [_public(keys["old"], "old", "RS256")]}))
    app = create_app(make_settings(db_url, jwks=str(jwks)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert await _status(client, sign_token(_claims(), _pem(keys["old"]), "RS256", {"kid": "old"})) == 200
        jwks.unlink()
        clock.now += JWKS_MAX_AGE_SECONDS + 1
        later = _claims() | {"jti": "later"}
        assert await _status(client, sign_token(later, _pem(keys["old"]), "RS256", {"kid": "old"})) == 401
    await app.state.db.dispose()


async def test_unknown_kids_reload_at_most_every_min_refresh(
    db_url: str, tmp_path: Path, clock: Clock, keys: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [_public(keys["old"], "old", "RS256")]}))
    loads: list[float] = []
    fetch = tokens.JwksCache._fetch

    async def counting(self: tokens.JwksCache) -> tuple[dict[str, Any], float | None]:
        loads.append(clock.now)
        return await fetch(self)

    monkeypatch.setattr(tokens.JwksCache, "_fetch", counting)
    app = create_app(make_settings(db_url, jwks=str(jwks)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        for i in range(20):
            token = sign_token(_claims() | {"jti": str(i)}, _pem(keys["old"]), "RS256", {"kid": f"made-up-{i}"})
            assert await _status(client, token) == 401
        assert len(loads) == 1
        clock.now += JWKS_MIN_REFRESH_SECONDS
        token = sign_token(_claims() | {"jti": "x"}, _pem(keys["old"]), "RS256", {"kid": "made-up-x"})
        assert await _status(client, token) == 401
        assert len(loads) == 2
    await app.state.db.dispose()


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize("header", [
    {"alg": "RS256", "kid": ["old"]},
    {"alg": "RS256", "kid": {"k": "old"}},
    {"alg": ["RS256"], "kid": "old"},
    {"alg": "RS256", "kid": "ec"},  # names an EC key: the library raises JWKError, not JWTError
    {"alg": "ES256", "kid": "old"},  # names an RSA key
    {"alg": "RS256", "kid": 7},
])
async def test_crafted_headers_are_401_never_500(
    db_url: str, tmp_path: Path, keys: dict[str, Any], header: dict[str, Any]
) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [_public(keys["old"], "old", "RS256"), _public(keys["ec"], "ec", "ES256")]}))
    app = create_app(make_settings(db_url, jwks=str(jwks)))
    signed = sign_token(_claims(), _pem(keys["old"]), "RS256", {"kid": "old"})
    crafted = ".".join([_b64(header), *signed.split(".")[1:]])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        r = await client.get("/v1/organisations", headers={"Authorization": f"Bearer {crafted}"})
        assert r.status_code == 401, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    await app.state.db.dispose()
