"""A case list that serves a worklist (issue 15 item 6): each row carries the state's label, the rung in the ladder's
own word (a jeugdgroep `step`, elsewhere a `tier`) with its `level_label`, the regie holder, the deadline and the
number of unfinished actions of the latest plan version, still in the page's one statement (the round trips are
pinned in tests/cases/test_round_trips.py). Withheld states stay withheld: tests/cases/test_withheld_states.py."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Any

from app.kit import clock
from app.vocabulary import UNFINISHED_ACTION_STATUSES, ActionStatus
from tests.world import World


async def _rows(world: World, headers: dict[str, str] | None = None, **params: Any) -> dict[str, dict[str, Any]]:
    r = await world.client.get("/v1/cases", params={"limit": 100, **params}, headers=headers or world.regisseur)
    assert r.status_code == 200, r.text
    return {c["id"]: c for c in r.json()["items"]}


async def _plan(world: World, case_id: str, statuses: list[str]) -> None:
    body = {"summary": "plan", "actions": [{"description": f"actie {i}", "organisation": "zvh-mh", "status": status}
                                          for i, status in enumerate(statuses)]}
    r = await world.client.put(f"/v1/cases/{case_id}/plan", json=body, headers=world.regisseur)
    assert r.status_code == 200, r.text


def test_unfinished_means_open_or_in_uitvoering() -> None:
    assert UNFINISHED_ACTION_STATUSES == {ActionStatus.open, ActionStatus.in_uitvoering}


async def test_rows_carry_label_rung_deadline_and_regie(world: World) -> None:
    group = await world.case("jeugdgroep")
    youth = await world.case("ijam", initial_state="netwerkoverleg")
    address = await world.case("woonoverlast")
    rows = await _rows(world)
    g, y, a = rows[group["id"]], rows[youth["id"]], rows[address["id"]]
    assert (g["state"], g["state_label"], g["step"], g["tier"], g["level_label"]) == (
        "signalering", "Signalen over groepsgedrag delen", "1", None, "Stap 1")
    assert (y["state"], y["state_label"], y["step"], y["tier"], y["level_label"]) == (
        "netwerkoverleg", "Netwerkoverleg risicojongeren (JPP)", None, 2, "Niveau 2")
    # A state off the rungs has no level.
    assert (a["state_label"], a["step"], a["tier"], a["level_label"]) == ("Melding ontvangen", None, None, None)
    for row, case in ((g, group), (y, youth), (a, address)):
        assert (row["due_at"], row["overdue"], row["regie_organisation"]) == (
            case["due_at"], False, case["regie_organisation"])
        assert row["due_at"] is not None and row["regie_organisation"] is not None
    # The detail shows the same level label.
    shown = (await world.client.get(f"/v1/cases/{group['id']}", headers=world.regisseur)).json()
    assert shown["level_label"] == "Stap 1"


async def test_open_actions_counts_the_unfinished_actions_of_the_latest_plan(world: World) -> None:
    planned = await world.case("ijam")
    unplanned = await world.case("ijam")
    await _plan(world, planned["id"], ["open", "open", "in_uitvoering", "gereed", "niet_gelukt", "vervallen"])
    rows = await _rows(world)
    assert (rows[planned["id"]]["open_actions"], rows[unplanned["id"]]["open_actions"]) == (3, 0)
    # Only the latest version counts: a new version with one action still running.
    await _plan(world, planned["id"], ["gereed", "in_uitvoering", "vervallen"])
    assert (await _rows(world))[planned["id"]]["open_actions"] == 1
    # Every page of a filtered list carries it too (the filtered statement is built per request).
    assert (await _rows(world, case_type="ijam", state="knooppunt_school"))[planned["id"]]["open_actions"] == 1
    # A plan with nothing left to do.
    await _plan(world, planned["id"], ["gereed"])
    assert (await _rows(world))[planned["id"]]["open_actions"] == 0


async def test_a_row_says_what_the_case_itself_says(world: World) -> None:
    """Every field a list row shares with the case detail has the detail's value (app/cases/views.py unpacks rows by
    position: two integer columns swapped, tier and version, would pass any type check), overdue included."""
    youth = await world.case("ijam", initial_state="netwerkoverleg")
    for title in ("eerste", "tweede"):  # version 3, tier 2
        r = await world.client.patch(f"/v1/cases/{youth['id']}", json={"title": title}, headers=world.regisseur)
        assert r.status_code == 200, r.text
    group = await world.case("jeugdgroep")
    cases = (youth, group)
    late = datetime.fromisoformat(youth["due_at"]) + timedelta(days=1)
    for moment in (None, late):
        with clock.frozen(moment) if moment is not None else nullcontext():
            rows = await _rows(world)
            for case in cases:
                row = rows[case["id"]]
                detail = (await world.client.get(f"/v1/cases/{case['id']}", headers=world.regisseur)).json()
                assert {k: v for k, v in row.items() if k != "open_actions"} == {k: detail[k] for k in row
                                                                              if k != "open_actions"}
    assert (rows[youth["id"]]["version"], rows[youth["id"]]["tier"], rows[youth["id"]]["title"]) == (3, 2, "tweede")
    assert rows[youth["id"]]["overdue"] is True
