"""The jeugdgroep ladder (7-stappenmodel) through the HTTP API.

DOMAIN.md's table is transcribed below as ROWS, with valid data for each trigger, who fires it
here and what makes its guard true. From it: the happy path to afgesloten and back, and for every
trigger each refusal that applies (wrong state 409, wrong role 403, missing data and guard 422).
"""

from __future__ import annotations

import httpx
import pytest

from tests.cases.ladder_kit import Ladder, Row, problem
from tests.world import World

CASE_TYPE = "jeugdgroep"
FIRST = "signalering"

# state -> (step, max_dagen), DOMAIN.md
STATES: dict[str, tuple[str | None, int | None]] = {
    "signalering": ("1", 14),
    "verkenning": ("2A", 14),
    "groepsscan": ("2B", 28),
    "groepsduiding": ("3", 28),
    "prioritering": ("4", 14),
    "planvorming": ("5", 28),
    "uitvoering": ("6", 90),
    "afschaling": ("7", 28),
    "niet_geprioriteerd": (None, 180),
    "afgesloten": (None, None),
}

# Who tries triggers in these tests: name -> (organisation, role). All are convenant parties and take part.
PRINCIPALS: dict[str, tuple[str, str]] = {
    "procesregisseur": ("zvh-mh", "procesregisseur"),
    "bestuurder": ("gemeente", "bestuurder"),
    "medewerker": ("gemeente", "medewerker"),
    "medewerker_politie": ("politie", "medewerker"),
    "casusregisseur": ("gemeente", "casusregisseur"),  # holds regie (REGIE_IN), yet no trigger is its
}
PARTICIPANTS = ("gemeente", "politie")
# Who holds regie in each state here (DOMAIN.md "Regie and level owners"): the gemeente (team OOV) at every step,
# from opening. afgesloten keeps it.
REGIE_IN: dict[str, str] = {s: "gemeente" for s in STATES if s != "afgesloten"}


async def concept_plan(world: World, case_id: str) -> httpx.Response:
    body = {"summary": "Concept plan van aanpak", "actions": []}
    return await world.client.put(f"/v1/cases/{case_id}/plan", json=body, headers=world.regisseur)


async def plan_with_action(world: World, case_id: str) -> httpx.Response:
    body = {"summary": "Plan van aanpak", "actions": [
        {"description": "Groepsgesprekken", "organisation": "politie", "due_date": "2025-06-01"}]}
    return await world.client.put(f"/v1/cases/{case_id}/plan", json=body, headers=world.regisseur)


P = frozenset({"procesregisseur"})
PB = frozenset({"procesregisseur", "bestuurder"})
P_POLITIE = frozenset({"procesregisseur", "medewerker_politie"})
DRIEHOEK = {"besluit_driehoek_datum": "2025-05-01"}

VROEGTIJDIG = {"uitstroomreden": "verhuisd"}

ROWS: list[Row] = [
    Row("start_verkenning", "signalering", "verkenning", P),
    Row("geen_groepsaanpak", "verkenning", "afgesloten", P),
    Row("namenlijst_opstellen", "verkenning", "groepsscan", P, {"noodzaak": "Structurele overlast en intimidatie"}),
    Row("groepsscan_afronden", "groepsscan", "groepsduiding", P_POLITIE, {"groepsscan_datum": "2025-04-01"},
        by="medewerker_politie"),
    Row("duiding_afronden", "groepsduiding", "prioritering", P,
        {"groepsduiding": {"dynamiek": "Hecht", "rollen": "Twee kopstukken", "problematiek": "Vernielingen"}},
        prepare=concept_plan, guard_missing=("plan",)),
    Row("prioriteren", "prioritering", "planvorming", PB, DRIEHOEK, by="bestuurder"),
    Row("niet_prioriteren", "prioritering", "niet_geprioriteerd", PB, DRIEHOEK),
    Row("heroverwegen", "niet_geprioriteerd", "verkenning", P),
    Row("plan_vaststellen", "planvorming", "uitvoering", P, prepare=plan_with_action, guard_missing=("plan.actions",)),
    Row("bijstellen_duiding", "uitvoering", "groepsduiding", P),
    Row("bijstellen_plan", "uitvoering", "planvorming", P),
    Row("afschalen", "uitvoering", "afschaling", P),
    Row("afschalen_niet_mogelijk", "afschaling", "uitvoering", P),
    Row("afsluiten", "afschaling", "afgesloten", P, {"evaluatie": "Groep uiteengevallen, overlast gestopt"}),
    Row("afsluiten", "niet_geprioriteerd", "afgesloten", P),
    # Closing early (DOMAIN.md "Closing a case"): from every other open state, with an uitstroomreden.
    *(Row("afsluiten", s, "afgesloten", P, VROEGTIJDIG) for s in STATES
      if s not in ("afschaling", "niet_geprioriteerd", "afgesloten")),
    Row("heropenen", "afgesloten", "signalering", P),
]

# The happy path: (trigger, who fires it, expected state). Guards are made true by the row's `prepare`.
HAPPY: list[tuple[str, str, str]] = [
    ("start_verkenning", "procesregisseur", "verkenning"),
    ("namenlijst_opstellen", "procesregisseur", "groepsscan"),
    ("groepsscan_afronden", "medewerker_politie", "groepsduiding"),
    ("duiding_afronden", "procesregisseur", "prioritering"),
    ("prioriteren", "bestuurder", "planvorming"),
    ("plan_vaststellen", "procesregisseur", "uitvoering"),
    ("afschalen", "procesregisseur", "afschaling"),
    ("afsluiten", "procesregisseur", "afgesloten"),
    ("heropenen", "procesregisseur", "signalering"),
]

# The ladder kit on this ladder; the tests below use its checks by their short names.
LADDER = Ladder(CASE_TYPE, FIRST, STATES, PRINCIPALS, PARTICIPANTS, ROWS, steps=True, regie=REGIE_IN)
fire, open_case, row, route, move = LADDER.fire, LADDER.open_case, LADDER.row, LADDER.route, LADDER.move
check_happy_path, check_refusals = LADDER.check_happy_path, LADDER.check_refusals


# -- tests ---------------------------------------------------------------------------------------------------------


async def test_happy_path(world: World) -> None:
    case_id = await check_happy_path(world, HAPPY)
    plan = await world.client.get(f"/v1/cases/{case_id}/plan", headers=world.regisseur)
    assert plan.status_code == 200, plan.text
    assert plan.json()["status"] == "vastgesteld" and plan.json()["adopted_at"] is not None


@pytest.mark.parametrize("r", [r for r in ROWS if r.source != r.dest], ids=lambda r: r.id)
async def test_trigger_refusals(world: World, r: Row) -> None:
    await check_refusals(world, r)


async def test_groepsscan_afronden_by_police_medewerker_only(world: World) -> None:
    case = await open_case(world)
    case_id = case["id"]
    # Elsewhere a medewerker may fire nothing, police or not.
    body = problem(await fire(world, case_id, "groepsscan_afronden", {}, "medewerker_politie"), 409)
    assert body["allowed"] == []
    for step in route(FIRST, lambda s: s == "groepsscan"):
        case = await move(world, case, step)
    data = row("groepsscan_afronden", "groepsscan").data
    problem(await fire(world, case_id, "groepsscan_afronden", data, "medewerker"), 403)
    r = await fire(world, case_id, "groepsscan_afronden", data, "medewerker_politie")
    assert r.status_code == 200, r.text
    hist = (await world.client.get(f"/v1/cases/{case_id}/history", headers=world.regisseur)).json()["items"]
    assert (hist[-1]["actor_org"], hist[-1]["actor_role"], hist[-1]["data"]) == ("politie", "medewerker", data)


async def test_duiding_and_plan_guards(world: World) -> None:
    case = await open_case(world)
    case_id = case["id"]
    for step in route(FIRST, lambda s: s == "groepsduiding"):
        case = await move(world, case, step)
    # Each missing part of the duiding is named.
    body = problem(await fire(world, case_id, "duiding_afronden", {"groepsduiding": {"dynamiek": "Hecht"}}), 422)
    assert sorted(body["missing"]) == ["groepsduiding.problematiek", "groepsduiding.rollen"]
    for step in route(case["state"], lambda s: s == "planvorming"):
        case = await move(world, case, step)
    # The concept plan of the duiding has no actions yet.
    body = problem(await fire(world, case_id, "plan_vaststellen", {}), 422)
    assert body["missing"] == ["plan.actions"]
    concept = (await world.client.get(f"/v1/cases/{case_id}/plan", headers=world.regisseur)).json()
    assert concept["status"] == "concept"
    await move(world, case, row("plan_vaststellen", "planvorming"))
    versions = (await world.client.get(f"/v1/cases/{case_id}/plan/versions", headers=world.regisseur)).json()
    assert [(p["version"], p["status"]) for p in versions["items"]] == [(1, "concept"), (2, "vastgesteld")]


async def test_the_groepsduiding_is_on_the_case_for_veiligheid_holders(world: World) -> None:
    """Step 3's duiding is readable on the case (issue 16, jeugdgroep), under veiligheid: the gemeente and the
    politie (veiligheid in the default convenant) see it, a partner without veiligheid does not."""
    case = await open_case(world)
    for step in route(FIRST, lambda s: s == "prioritering"):
        case = await move(world, case, step)
    duiding = LADDER.row("duiding_afronden", "groepsduiding").data["groepsduiding"]
    for org, role, sees in (("gemeente", "medewerker", True), ("politie", "medewerker", True)):
        shown = (await world.client.get(f"/v1/cases/{case['id']}", headers=world.h(org, role))).json()
        assert (shown["details"].get("groepsduiding") == duiding) is sees, org
    r = await world.client.post(f"/v1/cases/{case['id']}/participants", json={"organisation": "woonpunt"},
                                headers=world.regisseur)
    assert r.status_code == 201, r.text
    shown = (await world.client.get(f"/v1/cases/{case['id']}", headers=world.h("woonpunt", "medewerker"))).json()
    assert "groepsduiding" not in shown["details"] and "groepsduiding" in shown["withheld_details"]
