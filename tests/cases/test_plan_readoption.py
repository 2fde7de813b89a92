"""Re-adopting a plan (issue 16 item 7): after `bijstellen_plan` the plan is adopted again without a new PUT; that
makes a new adopted version, and the version adopted before keeps its `adopted_at`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from app.kit import clock
from tests.cases.test_ladder_jeugdgroep import DRIEHOEK, concept_plan, plan_with_action
from tests.world import World

T1 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
T2 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Any) -> World:
    return await World(client, auth).setup()


async def _ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.text
    body: dict[str, Any] = r.json()
    return body


async def test_re_adopting_makes_a_new_version_and_keeps_the_first(world: World) -> None:
    with clock.frozen(T1):
        case = await world.case("jeugdgroep", participants=("gemeente", "politie"))
        cid = case["id"]
        await _ok(await world.fire(cid, "start_verkenning"))
        await _ok(await world.fire(cid, "namenlijst_opstellen", {"noodzaak": "Structurele overlast"}))
        await _ok(await world.fire(cid, "groepsscan_afronden", {"groepsscan_datum": "2026-03-01"},
                                   headers=world.h("politie", "medewerker")))
        await _ok(await concept_plan(world, cid))
        await _ok(await world.fire(cid, "duiding_afronden", {"groepsduiding": {
            "dynamiek": "Hecht", "rollen": "Twee kopstukken", "problematiek": "Vernielingen"}}))
        await _ok(await world.fire(cid, "prioriteren", DRIEHOEK, headers=world.h("gemeente", "bestuurder")))
        adopted = await _ok(await plan_with_action(world, cid))
        await _ok(await world.fire(cid, "plan_vaststellen"))
        await _ok(await world.fire(cid, "bijstellen_plan"))
    with clock.frozen(T2):
        await _ok(await world.fire(cid, "plan_vaststellen"))
    versions = (await _ok(await world.client.get(f"/v1/cases/{cid}/plan/versions", headers=world.regisseur)))
    items = versions["items"] if isinstance(versions, dict) and "items" in versions else versions
    adopted_versions = [(v["version"], v["status"], v["adopted_at"]) for v in items if v["status"] == "vastgesteld"]
    first = adopted["version"]
    assert adopted_versions == [(first, "vastgesteld", T1.isoformat().replace("+00:00", "Z")),
                                (first + 1, "vastgesteld", T2.isoformat().replace("+00:00", "Z"))]
    latest = await _ok(await world.client.get(f"/v1/cases/{cid}/plan", headers=world.regisseur))
    assert latest["version"] == first + 1
    assert [a["description"] for a in latest["actions"]] == ["Groepsgesprekken"]
