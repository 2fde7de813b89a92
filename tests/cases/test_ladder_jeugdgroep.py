"""The jeugdgroep ladder (7-stappenmodel) through the HTTP API.

DOMAIN.md's table is transcribed below as ROWS, with valid data for each trigger, who fires it
here and what makes its guard true. From it: the happy path to afgesloten and back, and for every
trigger each refusal that applies (wrong state 409, wrong role 403, missing data and guard 422).
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
    "casusregisseur": ("gemeente", "casusregisseur"),  # a jeugdgroep case has no regie organisation
}
PARTICIPANTS = ("gemeente", "politie")


async def concept_plan(world: World, case_id: str) -> httpx.Response:
    body = {"summary": "Concept plan van aanpak", "actions": []}
    return await world.client.put(f"/v1/cases/{case_id}/plan", json=body, headers=world.regisseur)


async def plan_with_action(world: World, case_id: str) -> httpx.Response:
    body = {"summary": "Plan van aanpak", "actions": [
        {"description": "Groepsgesprekken", "organisation": "politie", "due_date": "2025-06-01"}]}
    return await world.client.put(f"/v1/cases/{case_id}/plan", json=body, headers=world.regisseur)


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


P = frozenset({"procesregisseur"})
PB = frozenset({"procesregisseur", "bestuurder"})
P_POLITIE = frozenset({"procesregisseur", "medewerker_politie"})
DRIEHOEK = {"besluit_driehoek_datum": "2025-05-01"}

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


def assert_in_state(case: dict[str, Any], state: str) -> None:
    """State, step/tier and the deadline of DOMAIN.md: due_at is entry + max_dagen, closed_at only at afgesloten."""
    step, max_dagen = STATES[state]
    assert (case["state"], case["step"], case["tier"]) == (state, step, None)
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
