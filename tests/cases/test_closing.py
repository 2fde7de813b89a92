"""Closing a case with an uitstroomreden (DOMAIN.md "Closing a case"; issue 16 item 2) through the HTTP API, on every
ladder: from each open state by the procesregisseur only, `doel_bereikt` only at the regular end (where it is the
default), `anders` with a reason; the reason shown on the case until `heropenen` and kept in the history; the
closing decisions that record a reason of their own, and that reason withheld where the decision is.

Cases reach their states with each ladder's own table (tests/cases/test_ladder_*.py, the ladder kit).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import pytest

from tests.cases import (
    test_ladder_ex_gedetineerde,
    test_ladder_ijam,
    test_ladder_jeugdgroep,
    test_ladder_radicalisering,
    test_ladder_woonoverlast,
)
from tests.cases.ladder_kit import Ladder, Row, problem
from tests.world import DEFAULT_PARTIES, World

EARLY_REASONS = ["overgedragen_regulier", "verhuisd", "detentie", "overleden", "geen_medewerking", "geen_grondslag",
                 "strafrechtelijk_afgedaan", "anders"]


@dataclass(frozen=True)
class Subject:
    kit: Ladder
    regular_end: tuple[str, ...]  # DOMAIN.md: the states afsluiten closed from before early closure
    extra: dict[str, Any] = field(default_factory=dict)  # how its test file opens a case


LADDERS: dict[str, Subject] = {
    "jeugdgroep": Subject(test_ladder_jeugdgroep.LADDER, ("afschaling", "niet_geprioriteerd")),
    "woonoverlast": Subject(test_ladder_woonoverlast.LADDER, ("monitoring",)),
    "ex_gedetineerde": Subject(test_ladder_ex_gedetineerde.LADDER, ("nazorg",), {"regie_organisation": "gemeente"}),
    "radicalisering": Subject(test_ladder_radicalisering.LADDER, ("monitoring",), {"regie_organisation": "gemeente"}),
    "ijam": Subject(test_ladder_ijam.LADDER, ("knooppunt_school", "netwerkoverleg", "jonge_aanwas", "pga"),
                    {"regie_organisation": "gemeente"}),
}
WITH_EARLY_STATES = [t for t in LADDERS if t != "ijam"]  # IJAM closes regularly at every tier


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Any) -> World:
    """The default world; the municipality also gets justitie, as the ex_gedetineerde ladder's file gives it (its
    casusregisseur enters the DJI dates)."""
    w = World(client, auth)
    await w.organisations()
    await w.convenant(parties={**DEFAULT_PARTIES, "gemeente": [*DEFAULT_PARTIES["gemeente"], "justitie"]})
    return w


async def reach(world: World, kit: Ladder, case: dict[str, Any], state: str) -> dict[str, Any]:
    for step in kit.route(case["state"], lambda s: s == state):
        case = await kit.move(world, case, step)
    return case


async def last_history(world: World, case_id: str) -> dict[str, Any]:
    """The latest history entry (the history pages oldest first)."""
    params: dict[str, str] = {}
    while True:
        r = await world.client.get(f"/v1/cases/{case_id}/history", params=params, headers=world.regisseur)
        assert r.status_code == 200, r.text
        page = r.json()
        if page["next_cursor"] is None:
            return page["items"][-1]
        params = {"cursor": page["next_cursor"]}


async def read(world: World, case_id: str, headers: dict[str, str]) -> dict[str, Any]:
    r = await world.client.get(f"/v1/cases/{case_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def reopen(world: World, kit: Ladder, closed: dict[str, Any]) -> dict[str, Any]:
    reopened = await kit.move(world, closed, kit.row("heropenen", "afgesloten"))
    assert (reopened["uitstroomreden"], reopened["uitstroomreden_withheld"]) == (None, False)
    assert (await kit.get_case(world, reopened["id"]))["uitstroomreden"] is None
    return reopened


@pytest.mark.parametrize("case_type", list(LADDERS))
async def test_closing_from_every_open_state_with_a_reason(world: World, case_type: str) -> None:
    subject = LADDERS[case_type]
    kit = subject.kit
    case = await kit.open_case(world, **subject.extra)
    for i, state in enumerate(s for s in kit.states if s != "afgesloten"):
        case = await reach(world, kit, case, state)
        reason = EARLY_REASONS[i % len(EARLY_REASONS)]
        # The regular end keeps its own requirements (evaluatie, basisvoorwaarden) and takes any reason too.
        regular = kit.row("afsluiten", state)
        data = {**regular.data, "uitstroomreden": reason}
        for who in ("casusregisseur", "medewerker", "bestuurder"):
            problem(await kit.fire(world, case["id"], "afsluiten", data, who), 403)
        closed = await kit.move(world, case, replace(regular, data=data))
        assert (closed["uitstroomreden"], closed["uitstroomreden_withheld"]) == (reason, False)
        entry = await last_history(world, case["id"])
        assert (entry["trigger"], entry["from_state"], entry["to_state"], entry["data"]) == (
            "afsluiten", state, "afgesloten", data)
        case = await reopen(world, kit, closed)


@pytest.mark.parametrize("case_type", WITH_EARLY_STATES)
async def test_doel_bereikt_early_is_422_naming_the_field(world: World, case_type: str) -> None:
    subject = LADDERS[case_type]
    case = await subject.kit.open_case(world, **subject.extra)
    assert case["state"] not in subject.regular_end
    for data in ({"uitstroomreden": "doel_bereikt"}, {}):
        body = problem(await subject.kit.fire(world, case["id"], "afsluiten", data), 422)
        assert [e["loc"] for e in body["errors"]] == [["body", "data", "uitstroomreden"]], data
    refused = problem(await subject.kit.fire(world, case["id"], "afsluiten", {"uitstroomreden": "doel_bereikt"}), 422)
    assert "regular end" in refused["errors"][0]["msg"]
    after = await subject.kit.get_case(world, case["id"])
    assert (after["state"], after["version"], after["uitstroomreden"]) == (case["state"], case["version"], None)


@pytest.mark.parametrize("case_type", list(LADDERS))
async def test_anders_needs_a_reason(world: World, case_type: str) -> None:
    subject = LADDERS[case_type]
    case = await subject.kit.open_case(world, **subject.extra)
    url = f"/v1/cases/{case['id']}/transitions"
    data = {"uitstroomreden": "anders"}
    for body in ({"trigger": "afsluiten", "data": data}, {"trigger": "afsluiten", "reason": "  ", "data": data}):
        refused = problem(await world.client.post(url, json=body, headers=world.regisseur), 422)
        assert ["body", "reason"] in [e["loc"] for e in refused["errors"]]
    reason = "Gezin vertrokken naar het buitenland"
    closed = await world.client.post(url, json={"trigger": "afsluiten", "reason": reason, "data": data},
                                     headers=world.regisseur)
    assert closed.status_code == 200, closed.text
    assert closed.json()["uitstroomreden"] == "anders"
    entry = await last_history(world, case["id"])
    assert (entry["reason"], entry["data"]) == (reason, data)


@pytest.mark.parametrize("case_type", list(LADDERS))
async def test_the_regular_end_closes_without_a_reason_as_doel_bereikt(world: World, case_type: str) -> None:
    subject = LADDERS[case_type]
    kit = subject.kit
    case = await kit.open_case(world, **subject.extra)
    for state in subject.regular_end:
        case = await reach(world, kit, case, state)
        regular = kit.row("afsluiten", state)
        assert "uitstroomreden" not in regular.data  # as existing clients send it
        closed = await kit.move(world, case, regular)
        assert closed["uitstroomreden"] == "doel_bereikt"
        assert (await last_history(world, case["id"]))["data"] == {**regular.data, "uitstroomreden": "doel_bereikt"}
        case = await reopen(world, kit, closed)


# (case type, trigger, state it closes from, the reason it records), DOMAIN.md's other closing triggers.
RECORDED = [
    ("jeugdgroep", "geen_groepsaanpak", "verkenning", "geen_grondslag"),
    ("woonoverlast", "niet_in_behandeling", "triage", "geen_grondslag"),
    ("radicalisering", "geen_zorgen", "voorweging", "geen_grondslag"),
    ("radicalisering", "besluit_geen_actie", "weegtafel", "geen_grondslag"),
    ("radicalisering", "besluit_strafrechtelijk", "weegtafel", "strafrechtelijk_afgedaan"),
]
RECORDED_BY = {trigger: reason for _, trigger, _, reason in RECORDED}


@pytest.mark.parametrize(("case_type", "trigger", "state", "reason"), RECORDED, ids=[r[1] for r in RECORDED])
async def test_closing_decisions_record_their_reason(world: World, case_type: str, trigger: str, state: str,
                                                     reason: str) -> None:
    subject = LADDERS[case_type]
    kit = subject.kit
    case = await reach(world, kit, await kit.open_case(world, **subject.extra), state)
    decision = kit.row(trigger, state)
    other = "verhuisd" if reason != "verhuisd" else "anders"
    body = problem(await kit.fire(world, case["id"], trigger, {**decision.data, "uitstroomreden": other}), 422)
    assert [e["loc"] for e in body["errors"]] == [["body", "data", "uitstroomreden"]]
    closed = await kit.move(world, case, decision)
    assert closed["uitstroomreden"] == reason
    entry = await last_history(world, case["id"])
    assert (entry["trigger"], entry["data"]) == (trigger, {**decision.data, "uitstroomreden": reason})
    await reopen(world, kit, closed)


async def test_the_reason_of_a_withheld_decision_is_withheld(world: World) -> None:
    """ggz's convenant grants no veiligheid: the history does not name the weegtafel's decision to it, so neither
    does the reason on the case (radicalisering records geen_grondslag and strafrechtelijk_afgedaan only by such
    decisions). A reason given with afsluiten, no decision of a category, it sees."""
    subject = LADDERS["radicalisering"]
    kit = subject.kit
    case = await kit.open_case(world, **subject.extra)
    await world.client.post(f"/v1/cases/{case['id']}/participants", json={"organisation": "ggz"},
                            headers=world.regisseur)
    case = await kit.get_case(world, case["id"])
    ggz = world.h("ggz", "medewerker")
    for trigger in ("besluit_strafrechtelijk", "besluit_geen_actie"):
        case = await reach(world, kit, case, "weegtafel")
        case = await kit.move(world, case, kit.row(trigger, "weegtafel"))
        seen = await read(world, case["id"], ggz)
        assert (seen["state"], seen["uitstroomreden"], seen["uitstroomreden_withheld"]) == ("afgesloten", None, True)
        assert "strafrechtelijk" not in str(seen) and "geen_grondslag" not in str(seen)
        own = await read(world, case["id"], world.regisseur)
        assert (own["uitstroomreden"], own["uitstroomreden_withheld"]) == (RECORDED_BY[trigger], False)
        case = await reopen(world, kit, case)
    closed = await kit.move(world, case, Row("afsluiten", "signaal", "afgesloten", frozenset(),
                                             {"uitstroomreden": "verhuisd"}))
    seen = await read(world, closed["id"], ggz)
    assert (seen["uitstroomreden"], seen["uitstroomreden_withheld"]) == ("verhuisd", False)

