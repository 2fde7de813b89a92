"""Deadlines break stagnation (issue 14 item 1a): the worker's pass over overdue cases, on SQLite and PostgreSQL.

An overdue AVE case at `casusniveau` is escalated to `procesniveau` exactly once, by `systeem`, with history and
audit (the higher rungs and the level owners they bring in: tests/cases/test_level_owners.py); an overdue case
on another ladder is flagged once (`case:overdue` by `systeem`); a new state's deadline re-arms; closed cases and
cases within their deadline are left alone; each deadline is acted on once however often the pass runs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.kit import clock
from app.worker import deadline_pass
from tests.audit_helpers import audit_rows
from tests.world import World

OPPAKKEN = {"ave_fase": 3, "regie_organisation": "woonpunt",
            "criteria": {"a": True, "b": True, "c": True, "d": False}}


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Any) -> World:
    return await World(client, auth).setup()


async def _case(world: World, case_id: str) -> dict[str, Any]:
    r = await world.client.get(f"/v1/cases/{case_id}", headers=world.regisseur)
    assert r.status_code == 200, r.text
    return r.json()


async def _at_casusniveau(world: World) -> dict[str, Any]:
    case = await world.case("woonoverlast", participants=("woonpunt",))
    for trigger, data in (("triage_starten", {}), ("oppakken", OPPAKKEN)):
        assert (await world.fire(case["id"], trigger, data)).status_code == 200, trigger
    return await _case(world, case["id"])


def _after(case: dict[str, Any], days: int = 1) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(case["due_at"]) + timedelta(days=days)


async def test_an_overdue_ave_case_at_casusniveau_is_escalated_once_by_systeem(
    world: World, app: Any, db_url: str
) -> None:
    case = await _at_casusniveau(world)
    assert case["state"] == "casusniveau" and case["due_at"]
    before = await deadline_pass(app.state.db, now=_after(case, -1))  # within the deadline: nothing
    assert before == []
    late = _after(case)
    acts = await deadline_pass(app.state.db, now=late)
    assert [(str(a.case_id), a.action, a.to_state) for a in acts] == [(case["id"], "escalated", "procesniveau")]
    assert await deadline_pass(app.state.db, now=late) == []  # once

    after = await _case(world, case["id"])
    assert after["state"] == "procesniveau" and after["version"] == case["version"] + 1
    with clock.frozen(late):
        assert (await _case(world, case["id"]))["overdue"] is False  # procesniveau's own deadline runs now
    history = (await world.client.get(f"/v1/cases/{case['id']}/history", headers=world.regisseur)).json()["items"]
    last = history[-1]
    assert (last["trigger"], last["from_state"], last["to_state"], last["actor_sub"], last["actor_org"]) == (
        "escaleren", "casusniveau", "procesniveau", "systeem", "systeem")
    assert last["data"] == {"escalatiereden": "stagnatie_samenwerking"}
    assert after["regie_organisation"] == "zvh-mh"  # procesniveau's level owner (DOMAIN.md "Regie and level owners")
    entries = [r for r in await audit_rows(db_url) if r.actor_sub == "systeem"]
    # Regie by level owner: the ZVH at opening (melding), the ZVH again on entering procesniveau; then the escalation.
    assert [(e.action, e.outcome, str(e.case_id)) for e in entries] == [
        ("case:update", "allowed", case["id"]), ("case:update", "allowed", case["id"]),
        ("case:transition", "allowed", case["id"])]
    assert [(e.detail["trigger"], e.detail["state"], e.detail["regie_organisation"], e.detail["previous"])
            for e in entries[:2]] == [("aanmaken", "melding", "zvh-mh", None),
                                      ("escaleren", "procesniveau", "zvh-mh", "woonpunt")]
    escalation = entries[2]
    assert escalation.detail["reason"] == "stagnatie" and sorted(map(str, escalation.subject_ids)) == sorted(
        s["id"] for s in case["subjects"])


async def test_an_overdue_case_on_another_ladder_is_flagged_once_and_a_new_state_rearms(
    world: World, app: Any, db_url: str
) -> None:
    case = await world.case("ijam")
    late = _after(case)
    acts = await deadline_pass(app.state.db, now=late)
    assert [(str(a.case_id), a.action) for a in acts] == [(case["id"], "flagged")]
    assert await deadline_pass(app.state.db, now=late) == []
    assert (await _case(world, case["id"]))["state"] == case["state"]  # flagged, not moved

    # A new state, a new deadline: overdue again later, flagged again.
    assert (await world.fire(case["id"], "opschalen", {})).status_code == 200
    moved = await _case(world, case["id"])
    assert await deadline_pass(app.state.db, now=_after(moved, -1)) == []  # the new deadline is not yet due
    acts = await deadline_pass(app.state.db, now=_after(moved))
    assert [(str(a.case_id), a.action) for a in acts] == [(case["id"], "flagged")]
    entries = [r for r in await audit_rows(db_url) if r.actor_sub == "systeem"]
    # Between the flags, opschalen into netwerkoverleg brought that rung's level owner (the gemeente) in and gave
    # it regie (DOMAIN.md "Regie and level owners"); knooppunt_school's owner (onderwijs) is no party here.
    assert [(e.action, str(e.case_id)) for e in entries] == [
        ("case:overdue", case["id"]), ("participant:create", case["id"]), ("case:update", case["id"]),
        ("case:overdue", case["id"])]
    assert (entries[2].detail["regie_organisation"], entries[2].detail["state"]) == ("gemeente", "netwerkoverleg")
    flags = [e for e in entries if e.action == "case:overdue"]
    assert [f.detail["state"] for f in flags] == [case["state"], moved["state"]]


async def test_closed_cases_are_left_alone(world: World, app: Any) -> None:
    case = await world.case("ijam")
    r = await world.fire(case["id"], "afsluiten", {})
    if r.status_code != 200:  # ijam closes from its tiers with the ladder's own rules; else the test is moot
        pytest.skip(f"afsluiten not available from {case['state']}: {r.text}")
    assert await deadline_pass(app.state.db, now=_after(case, 365)) == []


async def test_two_workers_at_once_act_on_each_deadline_once(world: World, app: Any, db_url: str) -> None:
    import asyncio

    cases = [await world.case("ijam") for _ in range(12)]
    late = max(_after(c) for c in cases)
    first, second = await asyncio.gather(deadline_pass(app.state.db, now=late), deadline_pass(app.state.db, now=late))
    acted = [str(a.case_id) for a in first + second]
    assert sorted(acted) == sorted(c["id"] for c in cases)  # every case once, by one of the two
    flags = [r for r in await audit_rows(db_url) if r.actor_sub == "systeem"]
    assert len(flags) == len(cases)


def test_the_worker_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from app.config import Settings

    for key in [k for k in os.environ if k.startswith("CASUSREGIE_")]:
        monkeypatch.delenv(key)
    defaults = Settings()
    assert (defaults.worker_interval, defaults.worker_in_process) == (60.0, False)  # no in-process work unasked
    monkeypatch.setenv("CASUSREGIE_WORKER_INTERVAL", "5")
    monkeypatch.setenv("CASUSREGIE_WORKER_IN_PROCESS", "true")
    assert (Settings().worker_interval, Settings().worker_in_process) == (5.0, True)
    monkeypatch.setenv("CASUSREGIE_WORKER_INTERVAL", "0")
    with pytest.raises(ValueError):
        Settings()
