"""Concurrent writers on one case and what hangs off it: one consistent outcome, never a 5xx.

Transitions racing each other are in tests/cases/test_concurrency.py; here: the case itself (PATCH,
with and without If-Match), the plan (PUT), participants (invite, remove), notes, and writers of
different kinds racing on the same version.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable

import httpx

from tests.audit_helpers import audit_rows
from tests.races.racing import WRITERS, assert_audit_chain_unbroken, race, statuses
from tests.world import World


async def _case(world: World, case_id: str) -> dict:
    r = await world.client.get(f"/v1/cases/{case_id}", headers=world.regisseur)
    assert r.status_code == 200, r.text
    return r.json()


async def test_patch_with_if_match_one_writer_wins(world: World, db_url: str) -> None:
    case = await world.case("ijam")
    responses = await race(lambda i: world.client.patch(
        f"/v1/cases/{case['id']}", json={"title": f"titel {i}"}, headers=world.regisseur | {"If-Match": '"1"'}))
    assert statuses(responses) == [200] + [412] * (WRITERS - 1)
    winner = next(r for r in responses if r.status_code == 200)
    assert winner.headers["ETag"] == '"2"'
    after = await _case(world, case["id"])
    assert after["version"] == 2 and after["title"] == winner.json()["title"]
    assert len(await audit_rows(db_url, action="case:update", outcome="allowed")) == 1
    await assert_audit_chain_unbroken(world, db_url)


async def test_patch_without_if_match_serialises_every_writer(world: World, db_url: str) -> None:
    case = await world.case("ijam")
    responses = await race(lambda i: world.client.patch(
        f"/v1/cases/{case['id']}", json={"summary": f"samenvatting {i}"}, headers=world.regisseur))
    assert statuses(responses) == [200] * WRITERS
    # Each writer saw the case after the one before it: distinct versions, no lost update.
    versions = sorted(r.json()["version"] for r in responses)
    assert versions == list(range(2, WRITERS + 2))
    last = max(responses, key=lambda r: r.json()["version"])
    after = await _case(world, case["id"])
    assert after["version"] == WRITERS + 1 and after["summary"] == last.json()["summary"]
    assert len(await audit_rows(db_url, action="case:update", outcome="allowed")) == WRITERS
    await assert_audit_chain_unbroken(world, db_url)


async def test_concurrent_plan_versions_are_distinct(world: World, db_url: str) -> None:
    case = await world.case("ijam", participants=("politie",))
    responses = await race(lambda i: world.client.put(
        f"/v1/cases/{case['id']}/plan", headers=world.regisseur,
        json={"summary": f"plan {i}", "actions": [{"description": f"actie {i}", "organisation": "politie"}]}))
    assert statuses(responses) == [200] * WRITERS
    assert sorted(r.json()["version"] for r in responses) == list(range(1, WRITERS + 1))
    listed = (await world.client.get(f"/v1/cases/{case['id']}/plan/versions", headers=world.regisseur)).json()
    assert [p["version"] for p in listed["items"]] == list(range(1, WRITERS + 1))
    # Every version is whole: the summary and action that were PUT together stay together.
    assert all(p["actions"][0]["description"] == p["summary"].replace("plan", "actie") for p in listed["items"])
    assert (await _case(world, case["id"]))["version"] == 2 + WRITERS  # opened, invited, then one per plan
    await assert_audit_chain_unbroken(world, db_url)


async def test_concurrent_plan_puts_with_if_match_one_wins(world: World, db_url: str) -> None:
    case = await world.case("ijam")
    responses = await race(lambda i: world.client.put(
        f"/v1/cases/{case['id']}/plan", json={"summary": f"plan {i}"},
        headers=world.regisseur | {"If-Match": f'"{case["version"]}"'}))
    assert statuses(responses) == [200] + [412] * (WRITERS - 1)
    listed = (await world.client.get(f"/v1/cases/{case['id']}/plan/versions", headers=world.regisseur)).json()
    assert [p["version"] for p in listed["items"]] == [1]
    await assert_audit_chain_unbroken(world, db_url)


async def test_concurrent_invites_of_one_organisation(world: World, db_url: str) -> None:
    case = await world.case("ijam")
    responses = await race(lambda _: world.client.post(
        f"/v1/cases/{case['id']}/participants", json={"organisation": "politie"}, headers=world.regisseur))
    assert statuses(responses) == [201] + [409] * (WRITERS - 1)
    participants = (await world.client.get(f"/v1/cases/{case['id']}/participants", headers=world.regisseur)).json()
    assert sorted(p["organisation"] for p in participants["items"]) == ["politie", "zvh-mh"]
    assert (await _case(world, case["id"]))["version"] == 2
    assert len(await audit_rows(db_url, action="participant:create", outcome="allowed")) == 1
    await assert_audit_chain_unbroken(world, db_url)


async def test_concurrent_invites_of_different_organisations_all_land(world: World, db_url: str) -> None:
    case = await world.case("ijam")
    orgs = ["gemeente", "politie", "woonpunt", "ggz"]
    responses = await race(lambda i: world.client.post(
        f"/v1/cases/{case['id']}/participants", json={"organisation": orgs[i]}, headers=world.regisseur), n=4)
    assert statuses(responses) == [201] * 4
    assert sorted(r.headers["ETag"] for r in responses) == ['"2"', '"3"', '"4"', '"5"']
    participants = (await world.client.get(f"/v1/cases/{case['id']}/participants", headers=world.regisseur)).json()
    assert sorted(p["organisation"] for p in participants["items"]) == sorted([*orgs, "zvh-mh"])
    await assert_audit_chain_unbroken(world, db_url)


async def test_concurrent_removal_of_one_participant(world: World, db_url: str) -> None:
    case = await world.case("ijam", participants=("politie",))
    responses = await race(lambda _: world.client.delete(
        f"/v1/cases/{case['id']}/participants/politie", headers=world.regisseur))
    assert statuses(responses) == [204] + [404] * (WRITERS - 1)
    participants = (await world.client.get(f"/v1/cases/{case['id']}/participants", headers=world.regisseur)).json()
    assert [p["organisation"] for p in participants["items"]] == ["zvh-mh"]
    assert (await _case(world, case["id"]))["version"] == 3
    await assert_audit_chain_unbroken(world, db_url)


async def test_invite_racing_removal(world: World, db_url: str) -> None:
    """Invites and removals of one organisation interleave; whatever the order, the end state is one of them."""
    case = await world.case("ijam", participants=("politie",))

    def make(i: int) -> Awaitable[httpx.Response]:
        if i % 2:
            return world.client.delete(f"/v1/cases/{case['id']}/participants/politie", headers=world.regisseur)
        return world.client.post(f"/v1/cases/{case['id']}/participants", json={"organisation": "politie"},
                                 headers=world.regisseur)

    responses = await race(make)
    assert set(statuses(responses)) <= {201, 204, 404, 409}
    applied = sum(r.status_code in (201, 204) for r in responses)
    after = await _case(world, case["id"])
    assert after["version"] == 2 + applied  # opened, invited, then one per applied change
    present = "politie" in {p["organisation"] for p in after["participants"]}
    # Invites and removals alternate as they were applied; starting from present, the count decides the end.
    assert present == (applied % 2 == 0)
    await assert_audit_chain_unbroken(world, db_url)


async def test_concurrent_notes_all_land_once(world: World, db_url: str) -> None:
    case = await world.case("ijam")
    texts = [f"notitie {uuid.uuid4().hex[:8]}" for _ in range(WRITERS)]
    responses = await race(lambda i: world.client.post(
        f"/v1/cases/{case['id']}/notes", json={"category": "zorg", "text": texts[i]}, headers=world.regisseur))
    assert statuses(responses) == [201] * WRITERS
    assert len({r.json()["id"] for r in responses}) == WRITERS
    listed = (await world.client.get(f"/v1/cases/{case['id']}/notes", params={"limit": 200},
                                     headers=world.regisseur)).json()["items"]
    assert sorted(n["text"] for n in listed) == sorted(texts)
    assert len(await audit_rows(db_url, action="note:create", outcome="allowed")) == WRITERS
    await assert_audit_chain_unbroken(world, db_url)


async def test_writers_of_every_kind_on_one_version(world: World, db_url: str) -> None:
    """PATCH, transition, invite, removal and plan PUT all conditional on version 2: exactly one applies."""
    case = await world.case("ijam", participants=("politie",), initial_state="netwerkoverleg")
    cid, h = case["id"], world.regisseur | {"If-Match": '"2"'}
    requests = [
        lambda: world.client.patch(f"/v1/cases/{cid}", json={"title": "nieuw"}, headers=h),
        lambda: world.client.post(f"/v1/cases/{cid}/transitions",
                                  json={"trigger": "afschalen", "reason": "race", "data": {}}, headers=h),
        lambda: world.client.post(f"/v1/cases/{cid}/participants", json={"organisation": "woonpunt"}, headers=h),
        lambda: world.client.delete(f"/v1/cases/{cid}/participants/politie", headers=h),
        lambda: world.client.put(f"/v1/cases/{cid}/plan", json={"summary": "plan"}, headers=h),
    ]
    responses = await race(lambda i: requests[i % len(requests)](), n=2 * len(requests))
    assert sum(r.status_code < 300 for r in responses) == 1, statuses(responses)
    assert sum(r.status_code == 412 for r in responses) == 2 * len(requests) - 1
    assert (await _case(world, cid))["version"] == 3
    await assert_audit_chain_unbroken(world, db_url)
