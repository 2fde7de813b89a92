"""Operations: health, readiness vs migrations, metrics, limits, problem+json everywhere, CORS, proxies, docs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.config import Settings
from app.kit.migrations_state import upgrade_to_head_async
from app.main import create_app
from tests.audit_helpers import audit_rows
from tests.conftest import make_settings


def _client(app: Any, peer: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(peer, 40000), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_healthz(client: httpx.AsyncClient) -> None:
    resp = await client.get("/healthz")
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}


async def test_readyz_follows_migrations(empty_db_url: str) -> None:
    settings = make_settings(empty_db_url)
    app = create_app(settings)
    async with _client(app) as c:
        before = await c.get("/readyz")
        assert before.status_code == 503
        assert before.headers["content-type"].startswith("application/problem+json")
        await upgrade_to_head_async(settings)
        after = await c.get("/readyz")
        assert after.status_code == 200 and after.json()["status"] == "ready"
    await app.state.db.dispose()


async def test_readyz_503_when_database_unreachable(tmp_path: Any) -> None:
    url = "postgresql+asyncpg://nobody@127.0.0.1:1/nothing"
    app = create_app(make_settings(url))
    async with _client(app) as c:
        resp = await c.get("/readyz")
    assert resp.status_code == 503


async def test_database_down_gives_503_problem_not_500(auth: Any) -> None:
    app = create_app(make_settings("postgresql+asyncpg://nobody@127.0.0.1:1/nothing"))
    async with _client(app) as c:
        resp = await c.get("/v1/organisations", headers=auth("zvh-mh", "beheerder"))
    assert resp.status_code == 503
    assert resp.headers["content-type"].startswith("application/problem+json")


async def test_metrics_by_route_template(client: httpx.AsyncClient, auth: Any) -> None:
    await client.get("/v1/organisations/does-not-exist", headers=auth("zvh-mh", "beheerder"))
    text = (await client.get("/metrics")).text
    assert 'route="/v1/organisations/{code}",status="404"' in text
    assert "does-not-exist" not in text
    assert "casusregie_http_request_duration_seconds_bucket" in text


async def test_request_id_generated_and_returned(client: httpx.AsyncClient) -> None:
    resp = await client.get("/healthz")
    assert len(resp.headers["x-request-id"]) >= 16
    bad = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert bad.headers["x-request-id"] != "bad id with spaces"


async def test_body_over_limit_is_413(client: httpx.AsyncClient, auth: Any) -> None:
    big = b'{"code": "x", "name": "' + b"a" * (1024 * 1024 + 10) + b'", "kind": "overig"}'
    resp = await client.post("/v1/organisations", content=big,
                             headers=auth("zvh-mh", "beheerder") | {"Content-Type": "application/json"})
    assert resp.status_code == 413
    assert resp.headers["content-type"].startswith("application/problem+json")


async def test_streamed_body_over_limit_is_413(client: httpx.AsyncClient, auth: Any) -> None:
    async def chunks() -> Any:
        for _ in range(20):
            yield b"x" * 100_000

    resp = await client.post("/v1/organisations", content=chunks(),
                             headers=auth("zvh-mh", "beheerder") | {"Content-Type": "application/json"})
    assert resp.status_code == 413


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/v1/nothing-here", 404), ("DELETE", "/v1/organisations", 405)],
)
async def test_routing_errors_are_problems(client: httpx.AsyncClient, method: str, path: str, status: int) -> None:
    resp = await client.request(method, path)
    assert resp.status_code == status
    body = resp.json()
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert body["status"] == status and body["type"].startswith("urn:casusregie:problem:")


async def test_malformed_json_is_a_problem(client: httpx.AsyncClient, auth: Any) -> None:
    resp = await client.post("/v1/organisations", content=b"{not json",
                             headers=auth("zvh-mh", "beheerder") | {"Content-Type": "application/json"})
    assert resp.status_code == 400  # unreadable (422: read, but invalid)
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["errors"]


async def test_unhandled_error_is_500_problem_without_internals(settings: Settings) -> None:
    app = create_app(settings)

    async def boom() -> None:
        raise RuntimeError("secret internal detail")

    app.add_api_route("/boom", boom)
    async with _client(app) as c:
        resp = await c.get("/boom", headers={"X-Request-ID": "req-boom"})
    assert resp.status_code == 500
    body = resp.json()
    assert body["request_id"] == resp.headers["x-request-id"] != "req-boom"  # the server's own id
    assert "secret internal detail" not in resp.text
    await app.state.db.dispose()


async def test_cors_only_for_configured_origins(db_url: str) -> None:
    app = create_app(make_settings(db_url, cors_origins=["https://portaal.zvh.example"]))
    async with _client(app) as c:
        ok = await c.options("/v1/organisations", headers={
            "Origin": "https://portaal.zvh.example", "Access-Control-Request-Method": "GET"})
        assert ok.headers["access-control-allow-origin"] == "https://portaal.zvh.example"
        simple = await c.get("/healthz", headers={"Origin": "https://portaal.zvh.example"})
        exposed = simple.headers["access-control-expose-headers"].lower()
        assert "etag" in exposed and "location" in exposed and "x-request-id" in exposed
        other = await c.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        assert "www-authenticate" in exposed and "retry-after" in exposed
        traced = await c.options("/v1/cases", headers={
            "Origin": "https://portaal.zvh.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, traceparent, tracestate"})
        assert traced.status_code == 200, traced.text
    await app.state.db.dispose()


async def test_413_and_500_carry_cors_headers(db_url: str, auth: Any) -> None:
    """A portal on another origin must be able to read these problems (issue 13, finding 2)."""
    origin = "https://portaal.zvh.example"
    app = create_app(make_settings(db_url, cors_origins=[origin], max_body_bytes=2048))

    async def boom() -> None:
        raise RuntimeError("internal")

    app.add_api_route("/boom", boom)
    async with _client(app) as c:
        big = await c.post("/v1/organisations", content=b"{" + b" " * 4096 + b"}",
                           headers=auth("zvh-mh", "beheerder") | {"Origin": origin, "Content-Type": "application/json"})
        assert big.status_code == 413 and big.headers["access-control-allow-origin"] == origin
        failed = await c.get("/boom", headers={"Origin": origin})
        assert failed.status_code == 500 and failed.headers["access-control-allow-origin"] == origin
        assert "x-request-id" in failed.headers["access-control-expose-headers"].lower()
    await app.state.db.dispose()


@pytest.mark.parametrize(
    ("peer", "expected"),
    [("10.0.0.5", "203.0.113.9"), ("198.51.100.7", "198.51.100.7")],
)
async def test_forwarded_for_only_from_trusted_proxy(
    db_url: str, auth: Any, peer: str, expected: str
) -> None:
    app = create_app(make_settings(db_url, trusted_proxies=["10.0.0.0/8"]))
    async with _client(app, peer=peer) as c:
        await c.get("/v1/organisations", headers=auth("zvh-mh", "beheerder") | {
            "X-Forwarded-For": "203.0.113.9, 10.0.0.7"})
    await app.state.db.dispose()
    assert (await audit_rows(db_url))[-1].client_address == expected


async def test_docs_served_from_package_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "/docs-assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    js = await client.get("/docs-assets/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 100_000
    spec = (await client.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
