"""ijam and the PGA criteria (issue 16): opening a case straight at `pga` asks the criteria that `opschalen` into it
asks (the same guard, on the details given at opening), and stepping down from the pga clears them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from app.workflows import guards, ijam
from app.workflows.engine import LadderError, validate_ladder
from tests.cases.ladder_kit import problem
from tests.world import SUBJECTS, World

CASE_TYPE = "ijam"
REGIE = "gemeente"


def criteria(a: bool, b: bool, c: bool, d: bool) -> dict[str, bool]:
    return {"a": a, "b": b, "c": c, "d": d}


def body(initial_state: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"case_type": CASE_TYPE, "title": "Jongere in de pga", "subjects": [SUBJECTS[CASE_TYPE]],
                           "initial_state": initial_state, "regie_organisation": REGIE}
    if details is not None:
        out["details"] = details
    return out


async def _count_cases(world: World) -> int:
    r = await world.client.get("/v1/cases", params={"case_type": CASE_TYPE}, headers=world.regisseur)
    assert r.status_code == 200, r.text
    return len(r.json()["items"])


async def test_opening_at_pga_needs_criteria_that_are_met(world: World) -> None:
    without = problem(await world.client.post("/v1/cases", json=body("pga"), headers=world.regisseur), 422)
    assert [e["loc"] for e in without["errors"]] == [["body", "details", "criteria"]]
    assert "pga" in without["errors"][0]["msg"]

    # (a and b and c) or d, refused by the guard of `opschalen` into the pga, with its message.
    for abcd in ((True, True, False, False), (False, False, False, False), (True, False, True, False)):
        r = await world.client.post("/v1/cases", json=body("pga", {"criteria": criteria(*abcd)}),
                                    headers=world.regisseur)
        unmet = problem(r, 422)
        assert unmet["errors"] == [{"loc": ["body", "details", "criteria"],
                                    "msg": "Criteria not met: (a and b and c) or d."}], abcd

    # Incomplete or not booleans: the details themselves do not fit (no guard runs on them).
    r = await world.client.post("/v1/cases", json=body("pga", {"criteria": {"a": True, "b": True, "c": True}}),
                                headers=world.regisseur)
    assert [e["loc"] for e in problem(r, 422)["errors"]] == [["body", "details", "criteria", "d"]]
    assert await _count_cases(world) == 0

    for abcd in ((False, False, False, True), (True, True, True, False)):
        r = await world.client.post("/v1/cases", json=body("pga", {"criteria": criteria(*abcd)}),
                                    headers=world.regisseur)
        assert r.status_code == 201, r.text
        case = r.json()
        assert (case["state"], case["tier"], case["details"]) == ("pga", 4, {"criteria": criteria(*abcd)})
    assert await _count_cases(world) == 2


async def test_below_pga_a_case_opens_without_criteria(world: World) -> None:
    for tier in ("knooppunt_school", "netwerkoverleg", "jonge_aanwas"):
        r = await world.client.post("/v1/cases", json=body(tier), headers=world.regisseur)
        assert r.status_code == 201, r.text
        assert (r.json()["state"], r.json()["details"]) == (tier, {})


async def test_afschalen_from_pga_clears_the_criteria(world: World) -> None:
    r = await world.client.post("/v1/cases", json=body("pga", {"criteria": criteria(False, False, False, True)}),
                                headers=world.regisseur)
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    down = await world.fire(case_id, "afschalen")
    assert down.status_code == 200, down.text
    assert (down.json()["state"], down.json()["details"]) == ("jonge_aanwas", {})

    # Back up they are asked anew (none are left to lean on), stored, and cleared again on the way down.
    assert problem(await world.fire(case_id, "opschalen", {}), 422)["missing"] == ["criteria"]
    up = await world.fire(case_id, "opschalen", {"criteria": criteria(True, True, True, False)})
    assert up.status_code == 200, up.text
    assert (up.json()["state"], up.json()["details"]) == ("pga", {"criteria": criteria(True, True, True, False)})
    down = await world.fire(case_id, "afschalen")
    assert down.status_code == 200, down.text
    assert "criteria" not in down.json()["details"]
    # Stepping down further changes no details.
    lower = await world.fire(case_id, "afschalen")
    assert (lower.status_code, lower.json()["state"], lower.json()["details"]) == (200, "netwerkoverleg", {})
    # The history keeps what the criteria were.
    hist = await world.client.get(f"/v1/cases/{case_id}/history", headers=world.regisseur)
    assert [h["data"] for h in hist.json()["items"] if h["trigger"] == "opschalen"] == [
        {"criteria": criteria(True, True, True, False)}]


@pytest.mark.parametrize(
    ("initial_guards", "problem_text"),
    [
        ({"afgesloten": ("criteria_met",)}, "initial guards for 'afgesloten', which is no initial state"),
        ({"pga": ("onbekend",)}, "guard 'onbekend' is not registered"),
    ],
)
def test_initial_guards_are_checked_at_start_up(initial_guards: dict[str, tuple[str, ...]], problem_text: str) -> None:
    with pytest.raises(LadderError, match=problem_text):
        validate_ladder(replace(ijam.LADDER, initial_guards=initial_guards))
    validate_ladder(ijam.LADDER)


def test_an_initial_guard_cannot_read_a_plan() -> None:
    # A case being opened has no plan van aanpak yet: such a guard could never pass.
    ladder = replace(ijam.LADDER, guards={**ijam.LADDER.guards, "plan_has_action": guards.plan_has_action},
                     initial_guards={"pga": ("plan_has_action",)})
    with pytest.raises(LadderError, match="guard 'plan_has_action' reads the plan"):
        validate_ladder(ladder)
