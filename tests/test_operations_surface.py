"""The operations surface tells an attacker nothing (issue 12, finding 13): /metrics behind a token (not
served in production without one), /readyz without the schema revision, no-store and nosniff headers, no
`server` header, and a 401 logged with the client address but never the token."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.main import create_app
from tests.conftest import make_settings
from tests.serving import start_server

TOKEN = "metrics-token-of-the-operators-0123456789"


def _production(url: str, **extra: Any) -> Settings:
    return Settings(database_url=url, env="production", jwks="/etc/casusregie/jwks.json",
                    bsn_hash_key="a-private-key-of-at-least-32-bytes-0123456789", log_level="WARNING",
                    audit_signing_key=Path("/etc/casusregie/audit-signing-key.pem"),
                    audit_checkpoint_dir=Path("/var/lib/casusregie/audit-checkpoints"), **extra)


async def _get(settings: Settings, path: str, **headers: str) -> httpx.Response:
    app = create_app(settings)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return await c.get(path, headers=headers)
    finally:
        await app.state.db.dispose()


async def test_metrics_are_not_served_in_production_without_a_token(db_url: str) -> None:
    r = await _get(_production(db_url), "/metrics")
    assert r.status_code == 404 and "casusregie_http" not in r.text


@pytest.mark.parametrize(("authorization", "status"), [
    (None, 401), ("Bearer wrong", 401), (f"Basic {TOKEN}", 401), (f"Bearer {TOKEN}", 200)])
async def test_metrics_need_the_operations_token_when_one_is_set(db_url: str, authorization: str | None,
                                                                 status: int) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    r = await _get(_production(db_url, metrics_token=TOKEN), "/metrics", **headers)
    assert r.status_code == status, r.text
    assert ("casusregie_http_requests_total" in r.text) == (status == 200)


async def test_readyz_names_the_revision_only_to_the_operator(db_url: str) -> None:
    settings = make_settings(db_url, metrics_token=TOKEN)
    plain = await _get(settings, "/readyz")
    assert plain.status_code == 200 and plain.json() == {"status": "ready"}
    operator = await _get(settings, "/readyz", Authorization=f"Bearer {TOKEN}")
    assert operator.json()["status"] == "ready" and operator.json()["revision"]


async def test_personal_data_is_not_cached_and_nothing_is_sniffed(client: httpx.AsyncClient, auth: Any) -> None:
    r = await client.get("/v1/organisations", headers=auth("zvh-mh", "beheerder"))
    assert r.headers["cache-control"] == "no-store" and r.headers["x-content-type-options"] == "nosniff"
    problem = await client.get("/v1/cases/3fa85f64-5717-4562-b3fc-2c963f66afa6", headers=auth("zvh-mh", "medewerker"))
    assert problem.status_code == 404 and problem.headers["cache-control"] == "no-store"
    health = await client.get("/healthz")
    assert health.headers["x-content-type-options"] == "nosniff"


async def test_a_401_is_logged_with_the_client_address_never_the_token(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="casusregie.security")
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2VjcmV0LXNpZ25hdHVyZQ"
    r = await client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    (record,) = [rec for rec in caplog.records if rec.name == "casusregie.security"]
    assert record.getMessage() == "authentication failed" and record.__dict__["client_address"] == "127.0.0.1"
    assert token not in caplog.text and "c2VjcmV0" not in caplog.text


def test_the_server_names_no_software(db_url: str, tmp_path: Path) -> None:
    server = start_server(db_url, tmp_path / "serve.log")
    try:
        r = httpx.get(f"{server.url}/healthz", timeout=10)
    finally:
        server.stop()
    assert r.status_code == 200 and "server" not in r.headers
