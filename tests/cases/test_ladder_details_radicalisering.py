"""radicalisering (issue 16): the weegtafel's PGA decision may go together with a criminal-law track
(`besluit_pga` with `ook_strafrechtelijk`), recorded on the case as veiligheid, like the other weegtafel details."""

from __future__ import annotations

from typing import Any

import httpx

from tests.cases.ladder_kit import problem
from tests.world import DEFAULT_PARTIES, World

CASE_TYPE = "radicalisering"
WEGING = {"weegcriteria": {"ideologie": True, "geweldsbereidheid": "middel"},
          "motivering": "Besproken aan de regionale weegtafel"}


async def _ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    return r.json()


async def at_weegtafel(world: World) -> dict[str, Any]:
    case = await world.case(CASE_TYPE, regie_organisation="gemeente", participants=("politie", "ggz"))
    for trigger in ("voorwegen", "naar_weegtafel"):
        case = await _ok(await world.fire(case["id"], trigger))
    return case


async def test_a_pga_together_with_a_criminal_law_track(world: World) -> None:
    case = await at_weegtafel(world)
    # A boolean or nothing: "ja" is refused.
    body = problem(await world.fire(case["id"], "besluit_pga", {**WEGING, "ook_strafrechtelijk": "ja"}), 422)
    assert [e["loc"] for e in body["errors"]] == [["body", "data", "ook_strafrechtelijk"]]

    case = await _ok(await world.fire(case["id"], "besluit_pga", {**WEGING, "ook_strafrechtelijk": True}))
    assert case["state"] == "casusoverleg"
    assert case["details"] == {"weegcriteria": WEGING["weegcriteria"], "weegtafel_besluit": "pga",
                               "ook_strafrechtelijk": True}
    for org in ("gemeente", "politie"):  # veiligheid
        seen = await _ok(await world.client.get(f"/v1/cases/{case['id']}", headers=world.h(org, "medewerker")))
        assert (seen["details"]["ook_strafrechtelijk"], seen["withheld_details"]) == (True, []), org
    assert "veiligheid" not in DEFAULT_PARTIES["ggz"]
    ggz = await _ok(await world.client.get(f"/v1/cases/{case['id']}", headers=world.h("ggz", "medewerker")))
    assert ggz["details"] == {}
    assert ggz["withheld_details"] == ["ook_strafrechtelijk", "weegcriteria", "weegtafel_besluit"]


async def test_a_pga_decision_that_does_not_say_records_nothing(world: World) -> None:
    case = await at_weegtafel(world)
    case = await _ok(await world.fire(case["id"], "besluit_pga", {**WEGING, "ook_strafrechtelijk": True}))
    # Closed and reopened, the next PGA decision says nothing about a criminal-law track: none is left behind.
    case = await _ok(await world.fire(case["id"], "afsluiten", {"uitstroomreden": "detentie"}))
    for trigger in ("heropenen", "voorwegen", "naar_weegtafel"):
        case = await _ok(await world.fire(case["id"], trigger))
    case = await _ok(await world.fire(case["id"], "besluit_pga", WEGING))
    assert "ook_strafrechtelijk" not in case["details"]
    hist = await _ok(await world.client.get(f"/v1/cases/{case['id']}/history", headers=world.regisseur))
    # The history records the decisions as taken: the flag where it was given, no empty key where it was not.
    assert [h["data"] for h in hist["items"] if h["trigger"] == "besluit_pga"] == [
        {**WEGING, "ook_strafrechtelijk": True}, WEGING]

    # An explicit false is recorded as said.
    case = await _ok(await world.fire(case["id"], "afsluiten", {"uitstroomreden": "detentie"}))
    for trigger in ("heropenen", "voorwegen", "naar_weegtafel"):
        case = await _ok(await world.fire(case["id"], trigger))
    case = await _ok(await world.fire(case["id"], "besluit_pga", {**WEGING, "ook_strafrechtelijk": False}))
    assert case["details"]["ook_strafrechtelijk"] is False
