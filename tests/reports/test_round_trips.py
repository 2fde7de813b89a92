"""SQL round trips of the monitor report, pinned like tests/cases/test_round_trips.py: eight grouped statements
(and the audit entry) whatever the number of cases, and the same for a report per month as for one period."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.cases.test_round_trips import _count
from tests.conftest import IS_PG
from tests.world import World

# PostgreSQL: the eight statements and the staged audit entry (a read: no transaction).
EXPECTED = 9
# SQLite: the unit of work's BEGIN IMMEDIATE, the eight, and the audit entry chained inline (head, entry, head).
SQLITE = 12


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Any) -> World:
    return await World(client, auth).setup()


async def _counted(app: Any, world: World, **params: str) -> int:
    h = world.h("gemeente", "bestuurder")

    async def call() -> httpx.Response:
        return await world.client.get("/v1/reports/monitor", headers=h,
                                      params={"from": "2020-01-01", "to": "2029-12-31", **params})

    await _count(app, call, 200)  # warm-up
    return len(await _count(app, call, 200))


async def test_the_report_is_a_fixed_number_of_statements(app: Any, world: World) -> None:
    await world.case("ijam", initial_state="netwerkoverleg")
    small = await _counted(app, world)
    assert small == (EXPECTED if IS_PG else SQLITE)
    assert await _counted(app, world, group_by="month") == small
    for case_type in ("jeugdgroep", "woonoverlast", "ijam", "ijam"):
        await world.case(case_type)
    assert await _counted(app, world) == small
