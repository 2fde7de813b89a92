"""The woonoverlast ladder (AVE escalation) through the HTTP API.

DOMAIN.md's table is transcribed below as ROWS, with valid data for each trigger, who fires it
here and what makes its guard true. From it: the happy path to afgesloten and back, and for every
trigger each refusal that applies (wrong state 409, wrong role 403, missing data and guard 422);
then the AVE specials: who may escalate to and decide at bestuurlijk niveau, `oppakken` handing
regie to the casusregie organisation, and `ave_fase_wijzigen` in every open state.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

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
    "casusregisseur": ("woonpunt", "casusregisseur"),  # its organisation gets regie by `oppakken`
    "casusregisseur_zonder_regie": ("politie", "casusregisseur"),
}
PARTICIPANTS = ("gemeente", "woonpunt", "politie")
REGIE = "woonpunt"

Prepare = Callable[[World, str], Awaitable[httpx.Response]]


@dataclass(frozen=True, eq=False)
class Row:
    trigger: str
    source: str
    dest: str
    who: frozenset[str]  # PRINCIPALS that may fire it
    data: dict[str, Any] = field(default_factory=dict)  # valid data; its keys are all required
    by: str = "procesregisseur"  # who fires it when a test moves the case
    prepare: Prepare | None = None  # makes the guard true
    guard_missing: tuple[str, ...] = ()  # what the 422 names while the guard is false ...
    guard_data: dict[str, Any] | None = None  # ... with this data (default: `data`, before `prepare`)

    @property
    def id(self) -> str:
        return f"{self.trigger}@{self.source}"


def criteria(a: bool, b: bool, c: bool, d: bool) -> dict[str, bool]:
    return {"a": a, "b": b, "c": c, "d": d}


P = frozenset({"procesregisseur"})
CP = frozenset({"procesregisseur", "casusregisseur"})
B = frozenset({"bestuurder"})
ESCALATIE = {"escalatiereden": "oneenigheid"}
OPPAKKEN = {"ave_fase": 3, "casusregie_organisatie": REGIE, "criteria": criteria(True, True, True, False)}

ROWS: list[Row] = [
    Row("triage_starten", "melding", "triage", P),
    Row("niet_in_behandeling", "triage", "afgesloten", P),
    Row("oppakken", "triage", "casusniveau", P, OPPAKKEN, guard_missing=("criteria",),
        guard_data={**OPPAKKEN, "criteria": criteria(True, True, False, False)}),
    Row("escaleren", "casusniveau", "procesniveau", CP, ESCALATIE, by="casusregisseur"),
    Row("escaleren", "procesniveau", "managementniveau", CP, ESCALATIE),
    Row("escaleren", "managementniveau", "bestuurlijk_niveau", P, ESCALATIE),
    Row("deescaleren", "procesniveau", "casusniveau", P),
    Row("deescaleren", "managementniveau", "procesniveau", P),
    Row("deescaleren", "bestuurlijk_niveau", "managementniveau", B, by="bestuurder"),
    Row("doorzettingsbesluit", "bestuurlijk_niveau", "procesniveau", B, {"besluit": "Woonpunt zet de huur op"},
        by="bestuurder"),
    Row("afschalen", "casusniveau", "monitoring", CP),
    Row("heropschalen", "monitoring", "casusniveau", CP, by="casusregisseur"),
    Row("afsluiten", "monitoring", "afgesloten", P),
    *(Row("ave_fase_wijzigen", s, s, CP, {"ave_fase": 2}) for s in STATES if s != "afgesloten"),
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


def assert_in_state(case: dict[str, Any], state: str) -> None:
    """State, tier and the deadline of DOMAIN.md: due_at is entry + max_dagen, closed_at only at afgesloten."""
    tier, max_dagen = STATES[state]
    assert (case["state"], case["tier"]) == (state, tier)
    entered = datetime.fromisoformat(case["updated_at"])
    due = datetime.fromisoformat(case["due_at"]) - entered if case["due_at"] else None
    assert due == (timedelta(days=max_dagen) if max_dagen else None)
    assert (case["closed_at"] is not None) == (state == "afgesloten")


# -- the ladder kit (the same in every test_ladder_*.py) ----------------------------------------------------------


def headers(world: World, who: str) -> dict[str, str]:
    org, role = PRINCIPALS[who]
    return world.h(org, role, sub=f"{who}-1")


def reason(trigger: str) -> str:
    return f"Overleg besloot: {trigger}"


async def fire(world: World, case_id: str, trigger: str, data: dict[str, Any], who: str = "procesregisseur",
               ) -> httpx.Response:
    body = {"trigger": trigger, "reason": reason(trigger), "data": data}
    return await world.client.post(f"/v1/cases/{case_id}/transitions", json=body, headers=headers(world, who))


async def get_case(world: World, case_id: str) -> dict[str, Any]:
    r = await world.client.get(f"/v1/cases/{case_id}", headers=world.regisseur)
    assert r.status_code == 200, r.text
    return r.json()


async def open_case(world: World, **extra: Any) -> dict[str, Any]:
    """A new case in which every PRINCIPAL takes part; its `version` counts the invitations."""
    case = await world.case(CASE_TYPE, **extra)
    assert_in_state(case, case["state"])
    for org in PARTICIPANTS:
        r = await world.client.post(f"/v1/cases/{case['id']}/participants", json={"organisation": org},
                                    headers=world.regisseur)
        assert r.status_code == 201, r.text
        case["version"] += 1
        assert r.headers["etag"] == f'"{case["version"]}"'
    return case


def row(trigger: str, source: str) -> Row:
    return next(r for r in ROWS if (r.trigger, r.source) == (trigger, source))


def fires_from(trigger: str, state: str) -> bool:
    return any((r.trigger, r.source) == (trigger, state) for r in ROWS)


def allowed(who: str, state: str) -> list[str]:
    return sorted({r.trigger for r in ROWS if r.source == state and who in r.who})


def route(start: str, goal: Callable[[str], bool]) -> list[Row]:
    """The shortest way through ROWS from `start` to a state satisfying `goal` (self transitions skipped)."""
    paths: dict[str, list[Row]] = {start: []}
    todo = deque([start])
    while todo:
        state = todo.popleft()
        if goal(state):
            return paths[state]
        for r in ROWS:
            if r.source == state and r.dest not in paths:
                paths[r.dest] = [*paths[state], r]
                todo.append(r.dest)
    raise AssertionError(f"no route from {start}")


def problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


async def move(world: World, case: dict[str, Any], r: Row, who: str | None = None) -> dict[str, Any]:
    """Fire a row (after its `prepare`) and check the case moved, each write one version up."""
    version = case["version"]
    if r.prepare is not None:
        prepared = await r.prepare(world, case["id"])
        assert prepared.status_code in (200, 201), prepared.text
        version += 1
        assert prepared.headers["etag"] == f'"{version}"'
    res = await fire(world, case["id"], r.trigger, r.data, who or r.by)
    assert res.status_code == 200, res.text
    moved = res.json()
    if r.source == r.dest:  # a self transition keeps the state and its deadline
        assert (moved["state"], moved["due_at"]) == (case["state"], case["due_at"])
    else:
        assert_in_state(moved, r.dest)
    assert moved["version"] == version + 1
    assert res.headers["etag"] == f'"{moved["version"]}"'
    return moved


async def assert_wrong_state(world: World, case_id: str, r: Row, state: str) -> None:
    body = problem(await fire(world, case_id, r.trigger, r.data), 409)
    assert body["allowed"] == allowed("procesregisseur", state)


async def check_refusals(world: World, r: Row, **extra: Any) -> None:
    """Every refusal that applies to this row, then the transition itself."""
    case = await open_case(world, **extra)
    case_id = case["id"]
    wrong_state_checked = False
    for step in route(FIRST, lambda s: s == r.source):
        if not wrong_state_checked and not fires_from(r.trigger, case["state"]):
            await assert_wrong_state(world, case_id, r, case["state"])
            wrong_state_checked = True
        case = await move(world, case, step)

    # Wrong role: 403 for everyone the ladder does not name; everyone it names is offered the trigger.
    for who in PRINCIPALS:
        if who in r.who:
            listed = await world.client.get(f"/v1/cases/{case_id}/transitions", headers=headers(world, who))
            assert listed.status_code == 200, listed.text
            offered = {t["trigger"]: t["required_data"] for t in listed.json()}
            assert sorted(offered[r.trigger]) == sorted(r.data), who
        else:
            problem(await fire(world, case_id, r.trigger, r.data, who), 403)

    # Missing data: every trigger takes a reason; the 422 names every missing key.
    no_reason = await world.client.post(f"/v1/cases/{case_id}/transitions", json={"trigger": r.trigger,
                                        "data": r.data}, headers=headers(world, r.by))
    assert ["body", "reason"] in [e["loc"] for e in problem(no_reason, 422)["errors"]]
    if r.data:
        body = problem(await fire(world, case_id, r.trigger, {}, r.by), 422)
        assert sorted(body["missing"]) == sorted(r.data)
        assert sorted(e["loc"][-1] for e in body["errors"]) == sorted(r.data)

    # Guard false: 422 naming what is missing, before `prepare` makes it true.
    if r.guard_missing:
        guard_data = r.data if r.guard_data is None else r.guard_data
        body = problem(await fire(world, case_id, r.trigger, guard_data, r.by), 422)
        assert body["missing"] == list(r.guard_missing)

    after = await get_case(world, case_id)
    assert (after["state"], after["version"]) == (case["state"], case["version"]), "a refusal changed the case"

    case = await move(world, case, r)
    if not wrong_state_checked:
        for step in route(case["state"], lambda s: not fires_from(r.trigger, s)):
            case = await move(world, case, step)
        await assert_wrong_state(world, case_id, r, case["state"])


async def check_happy_path(world: World, happy: list[tuple[str, str, str]], **extra: Any) -> str:
    """Walk `happy` from a new case, checking every step and the history; returns the case id."""
    case = await open_case(world, **extra)
    expected = [("aanmaken", None, FIRST, "zvh-mh", "procesregisseur", "casus geopend")]
    for trigger, who, dest in happy:
        r = row(trigger, case["state"])
        assert r.dest == dest
        expected.append((trigger, case["state"], dest, *PRINCIPALS[who], reason(trigger)))
        case = await move(world, case, r, who)
        if dest == "afgesloten":
            for other in sorted({x.trigger for x in ROWS} - {"heropenen"}):
                body = problem(await fire(world, case["id"], other, {}), 409)
                assert body["allowed"] == ["heropenen"], other

    hist = await world.client.get(f"/v1/cases/{case['id']}/history", headers=world.regisseur)
    assert hist.status_code == 200, hist.text
    items = hist.json()["items"]
    assert [(h["trigger"], h["from_state"], h["to_state"], h["actor_org"], h["actor_role"], h["reason"])
            for h in items] == expected
    versions = [h["version"] for h in items]
    assert versions == sorted(set(versions))
    return case["id"]


# -- tests ---------------------------------------------------------------------------------------------------------


async def test_happy_path(world: World) -> None:
    case_id = await check_happy_path(world, HAPPY)
    case = await get_case(world, case_id)
    assert case["regie_organisation"] == REGIE
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
    assert case["regie_organisation"] is None
    assert (await fire(world, case["id"], "triage_starten", {})).status_code == 200
    # `om` is a known organisation but no party to the convenant; `nergens` does not exist.
    for organisation in ("om", "nergens"):
        body = problem(await fire(world, case["id"], "oppakken", {**OPPAKKEN, "casusregie_organisatie": organisation}),
                       422)
        assert ["body", "data", "casusregie_organisatie"] in [e["loc"] for e in body["errors"]]
    r = await fire(world, case["id"], "oppakken", OPPAKKEN)
    assert r.status_code == 200, r.text
    taken = r.json()
    assert taken["regie_organisation"] == REGIE
    assert {"organisation": REGIE, "basis": "regie"} in [
        {"organisation": p["organisation"], "basis": p["basis"]} for p in taken["participants"]]
    assert taken["details"] == {"ave_fase": 3, "criteria": criteria(True, True, True, False)}
    # Now the casusregisseur of the regie organisation may escalate; one of another participant may not.
    problem(await fire(world, case["id"], "escaleren", ESCALATIE, "casusregisseur_zonder_regie"), 403)
    r = await fire(world, case["id"], "escaleren", ESCALATIE, "casusregisseur")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "procesniveau"


async def test_bestuurlijk_niveau_belongs_to_procesregisseur_and_bestuurder(world: World) -> None:
    case = await open_case(world)
    for step in route(FIRST, lambda s: s == "managementniveau"):
        case = await move(world, case, step)
    # Only the procesregisseur escalates to bestuurlijk niveau, not the casusregisseur holding regie.
    problem(await fire(world, case["id"], "escaleren", ESCALATIE, "casusregisseur"), 403)
    problem(await fire(world, case["id"], "escaleren", ESCALATIE, "bestuurder"), 403)
    case = await move(world, case, row("escaleren", "managementniveau"))
    # There only the bestuurder decides or steps down.
    besluit = row("doorzettingsbesluit", "bestuurlijk_niveau").data
    for who in ("procesregisseur", "casusregisseur", "medewerker"):
        problem(await fire(world, case["id"], "deescaleren", {}, who), 403)
        problem(await fire(world, case["id"], "doorzettingsbesluit", besluit, who), 403)
    listed = await world.client.get(f"/v1/cases/{case['id']}/transitions", headers=headers(world, "bestuurder"))
    assert sorted(t["trigger"] for t in listed.json()) == ["deescaleren", "doorzettingsbesluit"]
    listed = await world.client.get(f"/v1/cases/{case['id']}/transitions", headers=world.regisseur)
    assert [t["trigger"] for t in listed.json()] == ["ave_fase_wijzigen"]
    case = await move(world, case, row("doorzettingsbesluit", "bestuurlijk_niveau"))
    hist = (await world.client.get(f"/v1/cases/{case['id']}/history", headers=world.regisseur)).json()["items"]
    assert (hist[-1]["actor_org"], hist[-1]["actor_role"], hist[-1]["data"]) == ("gemeente", "bestuurder", besluit)


async def test_ave_fase_wijzigen_in_every_open_state(world: World) -> None:
    case = await open_case(world)
    for fase, state in enumerate([s for s in STATES if s != "afgesloten"]):
        for step in route(case["state"], lambda s, state=state: s == state):
            case = await move(world, case, step)
        ave_fase = 4 - fase % 4  # never the fase the case already has
        # Before `oppakken` no organisation holds regie, so no casusregisseur may change the fase.
        who = "casusregisseur" if case["regie_organisation"] == REGIE else "procesregisseur"
        if who == "procesregisseur":
            problem(await fire(world, case["id"], "ave_fase_wijzigen", {"ave_fase": ave_fase}, "casusregisseur"), 403)
        if state in (FIRST, "casusniveau"):  # before and after `oppakken` gave regie
            for other in ("casusregisseur_zonder_regie", "medewerker", "bestuurder"):
                problem(await fire(world, case["id"], "ave_fase_wijzigen", {"ave_fase": 1}, other), 403)
            for wrong in ({}, {"ave_fase": 5}, {"ave_fase": "2"}):
                problem(await fire(world, case["id"], "ave_fase_wijzigen", wrong, who), 422)
        case = await move(world, case, Row("ave_fase_wijzigen", state, state, CP, {"ave_fase": ave_fase}), who)
        assert case["details"]["ave_fase"] == ave_fase
    for step in route(case["state"], lambda s: s == "afgesloten"):
        case = await move(world, case, step)
    assert problem(await fire(world, case["id"], "ave_fase_wijzigen", {"ave_fase": 1}), 409)["allowed"] == ["heropenen"]
    hist = (await world.client.get(f"/v1/cases/{case['id']}/history", headers=headers(world, "medewerker"))).json()
    changes = [h for h in hist["items"] if h["trigger"] == "ave_fase_wijzigen"]
    assert [h["from_state"] for h in changes] == [s for s in STATES if s != "afgesloten"]
    assert all(h["to_state"] == h["from_state"] and not h["data_withheld"] for h in changes)
    assert [h["data"]["ave_fase"] for h in changes] == [4 - fase % 4 for fase in range(len(changes))]
