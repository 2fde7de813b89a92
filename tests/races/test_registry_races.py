"""Concurrent writers on convenants (versions, activation, termination) and organisations."""

from __future__ import annotations

from collections.abc import Awaitable

import httpx

from tests.races.racing import WRITERS, assert_audit_chain_unbroken, race, statuses
from tests.world import DEFAULT_PARTIES, World


async def _versions(world: World, convenant_id: str) -> list[dict]:
    r = await world.client.get(f"/v1/convenants/{convenant_id}/versions", headers=world.beheerder)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_concurrent_patches_of_an_active_convenant_make_one_concept(world: World, db_url: str) -> None:
    cid = await world.convenant("race-patch", parties={"zvh-mh": ["identificatie"], "politie": ["identificatie"]})
    responses = await race(lambda i: world.client.patch(
        f"/v1/convenants/{cid}", json={"title": f"Titel {i}"}, headers=world.beheerder))
    assert statuses(responses) == [200] * WRITERS
    assert {r.json()["version"] for r in responses} == {2}
    versions = await _versions(world, cid)
    assert [(v["version"], v["status"]) for v in versions] == [(1, "actief"), (2, "concept")]
    assert versions[1]["title"] in {r.json()["title"] for r in responses}
    await assert_audit_chain_unbroken(world, db_url)


async def test_concurrent_activations_activate_once(world: World, db_url: str) -> None:
    cid = await world.convenant("race-activate", parties={"zvh-mh": ["identificatie"], "politie": ["identificatie"]},
                                activate=False)
    responses = await race(lambda _: world.client.post(f"/v1/convenants/{cid}/activate", headers=world.beheerder))
    assert statuses(responses) == [200] + [409] * (WRITERS - 1)
    assert [(v["version"], v["status"]) for v in await _versions(world, cid)] == [(1, "actief")]
    await assert_audit_chain_unbroken(world, db_url)


async def test_concurrent_terminations_terminate_once(world: World, db_url: str) -> None:
    cid = await world.convenant("race-terminate", parties={"zvh-mh": ["identificatie"], "politie": ["identificatie"]})
    responses = await race(lambda i: world.client.post(
        f"/v1/convenants/{cid}/terminate", json={"reason": f"reden {i}"}, headers=world.beheerder))
    assert statuses(responses) == [200] + [409] * (WRITERS - 1)
    [version] = await _versions(world, cid)
    winner = next(r for r in responses if r.status_code == 200)
    assert version["status"] == "beeindigd" and version["termination_reason"] == winner.json()["termination_reason"]
    await assert_audit_chain_unbroken(world, db_url)


async def test_activate_patch_and_terminate_racing(world: World, db_url: str) -> None:
    """An active v1 with a pending concept v2; activations, edits and terminations at once.

    Whatever the order: exactly one termination applies and nothing changes after it; each applied
    activation replaced the version active before it (an edit of an active convenant starts the next
    concept); the version active at the end is terminated with any pending concept; never two active.
    """
    parties = {"zvh-mh": ["identificatie"], "politie": ["identificatie"]}
    cid = await world.convenant("race-mixed", parties=parties)
    r = await world.client.patch(f"/v1/convenants/{cid}", json={"title": "Versie twee"}, headers=world.beheerder)
    assert r.status_code == 200 and r.json()["version"] == 2, r.text

    def make(i: int) -> Awaitable[httpx.Response]:
        if i % 3 == 0:
            return world.client.post(f"/v1/convenants/{cid}/activate", headers=world.beheerder)
        if i % 3 == 1:
            return world.client.patch(f"/v1/convenants/{cid}", json={"title": f"Titel {i}"},
                                      headers=world.beheerder)
        return world.client.post(f"/v1/convenants/{cid}/terminate", json={"reason": "einde"},
                                 headers=world.beheerder)

    responses = await race(make)
    by_kind: dict[int, list[int]] = {k: sorted(r.status_code for j, r in enumerate(responses) if j % 3 == k)
                                      for k in range(3)}
    assert by_kind[2].count(200) == 1 and set(by_kind[2]) <= {200, 409}, by_kind
    assert set(by_kind[0]) <= {200, 409} and set(by_kind[1]) <= {200, 409}, by_kind
    activated = by_kind[0].count(200)
    states = [v["status"] for v in await _versions(world, cid)]
    assert states[:activated] == ["vervangen"] * activated, (activated, states)
    assert states[activated:] in (["beeindigd"], ["beeindigd", "beeindigd"]), (activated, states)
    await assert_audit_chain_unbroken(world, db_url)


async def test_concurrent_creates_of_one_code(world: World, db_url: str) -> None:
    body = {"code": "race-create", "title": "Convenant", "case_types": ["ijam"], "purposes": ["doel"],
            "legal_basis": "Wgs", "valid_from": "2020-01-01", "valid_until": "2099-12-31", "retention_months": 24,
            "parties": [{"organisation": o, "role": "casuspartner", "data_categories": c}
                        for o, c in list(DEFAULT_PARTIES.items())[:2]]}
    responses = await race(lambda _: world.client.post("/v1/convenants", json=body, headers=world.beheerder))
    assert statuses(responses) == [201] + [409] * (WRITERS - 1)
    listed = (await world.client.get("/v1/convenants", params={"limit": 200}, headers=world.beheerder)).json()
    assert [c["code"] for c in listed["items"]].count("race-create") == 1
    await assert_audit_chain_unbroken(world, db_url)


async def test_concurrent_creates_of_one_organisation(world: World, db_url: str) -> None:
    responses = await race(lambda i: world.client.post(
        "/v1/organisations", json={"code": "race-org", "name": f"Organisatie {i}", "kind": "gemeente"},
        headers=world.beheerder))
    assert statuses(responses) == [201] + [409] * (WRITERS - 1)
    r = await world.client.get("/v1/organisations/race-org", headers=world.beheerder)
    assert r.status_code == 200
    assert r.json()["name"] == next(x for x in responses if x.status_code == 201).json()["name"]
    await assert_audit_chain_unbroken(world, db_url)
