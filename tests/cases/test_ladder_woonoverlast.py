"""The woonoverlast ladder (AVE escalation) through the HTTP API.

DOMAIN.md's table is transcribed below as ROWS, with valid data for each trigger, who fires it
here and what makes its guard true. From it: the happy path to afgesloten and back, and for every
trigger each refusal that applies (wrong state 409, wrong role 403, missing data and guard 422);
then the AVE specials: who may escalate to and decide at bestuurlijk niveau, `oppakken` handing
regie to the casusregie organisation, and `ave_fase_wijzigen` in every open state.
"""

from __future__ import annotations

import pytest

from tests.cases.ladder_kit import Ladder, Row, problem
from tests.world import World

CASE_TYPE = "woonoverlast"
FIRST = "melding"

# state -> (tier, max_dagen), DOMAIN.md
STATES: dict[str, tuple[int | None, int | None]] = {
    "melding": (None, 7),
    "triage": (None, 14),
    "casusniveau": (1, 42),
    "procesniveau": (2, 28),
    "managementniveau": (3, 14),
    "bestuurlijk_niveau": (4, 14),
    "monitoring": (None, 90),
    "afgesloten": (None, None),
}

# Who tries triggers in these tests: name -> (organisation, role). All are convenant parties and take part.
PRINCIPALS: dict[str, tuple[str, str]] = {
    "procesregisseur": ("zvh-mh", "procesregisseur"),
    "bestuurder": ("gemeente", "bestuurder"),
    "medewerker": ("gemeente", "medewerker"),
    "casusregisseur": ("woonpunt", "casusregisseur"),  # its organisation gets regie by `oppakken` (REGIE_IN)
    "casusregisseur_zonder_regie": ("politie", "casusregisseur"),
}
PARTICIPANTS = ("gemeente", "woonpunt", "politie")
REGIE = "woonpunt"

def criteria(a: bool, b: bool, c: bool, d: bool) -> dict[str, bool]:
    return {"a": a, "b": b, "c": c, "d": d}


# Who holds regie in each state here (DOMAIN.md "Regie and level owners": regie moves with the level owner): the
# ZVH (procesregie) at melding, triage, procesniveau and managementniveau, the gemeente at bestuurlijk_niveau, and
# at casusniveau and monitoring the casusregie organisation named at `oppakken` (REGIE), also when the case comes
# back down. afgesloten keeps whatever regie the case had.
REGIE_IN: dict[str, str] = {
    "melding": "zvh-mh",
    "triage": "zvh-mh",
    "casusniveau": REGIE,
    "procesniveau": "zvh-mh",
    "managementniveau": "zvh-mh",
    "bestuurlijk_niveau": "gemeente",
    "monitoring": REGIE,
}

P = frozenset({"procesregisseur"})
B = frozenset({"bestuurder"})


def cp(state: str) -> frozenset[str]:
    """The procesregisseur, and the casusregisseur where its organisation holds regie (app/access/cases.py)."""
    return P | ({"casusregisseur"} if REGIE_IN[state] == PRINCIPALS["casusregisseur"][0] else set())


ESCALATIE = {"escalatiereden": "oneenigheid"}
OPPAKKEN = {"ave_fase": 3, "regie_organisation": REGIE, "criteria": criteria(True, True, True, False)}

VROEGTIJDIG = {"uitstroomreden": "verhuisd"}

ROWS: list[Row] = [
    Row("triage_starten", "melding", "triage", P),
    Row("niet_in_behandeling", "triage", "afgesloten", P),
    Row("oppakken", "triage", "casusniveau", P, OPPAKKEN, guard_missing=("criteria",),
        guard_data={**OPPAKKEN, "criteria": criteria(True, True, False, False)}),
    Row("escaleren", "casusniveau", "procesniveau", cp("casusniveau"), ESCALATIE, by="casusregisseur"),
    Row("escaleren", "procesniveau", "managementniveau", P, ESCALATIE),  # the procesregisseur's only (DOMAIN.md)
    Row("escaleren", "managementniveau", "bestuurlijk_niveau", P, ESCALATIE),
    Row("deescaleren", "procesniveau", "casusniveau", P),
    Row("deescaleren", "managementniveau", "procesniveau", P),
    Row("deescaleren", "bestuurlijk_niveau", "managementniveau", B, by="bestuurder"),
    Row("doorzettingsbesluit", "bestuurlijk_niveau", "procesniveau", B, {"besluit": "Woonpunt zet de huur op"},
        by="bestuurder"),
    Row("afschalen", "casusniveau", "monitoring", cp("casusniveau")),
    Row("heropschalen", "monitoring", "casusniveau", cp("monitoring"), by="casusregisseur"),
    Row("afsluiten", "monitoring", "afgesloten", P),
    # Closing early (DOMAIN.md "Closing a case"): from every other open state, with an uitstroomreden.
    *(Row("afsluiten", s, "afgesloten", P, VROEGTIJDIG) for s in STATES if s not in ("monitoring", "afgesloten")),
    *(Row("ave_fase_wijzigen", s, s, cp(s), {"ave_fase": 2}) for s in STATES if s != "afgesloten"),
    Row("heropenen", "afgesloten", "melding", P),
]

# The happy path: (trigger, who fires it, expected state).
HAPPY: list[tuple[str, str, str]] = [
    ("triage_starten", "procesregisseur", "triage"),
    ("oppakken", "procesregisseur", "casusniveau"),
    ("ave_fase_wijzigen", "casusregisseur", "casusniveau"),
    ("escaleren", "casusregisseur", "procesniveau"),
    ("escaleren", "procesregisseur", "managementniveau"),
    ("escaleren", "procesregisseur", "bestuurlijk_niveau"),
    ("doorzettingsbesluit", "bestuurder", "procesniveau"),
    ("deescaleren", "procesregisseur", "casusniveau"),
    ("afschalen", "casusregisseur", "monitoring"),
    ("afsluiten", "procesregisseur", "afgesloten"),
    ("heropenen", "procesregisseur", "melding"),
]

# The ladder kit on this ladder; the tests below use its checks by their short names.
LADDER = Ladder(CASE_TYPE, FIRST, STATES, PRINCIPALS, PARTICIPANTS, ROWS, regie=REGIE_IN)
headers, fire, get_case, open_case, row = LADDER.headers, LADDER.fire, LADDER.get_case, LADDER.open_case, LADDER.row
route, move, check_happy_path = LADDER.route, LADDER.move, LADDER.check_happy_path
check_refusals = LADDER.check_refusals


# -- tests ---------------------------------------------------------------------------------------------------------


async def test_happy_path(world: World) -> None:
    case_id = await check_happy_path(world, HAPPY)  # each move checks REGIE_IN: oppakken gave REGIE regie
    case = await get_case(world, case_id)
    assert (case["state"], case["regie_organisation"], case["regie_gap"]) == ("melding", "zvh-mh", False)
    assert case["details"]["ave_fase"] == 2


@pytest.mark.parametrize("r", [r for r in ROWS if r.source != r.dest], ids=lambda r: r.id)
async def test_trigger_refusals(world: World, r: Row) -> None:
    await check_refusals(world, r)


# (a, b, c, d) -> may the case be taken up? The AVE intake rule: (a and b and c) or d.
CRITERIA: list[tuple[tuple[bool, bool, bool, bool], bool]] = [
    ((False, False, False, False), False),
    ((True, True, False, False), False),
    ((True, False, True, False), False),
    ((False, True, True, False), False),
    ((True, True, True, False), True),
    ((False, False, False, True), True),
    ((True, True, True, True), True),
]


async def test_oppakken_intake_criteria(world: World) -> None:
    case = await open_case(world)
    case = await move(world, case, row("triage_starten", "melding"))
    for abcd, met in CRITERIA:
        r = await fire(world, case["id"], "oppakken", {**OPPAKKEN, "criteria": criteria(*abcd)})
        if not met:
            assert problem(r, 422)["missing"] == ["criteria"], abcd
            continue
        assert r.status_code == 200, (abcd, r.text)
        assert r.json()["details"]["criteria"] == criteria(*abcd)
        case = await move(world, r.json(), row("afschalen", "casusniveau"))
        case = await move(world, case, row("afsluiten", "monitoring"))
        case = await move(world, case, row("heropenen", "afgesloten"))
        case = await move(world, case, row("triage_starten", "melding"))
    incomplete = {**OPPAKKEN, "criteria": {"a": True, "b": True, "c": True}}
    assert problem(await fire(world, case["id"], "oppakken", incomplete), 422)["missing"] == ["criteria.d"]


async def test_oppakken_hands_regie_to_a_convenant_party(world: World) -> None:
    case = await world.case(CASE_TYPE, participants=("gemeente", "politie"))
    assert case["regie_organisation"] == "zvh-mh"  # melding's level owner, at opening
    assert REGIE not in [p["organisation"] for p in case["participants"]]
    assert (await fire(world, case["id"], "triage_starten", {})).status_code == 200
    # `om` is a known organisation but no party to the convenant; `nergens` does not exist.
    for organisation in ("om", "nergens"):
        body = problem(await fire(world, case["id"], "oppakken", {**OPPAKKEN, "regie_organisation": organisation}),
                       422)
        assert ["body", "data", "regie_organisation"] in [e["loc"] for e in body["errors"]]
    r = await fire(world, case["id"], "oppakken", OPPAKKEN)
    assert r.status_code == 200, r.text
    taken = r.json()
    assert (taken["regie_organisation"], taken["regie_gap"]) == (REGIE, False)
    assert {"organisation": REGIE, "basis": "regie"} in [
        {"organisation": p["organisation"], "basis": p["basis"]} for p in taken["participants"]]
    assert {"organisation": "zvh-mh", "basis": "opener"} in [
        {"organisation": p["organisation"], "basis": p["basis"]} for p in taken["participants"]]
    assert taken["details"] == {"ave_fase": 3, "criteria": criteria(True, True, True, False)}
    # Now the casusregisseur of the regie organisation may escalate; one of another participant may not.
    problem(await fire(world, case["id"], "escaleren", ESCALATIE, "casusregisseur_zonder_regie"), 403)
    r = await fire(world, case["id"], "escaleren", ESCALATIE, "casusregisseur")
    assert r.status_code == 200, r.text
    # At procesniveau regie is the ZVH's again: the casusregisseur may not even change the fase there.
    assert (r.json()["state"], r.json()["regie_organisation"]) == ("procesniveau", "zvh-mh")
    problem(await fire(world, case["id"], "ave_fase_wijzigen", {"ave_fase": 2}, "casusregisseur"), 403)


async def test_oppakken_still_reads_the_key_it_first_had(world: World) -> None:
    """A client written before the one term (`casusregie_organisatie`) keeps working; the history says
    `regie_organisation`, and regie comes back to that organisation at casusniveau."""
    case = await world.case(CASE_TYPE, participants=("gemeente", "politie"))
    assert (await fire(world, case["id"], "triage_starten", {})).status_code == 200
    old = {k: v for k, v in OPPAKKEN.items() if k != "regie_organisation"} | {"casusregie_organisatie": REGIE}
    r = await fire(world, case["id"], "oppakken", old)
    assert r.status_code == 200, r.text
    assert r.json()["regie_organisation"] == REGIE
    hist = (await world.client.get(f"/v1/cases/{case['id']}/history", headers=world.regisseur)).json()
    taken = [e for e in hist["items"] if e["trigger"] == "oppakken"]
    assert [e["data"] for e in taken] == [OPPAKKEN]
    for trigger, state in (("escaleren", "procesniveau"), ("deescaleren", "casusniveau")):
        r = await fire(world, case["id"], trigger, ESCALATIE if trigger == "escaleren" else {})
        assert r.json()["state"] == state, r.text
    assert r.json()["regie_organisation"] == REGIE


async def test_bestuurlijk_niveau_belongs_to_procesregisseur_and_bestuurder(world: World) -> None:
    case = await open_case(world)
    for step in route(FIRST, lambda s: s == "managementniveau"):
        case = await move(world, case, step)
    # Only the procesregisseur escalates to bestuurlijk niveau, not a casusregisseur (nor the one holding regie at
    # casusniveau: regie is the ZVH's here).
    problem(await fire(world, case["id"], "escaleren", ESCALATIE, "casusregisseur"), 403)
    problem(await fire(world, case["id"], "escaleren", ESCALATIE, "bestuurder"), 403)
    case = await move(world, case, row("escaleren", "managementniveau"))
    # There only the bestuurder decides or steps down.
    besluit = row("doorzettingsbesluit", "bestuurlijk_niveau").data
    for who in ("procesregisseur", "casusregisseur", "medewerker"):
        problem(await fire(world, case["id"], "deescaleren", {}, who), 403)
        problem(await fire(world, case["id"], "doorzettingsbesluit", besluit, who), 403)
    listed = await world.client.get(f"/v1/cases/{case['id']}/transitions", headers=headers(world, "bestuurder"))
    assert sorted(t["trigger"] for t in listed.json()) == [
        "deescaleren", "doorzettingsbesluit", "maatregel_registreren"]
    listed = await world.client.get(f"/v1/cases/{case['id']}/transitions", headers=world.regisseur)
    assert [t["trigger"] for t in listed.json()] == ["afsluiten", "ave_fase_wijzigen"]  # closing early, and the fase
    case = await move(world, case, row("doorzettingsbesluit", "bestuurlijk_niveau"))
    hist = (await world.client.get(f"/v1/cases/{case['id']}/history", headers=world.regisseur)).json()["items"]
    assert (hist[-1]["actor_org"], hist[-1]["actor_role"], hist[-1]["data"]) == ("gemeente", "bestuurder", besluit)


async def test_ave_fase_wijzigen_in_every_open_state(world: World) -> None:
    case = await open_case(world)
    for fase, state in enumerate([s for s in STATES if s != "afgesloten"]):
        for step in route(case["state"], lambda s, state=state: s == state):
            case = await move(world, case, step)
        ave_fase = 4 - fase % 4  # never the fase the case already has
        # Only where its organisation holds regie (REGIE_IN) may the casusregisseur change the fase.
        assert case["regie_organisation"] == REGIE_IN[state]
        who = "casusregisseur" if REGIE_IN[state] == REGIE else "procesregisseur"
        if who == "procesregisseur":
            problem(await fire(world, case["id"], "ave_fase_wijzigen", {"ave_fase": ave_fase}, "casusregisseur"), 403)
        if state in (FIRST, "casusniveau"):  # before and after `oppakken` gave regie
            for other in ("casusregisseur_zonder_regie", "medewerker", "bestuurder"):
                problem(await fire(world, case["id"], "ave_fase_wijzigen", {"ave_fase": 1}, other), 403)
            for wrong in ({}, {"ave_fase": 5}, {"ave_fase": "2"}):
                problem(await fire(world, case["id"], "ave_fase_wijzigen", wrong, who), 422)
        case = await move(world, case, Row("ave_fase_wijzigen", state, state, cp(state), {"ave_fase": ave_fase}), who)
        assert case["details"]["ave_fase"] == ave_fase
    for step in route(case["state"], lambda s: s == "afgesloten"):
        case = await move(world, case, step)
    assert problem(await fire(world, case["id"], "ave_fase_wijzigen", {"ave_fase": 1}), 409)["allowed"] == ["heropenen"]
    hist = (await world.client.get(f"/v1/cases/{case['id']}/history", headers=headers(world, "medewerker"))).json()
    changes = [h for h in hist["items"] if h["trigger"] == "ave_fase_wijzigen"]
    assert [h["from_state"] for h in changes] == [s for s in STATES if s != "afgesloten"]
    assert all(h["to_state"] == h["from_state"] and not h["data_withheld"] for h in changes)
    assert [h["data"]["ave_fase"] for h in changes] == [4 - fase % 4 for fase in range(len(changes))]
