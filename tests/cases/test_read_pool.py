"""Reads outside a transaction hand their pooled connection back before their audit entries are written
(issue 11): many concurrent reads on a small pool all answer, none waits for a connection held by another
read that is itself waiting to write its entry (found by bench/: at 30 concurrent reads on the default pool
every read stalled for the pool timeout and got 503)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

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
