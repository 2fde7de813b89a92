"""`related_case_id` names a case only to a caller who may read it (issue 12, finding 12): a partner that
takes part in a member's case must not learn that the group case behind it exists."""

from __future__ import annotations

import httpx

from tests.world import World


async def test_related_case_is_shown_only_to_who_may_read_it(world: World) -> None:
    group = await world.case("ijam")  # the ZVH's own case; politie takes no part in it
    member = await world.case("ijam", related_case_id=group["id"], participants=("politie",))
    assert member["related_case_id"] == group["id"]  # the opener may read both
    politie = world.h("politie", "medewerker")

    async def related(headers: dict[str, str]) -> str | None:
        r: httpx.Response = await world.client.get(f"/v1/cases/{member['id']}", headers=headers)
        assert r.status_code == 200, r.text
        return r.json()["related_case_id"]

    assert await related(politie) is None
    assert (await world.client.get(f"/v1/cases/{group['id']}", headers=politie)).status_code == 404
    assert await related(world.regisseur) == group["id"]
    r = await world.client.post(f"/v1/cases/{group['id']}/participants", json={"organisation": "politie"},
                                headers=world.regisseur)
    assert r.status_code == 201, r.text
    assert await related(politie) == group["id"]  # now it takes part in the group case too


async def test_a_case_lists_the_cases_that_refer_to_it(world: World) -> None:
    """Navigable both ways (issue 16, ijam): a group case lists its IJAM referrals, filtered like every list, and
    only for a caller who may read the group case (else the answer would tell that it exists)."""
    group = await world.case("jeugdgroep")
    referrals = [await world.case("ijam", related_case_id=group["id"], participants=("politie",)) for _ in range(2)]
    await world.case("ijam")  # no referral

    async def listed(headers: dict[str, str]) -> list[str]:
        r = await world.client.get("/v1/cases", params={"related_case_id": group["id"]}, headers=headers)
        assert r.status_code == 200, r.text
        return sorted(c["id"] for c in r.json()["items"])

    assert await listed(world.regisseur) == sorted(r["id"] for r in referrals)
    politie = world.h("politie", "medewerker")
    assert await listed(politie) == []  # it takes part in the referrals, not in the group case
    r = await world.client.post(f"/v1/cases/{group['id']}/participants", json={"organisation": "politie"},
                                headers=world.regisseur)
    assert r.status_code == 201, r.text
    assert await listed(politie) == sorted(r["id"] for r in referrals)
    bad = await world.client.get("/v1/cases", params={"related_case_id": "geen-uuid"}, headers=world.regisseur)
    assert bad.status_code == 422
