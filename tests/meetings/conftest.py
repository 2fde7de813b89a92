from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.world import World


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Any) -> World:
    return await World(client, auth).setup()


@dataclass
class Agenda:
    meeting: dict[str, Any]
    items: dict[str, str]  # case id -> agenda item id


async def plan_meeting(world: World, *, meeting_type: str = "casusoverleg", invited: list[str],
                       chair: str | None = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"meeting_type": meeting_type, "title": f"{meeting_type} december",
                            "scheduled_at": "2026-12-10T09:00:00Z", "invited_organisations": invited}
    if chair is not None:
        body["chair_organisation"] = chair
    r = await world.client.post("/v1/meetings", json=body, headers=headers or world.regisseur)
    assert r.status_code == 201, r.text
    return r.json()


async def put_on_agenda(world: World, meeting_id: str, case_id: str, question: str = "Hoe verder?") -> str:
    r = await world.client.post(f"/v1/meetings/{meeting_id}/agenda", json={"case_id": case_id, "question": question},
                                headers=world.regisseur)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def decide(world: World, meeting_id: str, item_id: str, body: dict[str, Any],
                 headers: dict[str, str] | None = None) -> httpx.Response:
    return await world.client.post(f"/v1/meetings/{meeting_id}/agenda/{item_id}/decisions", json=body,
                                   headers=headers or world.regisseur)


async def at_weegtafel(world: World, *participants: str) -> dict[str, Any]:
    """A radicalisering case at the regional weegtafel (the gemeente takes part as level owner)."""
    case = await world.case("radicalisering", participants=participants)
    for trigger in ("voorwegen", "naar_weegtafel"):
        r = await world.fire(case["id"], trigger)
        assert r.status_code == 200, r.text
    return dict(r.json())
