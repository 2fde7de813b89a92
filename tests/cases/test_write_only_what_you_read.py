"""One may not write data of a category one may not read (issue 12, finding 11): opening a case with details
of such a category, and firing a trigger whose data is of it, are refused like PATCH and notes are."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.world import ALL_CATEGORIES, World

# A plausible expected release date today (app/workflows/release_dates.py).
RELEASE = (date.today() + timedelta(days=90)).isoformat()


async def _audit(world: World, case_id: str) -> list[dict[str, Any]]:
    r = await world.client.get("/v1/audit", params={"case_id": case_id}, headers=world.h("zvh-mh", "auditor"))
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_opening_a_case_with_details_of_an_uncovered_category_is_422(world: World) -> None:
    gemeente = world.h("gemeente", "procesregisseur")  # identificatie, wonen, sociaal_domein, veiligheid
    body = {"case_type": "jeugdgroep", "title": "Groep", "subjects": [{"type": "groep", "name": "De Plek",
                                                                         "area": "Noord"}],
            "details": {"classificatie_legacy": "crimineel"}}  # a police classification: category politie
    r = await world.client.post("/v1/cases", json=body, headers=gemeente)
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"loc": ["body", "details", "classificatie_legacy"],
                                   "msg": "category politie is not covered for you"}]
    listed = await world.client.get("/v1/cases", headers=gemeente)
    assert listed.json()["items"] == []  # nothing was written
    r = await world.client.post("/v1/cases", json=body, headers=world.regisseur)  # the ZVH has politie
    assert r.status_code == 201, r.text
    assert r.json()["details"]["classificatie_legacy"] == "crimineel"


async def test_firing_a_trigger_whose_data_is_of_an_uncovered_category_is_403_and_audited(world: World) -> None:
    assert "justitie" in ALL_CATEGORIES
    case = await world.case("ex_gedetineerde", regie_organisation="gemeente")
    casusregisseur = world.h("gemeente", "casusregisseur")  # holds regie, but no justitie
    data = {"verwachte_invrijheidstelling": RELEASE}  # detention dates come from DJI: justitie
    r = await world.fire(case["id"], "screenen", data, headers=casusregisseur)
    assert r.status_code == 403, r.text
    state = await world.client.get(f"/v1/cases/{case['id']}", headers=world.regisseur)
    assert state.json()["state"] == "aangemeld" and state.json()["version"] == case["version"]
    denied = [e for e in await _audit(world, case["id"]) if e["outcome"] == "denied"]
    assert [(e["action"], e["actor_org"], e["detail"]) for e in denied] == [
        ("case:transition", "gemeente", {"reason": "category justitie not covered"})]
    r = await world.fire(case["id"], "screenen", data)  # the ZVH's procesregisseur sees justitie
    assert r.status_code == 200, r.text
