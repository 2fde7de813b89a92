"""The radicalisering ladder (signal, weegtafel, persoonsgerichte aanpak) through the HTTP API.

DOMAIN.md's table is transcribed below as ROWS, with valid data for each trigger, who fires it
here and what makes its guard true. From it: the happy path to afgesloten and back, and for every
trigger each refusal that applies (wrong state 409, wrong role 403, missing data and guard 422).
"""

from __future__ import annotations

import httpx
import pytest

from tests.cases.ladder_kit import Ladder, Row, problem
from tests.world import World

CASE_TYPE = "radicalisering"
FIRST = "signaal"

# state -> (tier, max_dagen), DOMAIN.md
STATES: dict[str, tuple[int | None, int | None]] = {
    "signaal": (None, 7),
    "voorweging": (None, 14),
    "weegtafel": (None, 28),
    "casusoverleg": (1, 28),
    "monitoring": (1, 90),
    "afgesloten": (None, None),
}

# Who tries triggers in these tests: name -> (organisation, role). All are convenant parties and take part.
PRINCIPALS: dict[str, tuple[str, str]] = {
    "procesregisseur": ("zvh-mh", "procesregisseur"),
    "bestuurder": ("gemeente", "bestuurder"),
    "medewerker": ("gemeente", "medewerker"),
    "medewerker_politie": ("politie", "medewerker"),
    "casusregisseur": ("gemeente", "casusregisseur"),  # the case is opened with regie at the gemeente
}
REGIE = "gemeente"
PARTICIPANTS = ("politie",)  # the gemeente takes part as regie organisation


async def plan(world: World, case_id: str, *actions: str) -> httpx.Response:
    body = {"summary": "Plan van aanpak", "actions": [
        {"description": a, "organisation": "politie", "due_date": "2025-07-01"} for a in actions]}
    return await world.client.put(f"/v1/cases/{case_id}/plan", json=body, headers=world.regisseur)


async def plan_with_action(world: World, case_id: str) -> httpx.Response:
    return await plan(world, case_id, "Gesprek met mentor")


# Who holds regie in each state here (DOMAIN.md "Regie and level owners": regie moves with the level owner): the
# gemeente at signaal, voorweging and weegtafel, the ZVH at casusoverleg and monitoring. afgesloten keeps it.
REGIE_IN: dict[str, str] = {"signaal": REGIE, "voorweging": REGIE, "weegtafel": REGIE,
                            "casusoverleg": "zvh-mh", "monitoring": "zvh-mh"}

P = frozenset({"procesregisseur"})
MOTIVERING = {"motivering": "Besproken aan de regionale weegtafel"}
WEGING = {"weegcriteria": {"ideologie": True, "geweldsbereidheid": "laag"}, **MOTIVERING}

VROEGTIJDIG = {"uitstroomreden": "verhuisd"}

ROWS: list[Row] = [
    Row("voorwegen", "signaal", "voorweging", P),
    Row("geen_zorgen", "voorweging", "afgesloten", P),
    Row("naar_weegtafel", "voorweging", "weegtafel", P),
    Row("besluit_geen_actie", "weegtafel", "afgesloten", P, WEGING),
    Row("besluit_meer_informatie", "weegtafel", "voorweging", P, MOTIVERING),
    Row("besluit_strafrechtelijk", "weegtafel", "afgesloten", P, MOTIVERING),
    Row("besluit_pga", "weegtafel", "casusoverleg", P, WEGING),
    Row("plan_vaststellen", "casusoverleg", "monitoring", P, prepare=plan_with_action, guard_missing=("plan",)),
    Row("bijstellen", "monitoring", "casusoverleg", P),
    Row("afsluiten", "monitoring", "afgesloten", P),
    # Closing early (DOMAIN.md "Closing a case"): from every other open state, with an uitstroomreden.
    *(Row("afsluiten", s, "afgesloten", P, VROEGTIJDIG) for s in STATES if s not in ("monitoring", "afgesloten")),
    Row("heropenen", "afgesloten", "signaal", P),
]

# The happy path: (trigger, who fires it, expected state).
HAPPY: list[tuple[str, str, str]] = [
    ("voorwegen", "procesregisseur", "voorweging"),
    ("naar_weegtafel", "procesregisseur", "weegtafel"),
    ("besluit_meer_informatie", "procesregisseur", "voorweging"),
    ("naar_weegtafel", "procesregisseur", "weegtafel"),
    ("besluit_pga", "procesregisseur", "casusoverleg"),
    ("plan_vaststellen", "procesregisseur", "monitoring"),
    ("bijstellen", "procesregisseur", "casusoverleg"),
    ("plan_vaststellen", "procesregisseur", "monitoring"),
    ("afsluiten", "procesregisseur", "afgesloten"),
    ("heropenen", "procesregisseur", "signaal"),
]

# The ladder kit on this ladder; the tests below use its checks by their short names.
LADDER = Ladder(CASE_TYPE, FIRST, STATES, PRINCIPALS, PARTICIPANTS, ROWS, regie=REGIE_IN)
fire, open_case, row, route, move = LADDER.fire, LADDER.open_case, LADDER.row, LADDER.route, LADDER.move
check_happy_path, check_refusals = LADDER.check_happy_path, LADDER.check_refusals


# -- tests ---------------------------------------------------------------------------------------------------------


async def test_happy_path(world: World) -> None:
    case_id = await check_happy_path(world, HAPPY, regie_organisation=REGIE)
    versions = (await world.client.get(f"/v1/cases/{case_id}/plan/versions", headers=world.regisseur)).json()
    assert [p["status"] for p in versions["items"]] == ["vastgesteld", "vastgesteld"]


@pytest.mark.parametrize("r", [r for r in ROWS if r.source != r.dest], ids=lambda r: r.id)
async def test_trigger_refusals(world: World, r: Row) -> None:
    await check_refusals(world, r, regie_organisation=REGIE)


async def test_plan_vaststellen_needs_a_plan_with_an_action(world: World) -> None:
    case = await open_case(world, regie_organisation=REGIE)
    for step in route(FIRST, lambda s: s == "casusoverleg"):
        case = await move(world, case, step)
    assert problem(await fire(world, case["id"], "plan_vaststellen", {}), 422)["missing"] == ["plan"]
    empty = await plan(world, case["id"])
    assert empty.status_code == 200, empty.text
    assert problem(await fire(world, case["id"], "plan_vaststellen", {}), 422)["missing"] == ["plan.actions"]
    case["version"] += 1
    case = await move(world, case, row("plan_vaststellen", "casusoverleg"))
    adopted = (await world.client.get(f"/v1/cases/{case['id']}/plan", headers=world.regisseur)).json()
    assert (adopted["version"], adopted["status"], len(adopted["actions"])) == (2, "vastgesteld", 1)


async def test_weegtafel_needs_weegcriteria_and_motivering(world: World) -> None:
    case = await open_case(world, regie_organisation=REGIE)
    for step in route(FIRST, lambda s: s == "weegtafel"):
        case = await move(world, case, step)
    for trigger in ("besluit_geen_actie", "besluit_pga"):
        body = problem(await fire(world, case["id"], trigger, MOTIVERING), 422)
        assert body["missing"] == ["weegcriteria"]
        body = problem(await fire(world, case["id"], trigger, {**WEGING, "weegcriteria": {}}), 422)
        assert [e["loc"] for e in body["errors"]] == [["body", "data", "weegcriteria"]]
        body = problem(await fire(world, case["id"], trigger, {**WEGING, "motivering": " "}), 422)
        assert [e["loc"] for e in body["errors"]] == [["body", "data", "motivering"]]
