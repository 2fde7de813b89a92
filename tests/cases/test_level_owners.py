"""Regie moves with the level owner (issue 14 item 2; DOMAIN.md "Regie and level owners"): opening a case without a
named regie, and entering any state by any transition, give regie to the one organisation of the state's owner kind
that takes part or is party to a covering convenant, making it a participant if needed, by `systeem`; AVE
`casusniveau`/`monitoring` give it back to the `regie_organisation` named at `oppakken`; AVE
`bestuurlijk_niveau` without a gemeente party is refused (422) and, from the worker, flagged instead. And AVE's
stagnation rule escalates on every rung with a next one (issue 14 item 1a). On SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from app.worker import deadline_pass
from tests.audit_helpers import audit_rows
from tests.cases.ladder_kit import problem
from tests.world import DEFAULT_PARTIES, ORGANISATIONS, World

OPPAKKEN = {"ave_fase": 3, "regie_organisation": "woonpunt",
            "criteria": {"a": True, "b": True, "c": True, "d": False}}
ESCALATIE = {"escalatiereden": "oneenigheid"}
# The woonoverlast convenant of a region whose gemeente signed no AVE convenant (it signed the IJAM one).
WITHOUT_GEMEENTE = {org: cats for org, cats in DEFAULT_PARTIES.items() if org != "gemeente"}
REFUSAL = {"loc": ["body", "trigger"], "msg": "no gemeente is party to an active convenant covering woonoverlast"}


async def _case(world: World, case_id: str) -> dict[str, Any]:
    r = await world.client.get(f"/v1/cases/{case_id}", headers=world.regisseur)
    assert r.status_code == 200, r.text
    return r.json()


def _regie(entries: list[Any]) -> list[tuple[str, str, str, str | None]]:
    """The regie assignments by level owner among audit entries: (trigger, state, regie organisation, previous)."""
    return [(e.detail["trigger"], e.detail["state"], e.detail["regie_organisation"], e.detail["previous"])
            for e in entries if e.action == "case:update" and e.actor_sub == "systeem"]


async def _participants(world: World, case_id: str) -> dict[str, str]:
    r = await world.client.get(f"/v1/cases/{case_id}/participants", headers=world.regisseur)
    assert r.status_code == 200, r.text
    return {p["organisation"]: p["basis"] for p in r.json()["items"]}


async def _ave_at(world: World, state: str) -> dict[str, Any]:
    """An AVE case taken up with woonpunt as casusregie, escalated by the procesregisseur up to `state`."""
    case = await world.case("woonoverlast", participants=("woonpunt",))
    steps = [("triage_starten", {}), ("oppakken", OPPAKKEN)]
    steps += [("escaleren", ESCALATIE)] * ["casusniveau", "procesniveau", "managementniveau"].index(state)
    for trigger, data in steps:
        r = await world.fire(case["id"], trigger, data)
        assert r.status_code == 200, (trigger, r.text)
    case = await _case(world, case["id"])
    assert case["state"] == state
    return case


def _after(case: dict[str, Any], days: int = 1) -> datetime:
    return datetime.fromisoformat(case["due_at"]) + timedelta(days=days)


async def _without_gemeente_for_ave(world: World) -> None:
    """The gemeente is party to an IJAM convenant and was party to an AVE one, since terminated: neither counts."""
    await world.organisations()
    await world.convenant("ave", case_types=["woonoverlast"], parties=WITHOUT_GEMEENTE)
    await world.convenant("ijam", case_types=["ijam"], parties={"zvh-mh": ["identificatie"],
                                                                 "gemeente": ["identificatie"]})
    ended = await world.convenant("ave-gemeente", case_types=["woonoverlast"],
                                  parties={"zvh-mh": ["identificatie"], "gemeente": ["identificatie"]})
    r = await world.client.post(f"/v1/convenants/{ended}/terminate", json={"reason": "einde samenwerking"},
                                headers=world.beheerder)
    assert r.status_code == 200, r.text


async def test_escalating_to_bestuurlijk_niveau_brings_the_gemeente_in(world: World, db_url: str) -> None:
    case = await _ave_at(world, "managementniveau")
    bestuurder = world.h("gemeente", "bestuurder", sub="burgemeester-1")
    assert (await world.client.get(f"/v1/cases/{case['id']}", headers=bestuurder)).status_code == 404
    assert "gemeente" not in await _participants(world, case["id"])

    r = await world.fire(case["id"], "escaleren", ESCALATIE)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "bestuurlijk_niveau" and r.json()["version"] == case["version"] + 1
    # The gemeente comes in as the rung's regie holder; the ZVH (managementniveau) and woonpunt stay participants.
    assert await _participants(world, case["id"]) == {"gemeente": "regie", "woonpunt": "deelnemer",
                                                      "zvh-mh": "opener"}
    seen = await world.client.get(f"/v1/cases/{case['id']}", headers=bestuurder)
    assert seen.status_code == 200, seen.text
    assert (seen.json()["regie_organisation"], seen.json()["regie_gap"]) == ("gemeente", False)

    [entry] = [e for e in await audit_rows(db_url, action="participant:create") if e.actor_sub == "systeem"]
    assert (entry.actor_org, entry.object_type, entry.object_id, str(entry.case_id), entry.outcome) == (
        "systeem", "participant", "gemeente", case["id"], "allowed")
    assert entry.detail == {"via": "niveau", "trigger": "escaleren", "state": "bestuurlijk_niveau"}
    assert sorted(map(str, entry.subject_ids)) == sorted(s["id"] for s in case["subjects"])
    [update] = [e for e in await audit_rows(db_url, action="case:update", case_id=uuid.UUID(case["id"]))
                if e.actor_sub == "systeem" and e.detail["state"] == "bestuurlijk_niveau"]
    assert (update.actor_org, update.object_type, update.object_id, update.outcome) == (
        "systeem", "case", case["id"], "allowed")
    assert update.detail == {"via": "niveau", "trigger": "escaleren", "state": "bestuurlijk_niveau",
                             "fields": ["regie_organisation"], "regie_organisation": "gemeente",
                             "previous": "zvh-mh"}
    assert sorted(map(str, update.subject_ids)) == sorted(s["id"] for s in case["subjects"])
    # The bestuurder can now act on the rung it owns.
    r = await world.fire(case["id"], "doorzettingsbesluit", {"besluit": "Woonpunt zet de huur op"},
                         headers=bestuurder)
    assert r.status_code == 200, r.text


async def test_without_a_gemeente_party_the_escalation_is_refused_and_nothing_written(
    client: httpx.AsyncClient, auth: Any, db_url: str
) -> None:
    world = World(client, auth)
    await _without_gemeente_for_ave(world)
    case = await _ave_at(world, "managementniveau")
    before = await _participants(world, case["id"])
    by_systeem = [e for e in await audit_rows(db_url, case_id=uuid.UUID(case["id"])) if e.actor_sub == "systeem"]
    # So far only regie by level owner: the ZVH at opening (melding) and again at procesniveau.
    assert _regie(by_systeem) == [("aanmaken", "melding", "zvh-mh", None),
                                  ("escaleren", "procesniveau", "zvh-mh", "woonpunt")]

    body = problem(await world.fire(case["id"], "escaleren", ESCALATIE), 422)
    assert body["detail"] == ("Escalation to bestuurlijk_niveau needs a gemeente party to an active convenant "
                              "covering woonoverlast")
    assert body["errors"] == [REFUSAL]
    after = await _case(world, case["id"])
    assert (after["state"], after["version"], after["due_at"]) == (case["state"], case["version"], case["due_at"])
    assert after["regie_organisation"] == case["regie_organisation"] == "zvh-mh"
    assert await _participants(world, case["id"]) == before
    history = (await client.get(f"/v1/cases/{case['id']}/history", headers=world.regisseur)).json()["items"]
    assert history[-1]["to_state"] == "managementniveau"
    rows = await audit_rows(db_url, case_id=uuid.UUID(case["id"]))
    assert [e for e in rows if e.actor_sub == "systeem"] == by_systeem  # the refusal wrote nothing by systeem
    [denied] = [e for e in rows if e.outcome == "denied"]  # the refused attempt itself is on record
    assert (denied.action, denied.actor_sub) == ("case:transition", "regisseur-1")
    # The escalations below bestuurlijk niveau need no gemeente: only the required owner refuses.
    r = await world.fire(case["id"], "deescaleren", {})
    assert r.status_code == 200, r.text
    assert (await world.fire(case["id"], "escaleren", ESCALATIE)).status_code == 200


async def test_an_owner_already_taking_part_or_several_candidates_bring_nobody_in(
    client: httpx.AsyncClient, auth: Any, db_url: str
) -> None:
    world = World(client, auth)
    await world.organisations({**ORGANISATIONS, "gemeente-buur": "gemeente"})
    await world.convenant(parties={**DEFAULT_PARTIES, "gemeente-buur": ["identificatie"]})
    # Two gemeenten are party: the procesregisseur names one (a later issue); nobody is brought in meanwhile.
    case = await _ave_at(world, "managementniveau")
    r = await world.fire(case["id"], "escaleren", ESCALATIE)
    assert r.status_code == 200, r.text
    assert set(await _participants(world, case["id"])) == {"zvh-mh", "woonpunt"}
    # Regie stays at the ZVH (managementniveau) until the procesregisseur names one: the case shows the gap.
    assert (r.json()["regie_organisation"], r.json()["regie_gap"]) == ("zvh-mh", True)
    # The owner's kind takes part already (invited earlier): nobody else is brought in.
    case = await world.case("woonoverlast", participants=("woonpunt", "gemeente-buur"))
    for trigger, data in [("triage_starten", {}), ("oppakken", OPPAKKEN)] + [("escaleren", ESCALATIE)] * 3:
        assert (await world.fire(case["id"], trigger, data)).status_code == 200, trigger
    assert set(await _participants(world, case["id"])) == {"zvh-mh", "woonpunt", "gemeente-buur"}
    assert not [e for e in await audit_rows(db_url, action="participant:create") if e.actor_sub == "systeem"]


async def test_opening_and_every_state_entry_apply_the_owner_and_a_self_transition_does_not(
    world: World, db_url: str
) -> None:
    # Not only escalations: opening in a state, going down the ladder and coming back down to AVE casusniveau
    # apply the level owner too (DOMAIN.md "Regie and level owners"); ave_fase_wijzigen stays on its rung.
    ijam = await world.case("ijam", initial_state="jonge_aanwas")  # opened at a gemeente rung: the gemeente in
    assert (ijam["regie_organisation"], ijam["regie_gap"], ijam["version"]) == ("gemeente", False, 1)
    assert await _participants(world, ijam["id"]) == {"gemeente": "regie", "zvh-mh": "opener"}
    r = await world.fire(ijam["id"], "afschalen")  # into another gemeente rung: regie stays, nobody new
    assert r.status_code == 200 and r.json()["state"] == "netwerkoverleg", r.text
    assert r.json()["regie_organisation"] == "gemeente"
    assert set(await _participants(world, ijam["id"])) == {"zvh-mh", "gemeente"}

    pga_criteria = {"criteria": {"a": False, "b": False, "c": False, "d": True}}
    # Opened at the ZVH's rung: the opener holds regie.
    pga = await world.case("ijam", initial_state="pga", details=pga_criteria)
    assert (pga["regie_organisation"], pga["regie_gap"]) == ("zvh-mh", False)
    assert set(await _participants(world, pga["id"])) == {"zvh-mh"}
    r = await world.fire(pga["id"], "afschalen")  # going down into a gemeente rung brings the gemeente in
    assert r.status_code == 200 and r.json()["state"] == "jonge_aanwas", r.text
    assert r.json()["regie_organisation"] == "gemeente"
    assert await _participants(world, pga["id"]) == {"gemeente": "regie", "zvh-mh": "opener"}
    r = await world.fire(pga["id"], "opschalen", pga_criteria)
    assert r.status_code == 200 and r.json()["regie_organisation"] == "zvh-mh", r.text  # back at the ZVH's rung

    ave = await world.case("woonoverlast", participants=("woonpunt",))
    expected_regie = ["zvh-mh", "woonpunt", "woonpunt", "zvh-mh", "woonpunt"]
    for (trigger, data), regie in zip([("triage_starten", {}), ("oppakken", OPPAKKEN),
                                       ("ave_fase_wijzigen", {"ave_fase": 2}), ("escaleren", ESCALATIE),
                                       ("deescaleren", {})], expected_regie, strict=True):
        r = await world.fire(ave["id"], trigger, data)
        assert r.status_code == 200, trigger
        assert r.json()["regie_organisation"] == regie, trigger
    assert set(await _participants(world, ave["id"])) == {"zvh-mh", "woonpunt"}

    created = [e for e in await audit_rows(db_url, action="participant:create") if e.actor_sub == "systeem"]
    assert [(e.object_id, str(e.case_id), e.detail["trigger"], e.detail["state"]) for e in created] == [
        ("gemeente", ijam["id"], "aanmaken", "jonge_aanwas"), ("gemeente", pga["id"], "afschalen", "jonge_aanwas")]
    entries = await audit_rows(db_url)
    assert _regie([e for e in entries if str(e.case_id) == ijam["id"]]) == [
        ("aanmaken", "jonge_aanwas", "gemeente", None)]
    assert _regie([e for e in entries if str(e.case_id) == pga["id"]]) == [
        ("aanmaken", "pga", "zvh-mh", None), ("afschalen", "jonge_aanwas", "gemeente", "zvh-mh"),
        ("opschalen", "pga", "zvh-mh", "gemeente")]
    # oppakken hands regie itself (by the procesregisseur); ave_fase_wijzigen changes nothing.
    assert _regie([e for e in entries if str(e.case_id) == ave["id"]]) == [
        ("aanmaken", "melding", "zvh-mh", None), ("escaleren", "procesniveau", "zvh-mh", "woonpunt"),
        ("deescaleren", "casusniveau", "woonpunt", "zvh-mh")]


async def test_the_worker_escalates_every_ave_rung_once_and_brings_the_gemeente_in(
    world: World, app: Any, db_url: str
) -> None:
    case = await _ave_at(world, "procesniveau")
    late = _after(case)
    acts = await deadline_pass(app.state.db, now=late)
    assert [(str(a.case_id), a.action, a.to_state) for a in acts] == [(case["id"], "escalated", "managementniveau")]
    assert await deadline_pass(app.state.db, now=late) == []  # once
    case = await _case(world, case["id"])
    assert case["state"] == "managementniveau"
    assert "gemeente" not in await _participants(world, case["id"])

    acts = await deadline_pass(app.state.db, now=_after(case))
    assert [(str(a.case_id), a.action, a.to_state) for a in acts] == [(case["id"], "escalated", "bestuurlijk_niveau")]
    case = await _case(world, case["id"])
    assert case["state"] == "bestuurlijk_niveau"
    assert (await _participants(world, case["id"]))["gemeente"] == "regie"
    assert case["regie_organisation"] == "gemeente"
    bestuurder = world.h("gemeente", "bestuurder", sub="burgemeester-1")
    assert (await world.client.get(f"/v1/cases/{case['id']}", headers=bestuurder)).status_code == 200

    # bestuurlijk_niveau has no next rung: overdue there is flagged.
    acts = await deadline_pass(app.state.db, now=_after(case))
    assert [(str(a.case_id), a.action) for a in acts] == [(case["id"], "flagged")]
    entries = [e for e in await audit_rows(db_url, case_id=uuid.UUID(case["id"])) if e.actor_sub == "systeem"]
    # Regie by level owner at opening (melding) and at procesniveau; managementniveau is the ZVH's already.
    assert [(e.action, e.object_id if e.object_type == "participant" else None) for e in entries] == [
        ("case:update", None), ("case:update", None), ("case:transition", None),
        ("participant:create", "gemeente"), ("case:update", None), ("case:transition", None),
        ("case:overdue", None)]
    assert [e.detail["to"] for e in entries if e.action == "case:transition"] == [
        "managementniveau", "bestuurlijk_niveau"]
    assert entries[3].detail == {"via": "niveau", "trigger": "escaleren", "state": "bestuurlijk_niveau"}
    assert _regie(entries) == [("aanmaken", "melding", "zvh-mh", None),
                               ("escaleren", "procesniveau", "zvh-mh", "woonpunt"),
                               ("escaleren", "bestuurlijk_niveau", "gemeente", "zvh-mh")]
    history = (await world.client.get(f"/v1/cases/{case['id']}/history", headers=world.regisseur)).json()["items"]
    assert [(h["from_state"], h["to_state"], h["actor_sub"]) for h in history[-2:]] == [
        ("procesniveau", "managementniveau", "systeem"), ("managementniveau", "bestuurlijk_niveau", "systeem")]


async def test_the_worker_flags_what_it_may_not_escalate_and_goes_on(
    client: httpx.AsyncClient, auth: Any, app: Any, db_url: str
) -> None:
    world = World(client, auth)
    await _without_gemeente_for_ave(world)
    stuck = await _ave_at(world, "managementniveau")
    other = await _ave_at(world, "casusniveau")
    late = max(_after(stuck), _after(other))
    acts = await deadline_pass(app.state.db, now=late)
    assert sorted((str(a.case_id), a.action, a.to_state) for a in acts) == sorted([
        (stuck["id"], "flagged", None), (other["id"], "escalated", "procesniveau")])
    assert await deadline_pass(app.state.db, now=late) == []  # once
    after = await _case(world, stuck["id"])
    assert (after["state"], after["version"]) == (stuck["state"], stuck["version"])
    assert "gemeente" not in await _participants(world, stuck["id"])
    by_systeem = [e for e in await audit_rows(db_url, case_id=uuid.UUID(stuck["id"])) if e.actor_sub == "systeem"]
    # Before: regie by level owner (the ZVH at melding and at procesniveau); then only the flag, no regie change.
    assert [e.action for e in by_systeem] == ["case:update", "case:update", "case:overdue"]
    assert _regie(by_systeem) == [("aanmaken", "melding", "zvh-mh", None),
                                  ("escaleren", "procesniveau", "zvh-mh", "woonpunt")]
    flag = by_systeem[-1]
    assert flag.detail == {"state": "managementniveau", "due_at": stuck["due_at"].replace("Z", "+00:00"),
                           "escalation_refused": {"trigger": "escaleren", "to": "bestuurlijk_niveau",
                                                  "missing_owner": "gemeente"}}


async def test_the_published_workflow_shows_owners_and_the_stagnation_rungs(world: World) -> None:
    r = await world.client.get("/v1/workflows/woonoverlast", headers=world.regisseur)
    assert r.status_code == 200, r.text
    body = r.json()
    owners = {s["code"]: (s["owner_kind"], s["owner_required"], s["owner_named_by"]) for s in body["states"]}
    assert owners == {
        "melding": ("zvh", False, None),
        "triage": ("zvh", False, None),
        "casusniveau": (None, False, "regie_organisation"),
        "procesniveau": ("zvh", False, None),
        "managementniveau": ("zvh", False, None),
        "bestuurlijk_niveau": ("gemeente", True, None),
        "monitoring": (None, False, "regie_organisation"),
        "afgesloten": (None, False, None),
    }
    assert body["stagnation"] == {"kind": "escalate", "from_states": ["casusniveau", "procesniveau",
                                                                      "managementniveau"],
                                  "trigger": "escaleren", "data": {"escalatiereden": "stagnatie_samenwerking"},
                                  "elsewhere": "flag"}
    ijam = (await world.client.get("/v1/workflows/ijam", headers=world.regisseur)).json()
    assert [(s["code"], s["owner_kind"]) for s in ijam["states"]] == [
        ("knooppunt_school", "onderwijs"), ("netwerkoverleg", "gemeente"), ("jonge_aanwas", "gemeente"),
        ("pga", "zvh"), ("afgesloten", None)]
    assert not any(s["owner_required"] for s in ijam["states"])


@pytest.mark.parametrize("case_type", ["jeugdgroep", "ex_gedetineerde", "radicalisering", "ijam"])
async def test_only_ave_requires_an_owner(world: World, case_type: str) -> None:
    body = (await world.client.get(f"/v1/workflows/{case_type}", headers=world.regisseur)).json()
    assert [s["code"] for s in body["states"] if s["owner_required"]] == []
    assert all(s["owner_kind"] for s in body["states"] if s["code"] != "afgesloten")
