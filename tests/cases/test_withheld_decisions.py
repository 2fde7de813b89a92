"""A decision of a category the caller may not see is withheld whole (issue 12, finding 3): the history does
not name its trigger or reason, and a guard's refusal does not name case details the caller may not read."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from tests.world import DEFAULT_PARTIES, World

# A plausible expected release date today (app/workflows/release_dates.py).
RELEASE = (date.today() + timedelta(days=90)).isoformat()


async def _history(world: World, case_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    r = await world.client.get(f"/v1/cases/{case_id}/history", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_the_weegtafel_decision_is_not_named_to_a_partner_without_veiligheid(world: World) -> None:
    assert "veiligheid" not in DEFAULT_PARTIES["ggz"]
    case = await world.case("radicalisering", participants=("ggz",))
    for trigger in ("voorwegen", "naar_weegtafel"):
        assert (await world.fire(case["id"], trigger)).status_code == 200
    r = await world.fire(case["id"], "besluit_strafrechtelijk", {"motivering": "overgedragen aan het OM"})
    assert r.status_code == 200, r.text
    ggz = world.h("ggz", "medewerker")
    last = (await _history(world, case["id"], ggz))[-1]
    assert (last["trigger"], last["trigger_withheld"], last["reason"], last["data"], last["data_withheld"]) == (
        None, True, None, None, True)
    assert (last["from_state"], last["to_state"]) == ("weegtafel", "afgesloten")
    assert "strafrechtelijk" not in str(await _history(world, case["id"], ggz))
    own = (await _history(world, case["id"], world.regisseur))[-1]
    assert (own["trigger"], own["trigger_withheld"]) == ("besluit_strafrechtelijk", False)


async def test_a_guard_names_no_details_the_caller_may_not_read(client: httpx.AsyncClient, auth: Any) -> None:
    # A neighbouring municipality's procesregisseur may close cases, but its convenant grants it no
    # sociaal_domein (the basisvoorwaarden).
    world = await World(client, auth).setup()
    await world.organisations({"buur": "gemeente"})
    await world.convenant("c-buur", case_types=["ex_gedetineerde"],
                          parties={"zvh-mh": ["identificatie"], "buur": ["identificatie", "justitie"]})
    case = await world.case("ex_gedetineerde", participants=("buur",))
    steps = [("screenen", {"verwachte_invrijheidstelling": RELEASE}), ("terugkeer_voorbereiden", {}),
             ("invrijheidstelling", {"invrijheidstelling_datum": "2027-03-02"})]
    for trigger, data in steps:
        assert (await world.fire(case["id"], trigger, data)).status_code == 200
    body = {"details": {"basisvoorwaarden": {"identiteitsbewijs": "geregeld", "onderdak": "geregeld",
                                             "inkomen": "geregeld", "schulden": "geregeld"}}}
    r = await client.patch(f"/v1/cases/{case['id']}", json=body, headers=world.regisseur)
    assert r.status_code == 200, r.text
    buur = world.h("buur", "procesregisseur")
    refused = await world.fire(case["id"], "afsluiten", {}, headers=buur)
    assert refused.status_code == 422, refused.text
    assert refused.json()["missing"] == ["withheld"]
    assert "basisvoorwaarden" not in refused.text and "zorgverzekering" not in refused.text
    named = await world.fire(case["id"], "afsluiten", {})
    assert named.status_code == 422 and named.json()["missing"] == ["basisvoorwaarden.zorgverzekering"]


async def test_triggers_whose_data_one_may_not_write_are_not_offered(world: World) -> None:
    case = await world.case("ex_gedetineerde", regie_organisation="gemeente")
    gemeente = world.h("gemeente", "casusregisseur")  # regie, but no justitie: `screenen` records DJI dates
    offered = await world.client.get(f"/v1/cases/{case['id']}/transitions", headers=gemeente)
    assert offered.status_code == 200
    assert "screenen" not in [t["trigger"] for t in offered.json()]
    assert "screenen" in [t["trigger"] for t in (await world.client.get(
        f"/v1/cases/{case['id']}/transitions", headers=world.regisseur)).json()]
