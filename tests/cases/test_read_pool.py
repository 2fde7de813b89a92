"""Reads outside a transaction hand their pooled connection back before their audit entries are written
(issue 11): many concurrent reads on a small pool all answer, none waits for a connection held by another
read that is itself waiting to write its entry (found by bench/: at 30 concurrent reads on the default pool
every read stalled for the pool timeout and got 503)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import event

from app.config import Settings
from app.main import create_app
from tests.conftest import IS_PG, asgi_client, make_settings, token_factory
from tests.world import World

pytestmark = pytest.mark.skipif(not IS_PG, reason="reads without a transaction are PostgreSQL's")


@asynccontextmanager
async def _reads(app: Any, settings: Settings) -> AsyncIterator[tuple[World, Callable[[int], Awaitable[list[int]]]]]:
    """A world on `app`, and `burst(n)`: n concurrent reads of one case, their statuses."""
    try:
        async with asgi_client(app, timeout=30) as client:
            world = await World(client, token_factory(settings)).setup()
            case = await world.case("ijam")

            async def read() -> int:
                return (await client.get(f"/v1/cases/{case['id']}", headers=world.regisseur)).status_code

            async def burst(n: int) -> list[int]:
                return await asyncio.wait_for(asyncio.gather(*(read() for _ in range(n))), timeout=20)

            yield world, burst
    finally:
        await app.state.db.dispose()


async def test_concurrent_reads_on_a_small_pool_all_answer(db_url: str) -> None:
    settings = make_settings(db_url, db_pool_size=2, db_max_overflow=0)
    async with _reads(create_app(settings), settings) as (world, burst):
        assert await burst(24) == [200] * 24
        r = await world.client.get("/v1/audit", params={"action": "case:read", "limit": 100},
                                   headers=world.h("zvh-mh", "auditor"))
        assert r.status_code == 200, r.text
        assert len(r.json()["items"]) == 24  # every read's entry durable before its answer


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
    async with _reads(app, settings) as (_, burst):
        for _burst in range(2):
            assert await burst(16) == [200] * 16
    assert 1 <= len(opened) <= 4
