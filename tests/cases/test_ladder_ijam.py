"""The ijam ladder (Integrale Jeugdaanpak Maastricht, four tiers) through the HTTP API.

DOMAIN.md's table is transcribed below as ROWS, with valid data for each trigger, who fires it
here and what makes its guard true. From it: the happy path to afgesloten and back, and for every
trigger each refusal that applies (wrong state 409, wrong role 403, missing data and guard 422);
then opening at any tier and the pga criteria `(a and b and c) or d` both ways.
"""

from __future__ import annotations

import pytest

from tests.cases.ladder_kit import Ladder, Row, problem
from tests.world import World

CASE_TYPE = "ijam"
FIRST = "knooppunt_school"

# state -> (tier, max_dagen), DOMAIN.md
STATES: dict[str, tuple[int | None, int | None]] = {
    "knooppunt_school": (1, 60),
    "netwerkoverleg": (2, 60),
    "jonge_aanwas": (3, 60),
    "pga": (4, 90),
    "afgesloten": (None, None),
}
TIERS = [s for s in STATES if s != "afgesloten"]

# Who tries triggers in these tests: name -> (organisation, role). All are convenant parties and take part.
PRINCIPALS: dict[str, tuple[str, str]] = {
    "procesregisseur": ("zvh-mh", "procesregisseur"),
    "bestuurder": ("gemeente", "bestuurder"),
    "medewerker": ("gemeente", "medewerker"),
    "casusregisseur": ("gemeente", "casusregisseur"),  # the case is opened with regie at the gemeente (REGIE_IN)
    "casusregisseur_zonder_regie": ("politie", "casusregisseur"),
}
REGIE = "gemeente"
PARTICIPANTS = ("politie",)  # the gemeente takes part as regie organisation

def criteria(a: bool, b: bool, c: bool, d: bool) -> dict[str, bool]:
    return {"a": a, "b": b, "c": c, "d": d}


# Who holds regie in each state here (DOMAIN.md "Regie and level owners": regie moves with the level owner). The
# case is opened naming the gemeente; knooppunt_school's owner (onderwijs) is no convenant party in this world, so
# there regie stays where it was (the case shows regie_gap): REGIE where the tests below reach it, from the opening
# or from netwerkoverleg. The gemeente owns the two municipal tables, the ZVH the pga. afgesloten keeps whatever
# regie the case had.
REGIE_IN: dict[str, str] = {
    "knooppunt_school": REGIE,
    "netwerkoverleg": "gemeente",
    "jonge_aanwas": "gemeente",
    "pga": "zvh-mh",
}
# What every move checks: not knooppunt_school, where regie depends on the way in (heropenen after closing at the
# pga leaves it at the ZVH).
REGIE_CHECKED = {state: org for state, org in REGIE_IN.items() if state != "knooppunt_school"}

P = frozenset({"procesregisseur"})


def pc(state: str) -> frozenset[str]:
    """The procesregisseur, and the casusregisseur where its organisation holds regie (app/access/cases.py)."""
    return P | ({"casusregisseur"} if REGIE_IN[state] == PRINCIPALS["casusregisseur"][0] else set())


ROWS: list[Row] = [
    Row("opschalen", "knooppunt_school", "netwerkoverleg", pc("knooppunt_school"), by="casusregisseur"),
    Row("opschalen", "netwerkoverleg", "jonge_aanwas", pc("netwerkoverleg")),
    Row("opschalen", "jonge_aanwas", "pga", pc("jonge_aanwas"), {"criteria": criteria(False, False, False, True)},
        by="casusregisseur", guard_missing=("criteria",), guard_data={"criteria": criteria(True, True, False, False)}),
    Row("afschalen", "netwerkoverleg", "knooppunt_school", pc("netwerkoverleg")),
    Row("afschalen", "jonge_aanwas", "netwerkoverleg", pc("jonge_aanwas"), by="casusregisseur"),
    Row("afschalen", "pga", "jonge_aanwas", pc("pga")),
    *(Row("afsluiten", tier, "afgesloten", P) for tier in TIERS),
    Row("heropenen", "afgesloten", "knooppunt_school", P),
]

# The happy path: (trigger, who fires it, expected state).
HAPPY: list[tuple[str, str, str]] = [
    ("opschalen", "casusregisseur", "netwerkoverleg"),
    ("opschalen", "procesregisseur", "jonge_aanwas"),
    ("opschalen", "casusregisseur", "pga"),
    ("afschalen", "procesregisseur", "jonge_aanwas"),  # at the pga regie is the ZVH's
    ("afschalen", "casusregisseur", "netwerkoverleg"),
    ("afsluiten", "procesregisseur", "afgesloten"),
    ("heropenen", "procesregisseur", "knooppunt_school"),
]

# The ladder kit on this ladder; the tests below use its checks by their short names.
LADDER = Ladder(CASE_TYPE, FIRST, STATES, PRINCIPALS, PARTICIPANTS, ROWS, regie=REGIE_CHECKED)
fire, get_case, open_case, assert_in_state = LADDER.fire, LADDER.get_case, LADDER.open_case, LADDER.assert_in_state
row, move, check_happy_path, check_refusals = LADDER.row, LADDER.move, LADDER.check_happy_path, LADDER.check_refusals


# -- tests ---------------------------------------------------------------------------------------------------------


async def test_happy_path(world: World) -> None:
    case_id = await check_happy_path(world, HAPPY, regie_organisation=REGIE)
    case = await get_case(world, case_id)
    # Back at knooppunt_school: no onderwijs party to give regie to, so the gemeente keeps it and the gap shows.
    assert (case["state"], case["regie_organisation"], case["regie_gap"]) == ("knooppunt_school", REGIE, True)
    assert "criteria" not in case["details"]  # afschalen below pga cleared them (DOMAIN.md ijam)


@pytest.mark.parametrize("r", [r for r in ROWS if r.source != r.dest], ids=lambda r: r.id)
async def test_trigger_refusals(world: World, r: Row) -> None:
    await check_refusals(world, r, regie_organisation=REGIE)


async def test_a_case_opens_at_any_tier_and_reopens_at_the_first(world: World) -> None:
    for tier in TIERS:
        # Opening at pga passes the criteria guard of opschalen into it (DOMAIN.md ijam).
        details = {"criteria": criteria(False, False, False, True)} if tier == "pga" else {}
        case = await open_case(world, regie_organisation=REGIE, initial_state=tier, details=details)
        assert_in_state(case, tier)
    case = await move(world, case, row("afsluiten", "pga"))
    case = await move(world, case, row("heropenen", "afgesloten"))
    assert case["state"] == FIRST
    for wrong in ("afgesloten", "onbekend"):
        body = {"case_type": CASE_TYPE, "title": "Jongere", "initial_state": wrong,
                "subjects": [{"type": "persoon", "name": "Jongere Twee"}]}
        r = await world.client.post("/v1/cases", json=body, headers=world.regisseur)
        assert ["body", "initial_state"] in [e["loc"] for e in problem(r, 422)["errors"]]


# (a, b, c, d) -> may the young person be taken up in the pga? (a and b and c) or d, every combination.
CRITERIA: list[tuple[tuple[bool, bool, bool, bool], bool]] = [
    ((False, False, False, False), False),
    ((True, False, False, False), False),
    ((False, True, False, False), False),
    ((False, False, True, False), False),
    ((True, True, False, False), False),
    ((True, False, True, False), False),
    ((False, True, True, False), False),
    ((True, True, True, False), True),
    ((False, False, False, True), True),
    ((True, False, False, True), True),
    ((False, True, False, True), True),
    ((False, False, True, True), True),
    ((True, True, False, True), True),
    ((True, False, True, True), True),
    ((False, True, True, True), True),
    ((True, True, True, True), True),
]


async def test_opschalen_to_pga_criteria(world: World) -> None:
    case = await open_case(world, regie_organisation=REGIE, initial_state="jonge_aanwas")
    for abcd, met in CRITERIA:
        r = await fire(world, case["id"], "opschalen", {"criteria": criteria(*abcd)}, "casusregisseur")
        if not met:
            body = problem(r, 422)
            assert body["missing"] == ["criteria"], abcd
            continue
        assert r.status_code == 200, (abcd, r.text)
        assert (r.json()["state"], r.json()["details"]["criteria"]) == ("pga", criteria(*abcd))
        # At the top regie is the ZVH's: the gemeente's casusregisseur is offered nothing and may not act there;
        # the procesregisseur may step down or close.
        assert r.json()["regie_organisation"] == REGIE_IN["pga"]
        offered = await world.client.get(f"/v1/cases/{case['id']}/transitions",
                                         headers=LADDER.headers(world, "casusregisseur"))
        assert (offered.status_code, offered.json()) == (200, [])
        problem(await fire(world, case["id"], "afschalen", {}, "casusregisseur"), 403)
        top = problem(await fire(world, case["id"], "opschalen", {}), 409)
        assert top["allowed"] == ["afschalen", "afsluiten"]
        case = await move(world, r.json(), row("afschalen", "pga"))
    # The criteria are required, complete and booleans; below pga none are asked.
    for wrong, named in (({}, ["criteria"]), ({"criteria": {"a": True, "b": True, "c": True}}, ["criteria.d"])):
        assert problem(await fire(world, case["id"], "opschalen", wrong), 422)["missing"] == named
    body = problem(await fire(world, case["id"], "opschalen", {"criteria": {**criteria(True, True, True, False),
                                                                           "d": "ja"}}), 422)
    assert [e["loc"] for e in body["errors"]] == [["body", "data", "criteria", "d"]]
    case = await move(world, case, row("afschalen", "jonge_aanwas"))
    problem(await fire(world, case["id"], "opschalen", {"criteria": criteria(True, True, True, True)}), 422)
    hist = (await world.client.get(f"/v1/cases/{case['id']}/history", headers=world.regisseur)).json()["items"]
    upward = [h["data"]["criteria"] for h in hist if h["trigger"] == "opschalen"]
    assert upward == [criteria(*abcd) for abcd, met in CRITERIA if met]
