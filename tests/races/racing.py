"""Running writers at once and checking what a race may leave behind: no 5xx, an unbroken audit chain."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable

import httpx

from tests.audit_helpers import audit_rows
from tests.world import World

WRITERS = 12


async def race(make: Callable[[int], Awaitable[httpx.Response]], n: int = WRITERS) -> list[httpx.Response]:
    """`n` requests at once; the answers in the order the requests were made. A 5xx is never an outcome."""
    responses = list(await asyncio.gather(*(make(i) for i in range(n))))
    server_errors = [(r.status_code, r.text[:300]) for r in responses if r.status_code >= 500]
    assert server_errors == [], server_errors
    for r in responses:
        if r.status_code >= 400:
            assert r.headers["content-type"].startswith("application/problem+json"), r.text
    return responses


def statuses(responses: list[httpx.Response]) -> list[int]:
    return sorted(r.status_code for r in responses)


async def assert_audit_chain_unbroken(world: World, db_url: str) -> None:
    rows = await audit_rows(db_url)
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    r = await world.client.get("/v1/audit/verify", headers=world.h("zvh-mh", "auditor"))
    assert r.status_code == 200 and r.json()["valid"] is True, r.text
