"""SQL round trips of the work lists and the action update, pinned like tests/cases/test_round_trips.py: a work
list page is one statement (the filter, the current plan version and the paging all in SQL), plus the audit
entry; it must not grow with the number of cases or actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.cases.test_round_trips import _count
from tests.conftest import IS_PG
from tests.world import World

ORG = "woonpunt"

# PostgreSQL: the page's one statement and the staged audit entry (a read: no transaction).
EXPECTED = {
    "GET /v1/work/actions (first page)": 2,
    "GET /v1/work/actions (next page)": 2,
    "GET /v1/work/cases (first page)": 2,
    "GET /v1/work/cases (next page)": 2,
}
# SQLite: every request a unit of work with its BEGIN IMMEDIATE, and the audit entry chained inline (head, entry and
# head update: a list names no subjects), as for GET /v1/cases.
SQLITE = {
    "GET /v1/work/actions (first page)": 5,
    "GET /v1/work/actions (next page)": 5,
    "GET /v1/work/cases (first page)": 5,
    "GET /v1/work/cases (next page)": 5,
}


async def _world(world: World, cases: int) -> None:
    for i in range(cases):
        case = await world.case("ijam", initial_state="netwerkoverleg", regie_organisation=ORG,
                                participants=(ORG, "gemeente"))
        body = {"actions": [{"description": f"Actie {i}.{j}", "organisation": ORG, "due_date": f"2027-01-{j + 1:02d}"}
                            for j in range(3)]}
        r = await world.client.put(f"/v1/cases/{case['id']}/plan", json=body, headers=world.regisseur)
        assert r.status_code == 200, r.text


async def _counted(app: Any, world: World) -> dict[str, int]:
    client = world.client
    h = world.h(ORG, "medewerker")
    first_actions = (await client.get("/v1/work/actions", params={"limit": 2}, headers=h)).json()
    first_cases = (await client.get("/v1/work/cases", params={"limit": 1}, headers=h)).json()
    requests: dict[str, tuple[Callable[[], Awaitable[httpx.Response]], int]] = {
        "GET /v1/work/actions (first page)": (lambda: client.get("/v1/work/actions", params={"limit": 2},
                                                                  headers=h), 200),
        "GET /v1/work/actions (next page)": (lambda: client.get("/v1/work/actions", headers=h, params={
            "limit": 2, "cursor": first_actions["next_cursor"], "status": "open"}), 200),
        "GET /v1/work/cases (first page)": (lambda: client.get("/v1/work/cases", params={"limit": 1},
                                                                headers=h), 200),
        "GET /v1/work/cases (next page)": (lambda: client.get("/v1/work/cases", headers=h, params={
            "limit": 1, "cursor": first_cases["next_cursor"], "awaiting": "regie"}), 200),
    }
    counted: dict[str, int] = {}
    for name, (call, status) in requests.items():
        await _count(app, call, status)  # warm-up
        counted[name] = len(await _count(app, call, status))
    return counted


async def test_work_list_round_trips(app: Any, world: World) -> None:
    await _world(world, 2)
    small = await _counted(app, world)
    assert small == (EXPECTED if IS_PG else SQLITE)
    # Three times the cases: the same number of statements.
    await _world(world, 4)
    assert await _counted(app, world) == small
