"""Nothing in the append-only audit log should ever need erasing (issue 12, finding 8): a case search by
BSN is recorded as a search of that length, and a BSN in a toelichting as `[nummer]`."""

from __future__ import annotations

from typing import Any

import httpx

from tests.world import World

BSN = "111222333"


async def _entries(world: World, action: str) -> list[dict[str, Any]]:
    r = await world.client.get("/v1/audit", params={"action": action}, headers=world.h("zvh-mh", "auditor"))
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_a_search_by_bsn_is_recorded_without_it(client: httpx.AsyncClient, auth: Any) -> None:
    world = await World(client, auth).setup()
    for q in (BSN, "1112.22.333", "Jansen"):
        r = await client.get("/v1/cases", params={"q": q, "case_type": "ijam"}, headers=world.regisseur)
        assert r.status_code == 200, r.text
    entries = await _entries(world, "case:list")
    assert [e["detail"]["filters"] for e in entries] == [
        {"case_type": "ijam", "q": {"search_length": 6}},
        {"case_type": "ijam", "q": {"search_length": 11}},
        {"case_type": "ijam", "q": {"search_length": 9}},
    ]
    # The searched values themselves, not fragments: "111" can occur in any timestamp or hash.
    for searched in (BSN, "1112.22.333", "Jansen"):
        assert searched not in str(entries)


async def test_a_bsn_in_a_toelichting_is_masked_and_the_rest_kept(client: httpx.AsyncClient, auth: Any) -> None:
    world = await World(client, auth).setup()
    case = await world.case("ijam")
    toelichting = f"Casusoverleg 2026-01-12, BSN {BSN} en 1112.22.333 nagevraagd"
    r = await client.get(f"/v1/cases/{case['id']}", headers=world.regisseur | {"X-Audit-Toelichting": toelichting})
    assert r.status_code == 200, r.text
    (entry,) = [e for e in await _entries(world, "case:read") if e["toelichting"]]
    assert entry["toelichting"] == "Casusoverleg 2026-01-12, BSN [nummer] en [nummer] nagevraagd"
