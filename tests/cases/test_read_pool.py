"""Reads outside a transaction hand their pooled connection back before their audit entries are written
(issue 11): many concurrent reads on a small pool all answer, none waits for a connection held by another
read that is itself waiting to write its entry (found by bench/: at 30 concurrent reads on the default pool
every read stalled for the pool timeout and got 503)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event

from app.main import create_app
from tests.conftest import IS_PG, asgi_client, make_settings, token_factory
from tests.world import World

pytestmark = pytest.mark.skipif(not IS_PG, reason="reads without a transaction are PostgreSQL's")


async def test_concurrent_reads_on_a_small_pool_all_answer(db_url: str) -> None:
    settings = make_settings(db_url, db_pool_size=2, db_max_overflow=0)
    app = create_app(settings)

    auth = token_factory(settings)
    try:
        async with asgi_client(app, timeout=30) as client:
            world = await World(client, auth).setup()
            case = await world.case("ijam")

            async def read(_: Any) -> int:
                return (await client.get(f"/v1/cases/{case['id']}", headers=world.regisseur)).status_code

            statuses = await asyncio.wait_for(asyncio.gather(*(read(i) for i in range(24))), timeout=20)
            assert statuses == [200] * 24
            r = await client.get("/v1/audit", params={"action": "case:read", "limit": 100},
                                 headers=world.h("zvh-mh", "auditor"))
            assert r.status_code == 200, r.text
            assert len(r.json()["items"]) == 24  # every read's entry durable before its answer
    finally:
        await app.state.db.dispose()


async def test_the_pool_an_operator_sets_is_kept_not_churned(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """CASUSREGIE_DB_POOL_SIZE as an operator sets it, and no overflow by default: more concurrent reads than the
    pool wait for a connection instead of opening one that is closed again after the request (a backend start per
    request: bench/RESULTS.md, a sixth pass). Two bursts open no more connections than the pool holds."""
    monkeypatch.setenv("CASUSREGIE_DB_POOL_SIZE", "4")
    monkeypatch.delenv("CASUSREGIE_DB_MAX_OVERFLOW", raising=False)
    settings = make_settings(db_url)
    assert (settings.db_pool_size, settings.db_max_overflow) == (4, 0)
    app = create_app(settings)
    opened: list[object] = []
    event.listen(app.state.db.engine.sync_engine, "connect", lambda conn, record: opened.append(conn))
    auth = token_factory(settings)
    try:
        async with asgi_client(app, timeout=30) as client:
            world = await World(client, auth).setup()
            case = await world.case("ijam")

            async def read(_: Any) -> int:
                return (await client.get(f"/v1/cases/{case['id']}", headers=world.regisseur)).status_code

            for _burst in range(2):
                statuses = await asyncio.wait_for(asyncio.gather(*(read(i) for i in range(16))), timeout=20)
                assert statuses == [200] * 16
        assert 1 <= len(opened) <= 4
    finally:
        await app.state.db.dispose()
