"""Reads outside a transaction hand their pooled connection back before their audit entries are written
(issue 11): many concurrent reads on a small pool all answer, none waits for a connection held by another
read that is itself waiting to write its entry (found by bench/: at 30 concurrent reads on the default pool
every read stalled for the pool timeout and got 503)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from app.auth.tokens import issue_dev_token
from app.main import create_app
from tests.conftest import IS_PG, make_settings
from tests.overwriting import HOOKS
from tests.world import World

pytestmark = pytest.mark.skipif(not IS_PG, reason="reads without a transaction are PostgreSQL's")


async def test_concurrent_reads_on_a_small_pool_all_answer(db_url: str) -> None:
    settings = make_settings(db_url, db_pool_size=2, db_max_overflow=0)
    app = create_app(settings)

    def auth(org: str, *roles: str, sub: str | None = None) -> dict[str, str]:
        token = issue_dev_token(settings, org=org, roles=list(roles), sub=sub or f"{roles[0]}@{org}")
        return {"Authorization": f"Bearer {token}"}

    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    try:
        async with httpx.AsyncClient(event_hooks=HOOKS, transport=transport, base_url="http://testserver",
                                     timeout=30) as client:
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
