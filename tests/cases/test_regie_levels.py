"""Regie where the domain puts it (issue 16 item 1; DOMAIN.md "Regie and level owners"): opening a case and entering
a state give regie to the state's level owner when exactly one organisation of that kind is a convenant party (or
takes part); otherwise regie stays and the case shows `regie_gap`; the history names the regie holder at every step.
Walked on IJAM, whose tiers belong to the school, the municipality and the ZVH in turn."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.audit_helpers import audit_rows
from tests.world import DEFAULT_PARTIES, World

PGA = {"criteria": {"a": False, "b": False, "c": False, "d": True}}


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Any) -> World:
    """The default world, with the school party to the convenant (IJAM's first tier is the school's)."""
    w = World(client, auth)
    await w.organisations()
    await w.convenant(parties=DEFAULT_PARTIES | {"school": ["identificatie", "onderwijs"]})
    return w


async def _ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.text
    body: dict[str, Any] = r.json()
    return body


async def _case(world: World, case_id: str) -> dict[str, Any]:
    return await _ok(await world.client.get(f"/v1/cases/{case_id}", headers=world.regisseur))


async def test_regie_moves_with_the_level_and_the_history_names_it(world: World, db_url: str) -> None:
    case = await world.case("ijam")  # knooppunt_school: the school's
    assert case["regie_organisation"] == "school" and case["regie_gap"] is False
    assert {p["organisation"]: p["basis"] for p in case["participants"]} == {"zvh-mh": "opener", "school": "regie"}
    cid = case["id"]
    await _ok(await world.fire(cid, "opschalen"))  # netwerkoverleg: the municipality's
    moved = await _case(world, cid)
    assert moved["regie_organisation"] == "gemeente" and moved["regie_gap"] is False
    assert {p["organisation"]: p["basis"] for p in moved["participants"]} == {
        "zvh-mh": "opener", "school": "deelnemer", "gemeente": "regie"}
    await _ok(await world.fire(cid, "opschalen"))  # jonge_aanwas: the municipality's still
    await _ok(await world.fire(cid, "opschalen", PGA))  # pga: the ZVH's
    assert (await _case(world, cid))["regie_organisation"] == "zvh-mh"
    history = (await _ok(await world.client.get(f"/v1/cases/{cid}/history", headers=world.regisseur)))["items"]
    assert [(h["to_state"], h["regie_organisation"]) for h in history] == [
        ("knooppunt_school", "school"), ("netwerkoverleg", "gemeente"), ("jonge_aanwas", "gemeente"),
        ("pga", "zvh-mh")]
    updates = [e for e in await audit_rows(db_url, action="case:update", case_id=uuid.UUID(cid))
               if e.actor_sub == "systeem"]
    assert [(e.detail["state"], e.detail["regie_organisation"], e.detail["previous"]) for e in updates] == [
        ("knooppunt_school", "school", None), ("netwerkoverleg", "gemeente", "school"),
        ("pga", "zvh-mh", "gemeente")]
    # The gemeente was brought in by systeem (it took no part before), the ZVH already took part.
    invited = await audit_rows(db_url, action="participant:create", actor_sub="systeem")
    assert sorted(e.object_id for e in invited) == ["gemeente", "school"]


async def test_a_regie_named_at_opening_is_kept(world: World) -> None:
    case = await world.case("ijam", initial_state="netwerkoverleg", regie_organisation="politie")
    assert case["regie_organisation"] == "politie"
    assert case["regie_gap"] is True  # netwerkoverleg is the municipality's: a portal warns


async def test_several_candidates_leave_regie_to_the_procesregisseur(world: World) -> None:
    await world.organisations({"gemeente-buur": "gemeente"})
    await world.convenant("buur", case_types=["ijam"], parties={"zvh-mh": ["identificatie"],
                                                                "gemeente-buur": ["identificatie"]})
    case = await world.case("ijam", initial_state="netwerkoverleg")
    assert case["regie_organisation"] is None and case["regie_gap"] is True
    assert [p["organisation"] for p in case["participants"]] == ["zvh-mh"]  # nobody brought in
    r = await world.client.patch(f"/v1/cases/{case['id']}", json={"regie_organisation": "gemeente"},
                                 headers=world.regisseur | {"If-Match": f'"{case["version"]}"'})
    named = await _ok(r)
    assert named["regie_organisation"] == "gemeente" and named["regie_gap"] is False


async def test_several_candidates_but_one_taking_part_gives_it_regie(world: World) -> None:
    await world.organisations({"gemeente-buur": "gemeente"})
    await world.convenant("buur", case_types=["ijam"], parties={"zvh-mh": ["identificatie"],
                                                                "gemeente-buur": ["identificatie"]})
    case = await world.case("ijam", participants=("gemeente-buur",))  # knooppunt_school: no school party here
    moved = await _ok(await world.fire(case["id"], "opschalen"))
    # gemeente and gemeente-buur are both party; only gemeente-buur takes part: no one needs naming.
    assert (moved["state"], moved["regie_organisation"], moved["regie_gap"]) == ("netwerkoverleg", "gemeente-buur",
                                                                                 False)
    assert "gemeente" not in [p["organisation"] for p in moved["participants"]]


async def test_without_a_party_of_the_owner_kind_regie_stays_and_the_gap_shows(
    client: httpx.AsyncClient, auth: Any
) -> None:
    world = await World(client, auth).setup()  # the default convenant: no school
    case = await world.case("ijam")
    assert case["regie_organisation"] is None and case["regie_gap"] is True
    await _ok(await world.fire(case["id"], "opschalen"))
    moved = await _case(world, case["id"])
    assert moved["regie_organisation"] == "gemeente" and moved["regie_gap"] is False
