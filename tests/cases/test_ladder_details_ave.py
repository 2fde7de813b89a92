"""woonoverlast (AVE) at bestuurlijk niveau through the HTTP API (issue 16): the bestuurder records bestuurlijke
maatregelen (`maatregel_registreren`, veiligheid) and the doorzettingsbesluit (wonen) on the case itself, each
shown in the details only to the partners whose convenant grants its category."""

from __future__ import annotations

from typing import Any

import httpx

from tests.cases.ladder_kit import problem
from tests.world import DEFAULT_PARTIES, World

CASE_TYPE = "woonoverlast"
CRITERIA = {"a": True, "b": True, "c": True, "d": False}
OPPAKKEN = {"ave_fase": 4, "regie_organisation": "woonpunt", "criteria": CRITERIA}
GEDRAGSAANWIJZING = {"maatregel": "gedragsaanwijzing", "datum": "2025-03-03", "status": "opgelegd"}
WONINGSLUITING = {"maatregel": "woningsluiting", "datum": "2025-03-10", "status": "voorgenomen",
                  "toelichting": "Sluiting voor drie maanden na vondst hennepkwekerij"}
BESLUIT = {"besluit": "Woonpunt schort de ontbinding van de huur op", "datum": "2025-03-12"}


def bestuurder(world: World) -> dict[str, str]:
    return world.h("gemeente", "bestuurder", sub="burgemeester-1")


async def _ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    return r.json()


async def _case(world: World, case_id: str, headers: dict[str, str]) -> dict[str, Any]:
    return await _ok(await world.client.get(f"/v1/cases/{case_id}", headers=headers))


async def _history(world: World, case_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    return (await _ok(await world.client.get(f"/v1/cases/{case_id}/history", headers=headers)))["items"]


async def at_bestuurlijk_niveau(world: World) -> dict[str, Any]:
    """A case taken up with regie at woonpunt, escalated to bestuurlijk niveau by the procesregisseur (from
    procesniveau up it is the procesregisseur's; the gemeente, a convenant party, comes in as level owner)."""
    case = await world.case(CASE_TYPE, participants=("politie", "ggz"))
    steps = [("triage_starten", {}), ("oppakken", OPPAKKEN),
             *[("escaleren", {"escalatiereden": "oneenigheid"})] * 3]
    for trigger, data in steps:
        case = await _ok(await world.fire(case["id"], trigger, data))
    assert (case["state"], case["tier"]) == ("bestuurlijk_niveau", 4)
    assert "gemeente" in {p["organisation"] for p in case["participants"]}
    return case


async def test_the_bestuurder_records_maatregelen_on_the_case(world: World) -> None:
    case = await at_bestuurlijk_niveau(world)
    offered = await _ok(await world.client.get(f"/v1/cases/{case['id']}/transitions", headers=bestuurder(world)))
    assert {"trigger": "maatregel_registreren", "to": "bestuurlijk_niveau", "data_category": "veiligheid"} in [
        {k: t[k] for k in ("trigger", "to", "data_category")} for t in offered]
    assert sorted(next(t for t in offered if t["trigger"] == "maatregel_registreren")["required_data"]) == [
        "datum", "maatregel", "status"]

    for data in (GEDRAGSAANWIJZING, WONINGSLUITING):
        before = case
        case = await _ok(await world.fire(case["id"], "maatregel_registreren", data, headers=bestuurder(world)))
        # A self transition: same rung, same deadline, one version up.
        assert (case["state"], case["due_at"], case["version"]) == (
            "bestuurlijk_niveau", before["due_at"], before["version"] + 1)
    assert case["details"]["maatregelen"] == [GEDRAGSAANWIJZING, WONINGSLUITING]

    # Those holding veiligheid see them; woonpunt (regie, but wonen only) is told they are withheld.
    for org, role in (("gemeente", "medewerker"), ("politie", "medewerker"), ("zvh-mh", "procesregisseur")):
        seen = await _case(world, case["id"], world.h(org, role))
        assert seen["details"]["maatregelen"] == [GEDRAGSAANWIJZING, WONINGSLUITING], org
        assert "maatregelen" not in seen["withheld_details"], org
    assert "veiligheid" not in DEFAULT_PARTIES["woonpunt"]
    woonpunt = world.h("woonpunt", "casusregisseur")
    hidden = await _case(world, case["id"], woonpunt)
    assert "maatregelen" not in hidden["details"]
    assert hidden["withheld_details"] == ["maatregelen"]
    assert hidden["details"] == {"ave_fase": 4, "criteria": CRITERIA}
    # ... and in the history too: not which measure, nor by which trigger.
    recorded = [h for h in await _history(world, case["id"], woonpunt) if h["from_state"] == h["to_state"]]
    assert len(recorded) == 2
    assert all((h["trigger"], h["reason"], h["data"], h["data_withheld"]) == (None, None, None, True) for h in recorded)
    assert "woningsluiting" not in str(await _history(world, case["id"], woonpunt))
    own = [h for h in await _history(world, case["id"], bestuurder(world)) if h["trigger"] == "maatregel_registreren"]
    assert [(h["data"], h["actor_org"], h["actor_role"]) for h in own] == [
        (GEDRAGSAANWIJZING, "gemeente", "bestuurder"), (WONINGSLUITING, "gemeente", "bestuurder")]


async def test_only_the_bestuurder_records_a_maatregel_and_only_a_known_one(world: World) -> None:
    case = await at_bestuurlijk_niveau(world)
    for headers in (world.h("gemeente", "medewerker"), world.h("woonpunt", "casusregisseur"), world.regisseur):
        problem(await world.fire(case["id"], "maatregel_registreren", GEDRAGSAANWIJZING, headers=headers), 403)

    refusals: list[tuple[dict[str, Any], list[str]]] = [
        ({**GEDRAGSAANWIJZING, "maatregel": "huisverbod"}, ["maatregel"]),
        ({**GEDRAGSAANWIJZING, "status": "overwogen"}, ["status"]),
        ({**GEDRAGSAANWIJZING, "datum": "3 maart"}, ["datum"]),
        ({**GEDRAGSAANWIJZING, "maatregel": "anders"}, ["toelichting"]),  # `anders` says which in the toelichting
        ({**GEDRAGSAANWIJZING, "grondslag": "151d"}, ["grondslag"]),
    ]
    for data, loc in refusals:
        body = problem(await world.fire(case["id"], "maatregel_registreren", data, headers=bestuurder(world)), 422)
        assert [e["loc"] for e in body["errors"]] == [["body", "data", *loc]], data
    body = problem(await world.fire(case["id"], "maatregel_registreren", {"maatregel": "woningsluiting"},
                                    headers=bestuurder(world)), 422)
    assert sorted(body["missing"]) == ["datum", "status"]
    unchanged = await _case(world, case["id"], world.regisseur)
    assert (unchanged["version"], "maatregelen" in unchanged["details"]) == (case["version"], False)

    anders = {"maatregel": "anders", "datum": "2025-04-01", "status": "opgelegd", "toelichting": "Cameratoezicht"}
    case = await _ok(await world.fire(case["id"], "maatregel_registreren", anders, headers=bestuurder(world)))
    assert case["details"]["maatregelen"] == [anders]

    # Only at bestuurlijk niveau: below it the trigger is not on offer.
    case = await _ok(await world.fire(case["id"], "deescaleren", {}, headers=bestuurder(world)))
    body = problem(await world.fire(case["id"], "maatregel_registreren", GEDRAGSAANWIJZING,
                                    headers=bestuurder(world)), 409)
    assert "maatregel_registreren" not in body["allowed"]


async def test_the_doorzettingsbesluit_is_on_the_case(world: World) -> None:
    case = await at_bestuurlijk_niveau(world)
    case = await _ok(await world.fire(case["id"], "maatregel_registreren", GEDRAGSAANWIJZING,
                                      headers=bestuurder(world)))
    case = await _ok(await world.fire(case["id"], "doorzettingsbesluit", BESLUIT, headers=bestuurder(world)))
    assert (case["state"], case["details"]["doorzettingsbesluit"]) == ("procesniveau", BESLUIT)
    # The maatregelen stay on the case when the decision sends it back down.
    assert case["details"]["maatregelen"] == [GEDRAGSAANWIJZING]

    # wonen: woonpunt, which must carry the decision out, reads it; ggz (no wonen) does not, here nor in history.
    woonpunt = await _case(world, case["id"], world.h("woonpunt", "casusregisseur"))
    assert (woonpunt["details"]["doorzettingsbesluit"], woonpunt["withheld_details"]) == (BESLUIT, ["maatregelen"])
    assert "wonen" not in DEFAULT_PARTIES["ggz"]
    ggz = world.h("ggz", "medewerker")
    seen = await _case(world, case["id"], ggz)
    assert "doorzettingsbesluit" not in seen["details"]
    assert seen["withheld_details"] == ["doorzettingsbesluit", "maatregelen"]
    last = (await _history(world, case["id"], ggz))[-1]
    assert (last["trigger"], last["data"], last["data_withheld"]) == (None, None, True)
    assert BESLUIT["besluit"] not in str(await _history(world, case["id"], ggz))

    # A later decision replaces it; without a datum none is recorded (the history has when it was recorded).
    for trigger in ("escaleren", "escaleren"):
        case = await _ok(await world.fire(case["id"], trigger, {"escalatiereden": "stagnatie_samenwerking"}))
    later = {"besluit": "GGZ start bemoeizorg binnen twee weken"}
    case = await _ok(await world.fire(case["id"], "doorzettingsbesluit", later, headers=bestuurder(world)))
    assert case["details"]["doorzettingsbesluit"] == later
    decisions = [h["data"] for h in await _history(world, case["id"], world.regisseur)
                 if h["trigger"] == "doorzettingsbesluit"]
    assert decisions == [BESLUIT, later]


async def test_the_published_ladder_labels_the_maatregelen(world: World) -> None:
    ladder = await _ok(await world.client.get(f"/v1/workflows/{CASE_TYPE}", headers=world.regisseur))
    vocabularies = ladder["vocabularies"]
    assert vocabularies["maatregel"]["gedragsaanwijzing"] == "Gedragsaanwijzing (art. 151d Gemeentewet)"
    assert vocabularies["maatregel"]["woningsluiting"] == "Woningsluiting (art. 174a Gemeentewet)"
    assert set(vocabularies["maatregel"]) == {"gedragsaanwijzing", "woningsluiting", "bestuurlijke_waarschuwing",
                                              "anders"}
    assert set(vocabularies["maatregel_status"]) == {"voorgenomen", "opgelegd", "ingetrokken", "uitgevoerd"}
    assert vocabularies["trigger"]["maatregel_registreren"] == "Bestuurlijke maatregel registreren"
    rows = [(t["from"], t["to"], t["roles"], t["direction"], t["data_category"]) for t in ladder["transitions"]
            if t["trigger"] == "maatregel_registreren"]
    assert rows == [("bestuurlijk_niveau", "bestuurlijk_niveau", ["bestuurder"], "lateral", "veiligheid")]
    doorzetting = next(t for t in ladder["transitions"] if t["trigger"] == "doorzettingsbesluit")
    assert (doorzetting["data_category"], doorzetting["required_data"]["required"]) == ("wonen", ["besluit"])
