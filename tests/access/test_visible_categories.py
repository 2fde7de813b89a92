"""visible_categories: the union of an organisation's categories over the active convenants covering the type."""

from __future__ import annotations

from typing import Any

import httpx

from tests.world import ALL_CATEGORIES, World


async def test_union_over_active_convenants(client: httpx.AsyncClient, auth: Any) -> None:
    world = World(client, auth)
    await world.organisations()
    await world.convenant("c-a", case_types=["ijam"], parties={"zvh-mh": ALL_CATEGORIES, "politie": ["politie"]})
    b = await world.convenant("c-b", case_types=["ijam", "jeugdgroep"],
                              parties={"zvh-mh": ["identificatie"], "politie": ["identificatie", "onderwijs"]})
    await world.convenant("c-c", case_types=["woonoverlast"], parties={"zvh-mh": ["wonen"], "politie": ["wonen"]})
    case = await world.case("ijam", participants=("politie",))
    seen = (await client.get(f"/v1/cases/{case['id']}", headers=auth("politie", "medewerker"))).json()
    assert seen["visible_categories"] == ["identificatie", "onderwijs", "politie"]
    r = await client.post(f"/v1/convenants/{b}/terminate", json={"reason": "einde"}, headers=world.beheerder)
    assert r.status_code == 200
    seen = (await client.get(f"/v1/cases/{case['id']}", headers=auth("politie", "medewerker"))).json()
    assert seen["visible_categories"] == ["politie"]
    assert all(s["withheld"] for s in seen["subjects"])
