"""JWT verification -> Principal. The only module that imports python-jose.

Production: RS256/ES256 against a JWKS (file or https URL), cached for at most JWKS_MAX_AGE_SECONDS (or
the source's shorter `Cache-Control: max-age`), so a key withdrawn from the JWKS stops verifying new tokens
within that time; a token naming an unknown `kid` reloads it, at most every JWKS_MIN_REFRESH_SECONDS. A
JWKS that cannot be reloaded when due verifies nothing (fail closed).
Development: HS256 with CASUSREGIE_JWT_SECRET. Algorithms are an explicit allowlist; `alg: none`
and anything else is refused before a key is even chosen.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from jose import jwt
from jose.exceptions import JOSEError

from app.auth.principal import Principal
from app.config import Settings
from app.vocabulary import Role

ASYMMETRIC_ALGORITHMS = ("RS256", "ES256")
SYMMETRIC_ALGORITHMS = ("HS256",)
LEEWAY_SECONDS = 60
JWKS_MIN_REFRESH_SECONDS = 30.0
JWKS_MAX_AGE_SECONDS = 300.0
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d+)", re.IGNORECASE)
_KNOWN_ROLES = {r.value for r in Role}


class AuthError(Exception):
    """The token is missing or unacceptable; answered 401 with WWW-Authenticate."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class JwksCache:
    """Keys by `kid`, valid for `max_age` seconds after a load; reloaded when due, or when a token names a kid
    we do not know (key rotation) and the last load is at least JWKS_MIN_REFRESH_SECONDS old."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._keys: dict[str, dict[str, Any]] = {}
        self._loaded_at: float | None = None
        self._tried_at: float | None = None
        self._max_age = JWKS_MAX_AGE_SECONDS
        self._lock = asyncio.Lock()

    async def _fetch(self) -> tuple[dict[str, Any], float | None]:
        """The JWKS document, and the max-age its source gave (None: none given)."""
        if self.source.startswith(("http://", "https://")):
            async with httpx.AsyncClient(timeout=5.0) as client:
                resp = await client.get(self.source)
                resp.raise_for_status()
                keys: dict[str, Any] = resp.json()
                found = _MAX_AGE.search(resp.headers.get("cache-control", ""))
                return keys, float(found.group(1)) if found else None
        text = await asyncio.to_thread(Path(self.source).read_text, encoding="utf-8")
        keys = json.loads(text)
        return keys, None

    def _fresh(self, now: float) -> bool:
        return self._loaded_at is not None and now - self._loaded_at < self._max_age

    async def _reload(self, now: float) -> None:
        self._tried_at = now
        try:
            doc, max_age = await self._fetch()
        except (OSError, ValueError, httpx.HTTPError):
            return  # stays due: what it had verifies nothing once its age is past (fail closed)
        keys = doc.get("keys") if isinstance(doc, dict) else None
        self._keys = {k["kid"]: k for k in keys or [] if isinstance(k, dict) and isinstance(k.get("kid"), str)}
        self._max_age = min(JWKS_MAX_AGE_SECONDS, max_age) if max_age is not None else JWKS_MAX_AGE_SECONDS
        self._loaded_at = now

    async def key_for(self, kid: str | None) -> dict[str, Any] | None:
        now = time.monotonic()
        if self._fresh(now) and kid in self._keys:
            return self._keys[kid or ""]
        async with self._lock:
            now = time.monotonic()
            # Due (never loaded, or too old), or a kid we do not know: reload, but an unknown kid (which
            # anyone can send) at most every JWKS_MIN_REFRESH_SECONDS.
            recently_tried = self._tried_at is not None and now - self._tried_at < JWKS_MIN_REFRESH_SECONDS
            if not self._fresh(now) or (kid not in self._keys and not recently_tried):
                await self._reload(now)
            if not self._fresh(now):
                return None
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        return self._keys.get(kid or "")


VERIFIED_TTL_SECONDS = 60.0
VERIFIED_CACHE_SIZE = 10_000


class TokenVerifier:
    """Verifies bearer tokens; remembers a verified token for at most VERIFIED_TTL_SECONDS.

    Partners send the same token on every request until it expires, and verifying it (signature, claims)
    was a visible share of a request's CPU time (bench/). The cache is keyed by the whole token string
    (its signature included), bounded in size, and an entry never outlives the token's own `exp`; a key
    withdrawn from the JWKS stops verifying new tokens within the JWKS max age (at most 5 minutes) and
    remembered ones within VERIFIED_TTL_SECONDS after that.
    """

    def __init__(self, settings: Settings) -> None:
        self.secret = settings.effective_jwt_secret
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.jwks = JwksCache(settings.jwks) if settings.jwks else None
        self._verified: dict[str, tuple[float, Principal]] = {}

    async def verify(self, token: str) -> Principal:
        now = time.time()
        hit = self._verified.get(token)
        if hit is not None:
            if hit[0] > now:
                return hit[1]
            del self._verified[token]
        principal, exp = await self._verify(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.clear()  # crude but bounded; a refill costs one verification per token
        self._verified[token] = (min(exp + LEEWAY_SECONDS, now + VERIFIED_TTL_SECONDS), principal)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except JOSEError as exc:
            raise AuthError("malformed token") from exc
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or not (kid is None or isinstance(kid, str)):
            raise AuthError("malformed token")
        key: Any
        if alg in SYMMETRIC_ALGORITHMS and self.secret:
            key = self.secret
        elif alg in ASYMMETRIC_ALGORITHMS and self.jwks is not None:
            key = await self.jwks.key_for(kid)
            if key is None:
                raise AuthError("unknown signing key")
        else:
            raise AuthError("signing algorithm not accepted")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                options={
                    "require_exp": True,
                    "require_aud": True,
                    "require_iss": True,
                    "require_sub": True,
                    "leeway": LEEWAY_SECONDS,
                },
            )
        except JOSEError as exc:  # JWTError, and JWKError for a key of another type than the header names
            raise AuthError("invalid token") from exc
        except (TypeError, ValueError) as exc:  # a crafted key or claim the library trips over: still a 401
            raise AuthError("invalid token") from exc
        return principal_from_claims(claims), float(claims["exp"])


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    sub, org, roles = claims.get("sub"), claims.get("org"), claims.get("roles")
    if not isinstance(sub, str) or not sub:
        raise AuthError("claim sub missing")
    if not isinstance(org, str) or not org:
        raise AuthError("claim org missing")
    if not isinstance(roles, list) or not roles or not all(isinstance(r, str) for r in roles):
        raise AuthError("claim roles missing")
    unknown = [r for r in roles if r not in _KNOWN_ROLES]
    if unknown:
        raise AuthError("unknown role in token")
    return Principal(sub=sub, org=org, roles=tuple(dict.fromkeys(roles)))


def issue_dev_token(
    settings: Settings,
    *,
    org: str,
    roles: list[str],
    sub: str | None = None,
    ttl_seconds: int = 8 * 3600,
    extra: dict[str, Any] | None = None,
) -> str:
    """An HS256 token signed with the development secret (demo, tests). Refused in production."""
    secret = settings.effective_jwt_secret
    if settings.env != "development" or not secret:
        raise RuntimeError("development tokens are only issued in development mode")
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub or f"user-{uuid.uuid4().hex[:8]}",
        "org": org,
        "roles": roles,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    claims.update(extra or {})
    return jwt.encode(claims, secret, algorithm="HS256")


def sign_token(claims: dict[str, Any], key: Any, algorithm: str, headers: dict[str, Any] | None = None) -> str:
    """Sign arbitrary claims (tests of the verifier use this to build bad tokens)."""
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)
