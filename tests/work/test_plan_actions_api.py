"""A partner updates its own plan action (issue 15 item 3): the status moves without a new plan version, every
change is kept and shown with the plan, audited; another partner cannot change it; concurrent updates are not
lost; the plan author cannot silently put an old status back."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.audit_helpers import audit_rows
from tests.work.kit import PlanWorld, plan_world


@pytest.fixture
async def pw(client: httpx.AsyncClient, auth: Any) -> PlanWorld:
    return await plan_world(client, auth)


def _etag(r: httpx.Response) -> str:
    return r.headers["etag"]


async def _plan(pw: PlanWorld, **params: Any) -> dict[str, Any]:
    r = await pw.client.get(f"/v1/cases/{pw.case['id']}/plan", params=params, headers=pw.world.regisseur)
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_partner_marks_its_action_gereed_and_the_regie_holder_sees_it(pw: PlanWorld, db_url: str) -> None:
    partner = pw.world.h(pw.orgs["owner"], "medewerker", sub="medewerker-1")
    before = await pw.client.get(f"/v1/cases/{pw.case['id']}", headers=partner)
    r = await pw.client.patch(pw.action_path(), json={"status": "gereed", "toelichting": "Huisbezoek afgelegd"},
                              headers=partner | {"If-Match": _etag(before)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == pw.action_of("owner")["id"] and body["status"] == "gereed"
    assert _etag(r) == f'"{before.json()["version"] + 1}"'
    # The regie holder reads it on the plan: the status and who changed it, when, from what, why.
    regie = pw.world.h(pw.orgs["regie"], "casusregisseur")
    plan = (await pw.client.get(f"/v1/cases/{pw.case['id']}/plan", headers=regie)).json()
    assert plan["version"] == pw.plan["version"] == 1
    (action,) = [a for a in plan["actions"] if a["id"] == body["id"]]
    assert action["status"] == "gereed"
    (change,) = action["changes"]
    assert (change["from_status"], change["to_status"], change["toelichting"], change["actor_sub"],
            change["actor_org"], change["actor_role"]) == (
        "open", "gereed", "Huisbezoek afgelegd", "medewerker-1", pw.orgs["owner"], "medewerker")
    # No new plan version.
    versions = (await pw.client.get(f"/v1/cases/{pw.case['id']}/plan/versions", headers=regie)).json()["items"]
    assert [v["version"] for v in versions] == [1]
    # Audited with the case and its subjects, without the free text.
    case = (await pw.client.get(f"/v1/cases/{pw.case['id']}", headers=pw.world.regisseur)).json()
    (entry,) = await audit_rows(db_url, action="plan_action:update", outcome="allowed")
    assert (entry.actor_org, entry.object_type, entry.object_id, str(entry.case_id)) == (
        pw.orgs["owner"], "plan_action", body["id"], pw.case["id"])
    assert sorted(entry.subject_ids) == sorted(s["id"] for s in case["subjects"]) != []
    assert entry.detail == {"plan_version": 1, "from": "open", "to": "gereed", "organisation": pw.orgs["owner"]}
    assert "Huisbezoek afgelegd" not in str(entry.detail)


async def test_another_partner_cannot_change_it(pw: PlanWorld, db_url: str) -> None:
    other = pw.world.h(pw.orgs["other"], "casusregisseur")
    r = await pw.client.patch(pw.action_path("owner"), json={"status": "niet_gelukt"}, headers=other)
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    # Its own action it may change.
    mine = await pw.client.patch(pw.action_path("other"), json={"status": "in_uitvoering"}, headers=other)
    assert mine.status_code == 200, mine.text
    plan = await _plan(pw)
    assert {a["organisation"]: a["status"] for a in plan["actions"]} == {
        pw.orgs["owner"]: "open", pw.orgs["other"]: "in_uitvoering"}
    (denied,) = await audit_rows(db_url, action="plan_action:update", outcome="denied")
    assert (denied.actor_org, denied.object_id, str(denied.case_id), denied.detail["reason"]) == (
        pw.orgs["other"], pw.action_of("owner")["id"], pw.case["id"], "action owned by another organisation")
    # An organisation that does not take part learns nothing: 404, audited too.
    outsider = await pw.client.patch(pw.action_path(), json={"status": "gereed"},
                                     headers=pw.world.h(pw.orgs["outsider"], "medewerker"))
    assert outsider.status_code == 404
    assert len(await audit_rows(db_url, action="plan_action:update", outcome="denied")) == 2


async def test_every_change_is_kept_in_order(pw: PlanWorld) -> None:
    partner = pw.world.h(pw.orgs["owner"], "casusregisseur")
    for status in ("in_uitvoering", "niet_gelukt", "open", "gereed"):
        r = await pw.client.patch(pw.action_path(), json={"status": status}, headers=partner)
        assert r.status_code == 200, r.text
    steps = [(c["from_status"], c["to_status"]) for c in r.json()["changes"]]
    assert steps == [("open", "in_uitvoering"), ("in_uitvoering", "niet_gelukt"), ("niet_gelukt", "open"),
                     ("open", "gereed")]


@pytest.mark.parametrize(("body", "loc"), [
    ({"status": "vervallen"}, ["body", "status"]),
    ({"status": "afgerond"}, ["body", "status"]),
    ({}, ["body", "status"]),
    ({"status": "gereed", "toelichting": " "}, ["body", "toelichting"]),
    ({"status": "gereed", "position": 3}, ["body", "position"]),
])
async def test_bad_input_is_422_naming_the_field(pw: PlanWorld, body: dict[str, Any], loc: list[Any]) -> None:
    r = await pw.client.patch(pw.action_path(), json=body, headers=pw.world.h(pw.orgs["owner"], "medewerker"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert loc in [e["loc"] for e in r.json()["errors"]]


async def test_without_if_match_428_and_a_stale_one_412(pw: PlanWorld, app: object) -> None:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))  # type: ignore[arg-type]
    partner = pw.world.h(pw.orgs["owner"], "medewerker")
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as bare:
        r = await bare.patch(pw.action_path(), json={"status": "gereed"}, headers=partner)
        assert r.status_code == 428, r.text
        stale = await bare.patch(pw.action_path(), json={"status": "gereed"}, headers=partner | {"If-Match": '"1"'})
        assert stale.status_code == 412, stale.text
    assert (await _plan(pw))["actions"][0]["status"] == "open"


async def test_a_plan_built_before_a_partner_update_cannot_put_the_old_status_back(pw: PlanWorld) -> None:
    read = await pw.client.get(f"/v1/cases/{pw.case['id']}", headers=pw.world.regisseur)
    r = await pw.client.patch(pw.action_path(), json={"status": "gereed"},
                              headers=pw.world.h(pw.orgs["owner"], "medewerker"))
    assert r.status_code == 200
    old = {"actions": [{"description": a["description"], "organisation": a["organisation"], "status": a["status"]}
                       for a in pw.plan["actions"]]}
    put = await pw.client.put(f"/v1/cases/{pw.case['id']}/plan", json=old,
                              headers=pw.world.regisseur | {"If-Match": _etag(read)})
    assert put.status_code == 412, put.text


async def test_only_actions_of_the_current_plan_that_still_count_change(pw: PlanWorld) -> None:
    partner = pw.world.h(pw.orgs["owner"], "medewerker")
    old_path = pw.action_path()
    # A new version: the owner's action is dropped (vervallen) by the plan's author.
    new = {"actions": [{"description": "Huisbezoek", "organisation": pw.orgs["owner"], "status": "vervallen"},
                       {"description": "Gesprek", "organisation": pw.orgs["other"]}]}
    put = await pw.client.put(f"/v1/cases/{pw.case['id']}/plan", json=new, headers=pw.world.regisseur)
    assert put.status_code == 200
    r = await pw.client.patch(old_path, json={"status": "gereed"}, headers=partner)
    assert r.status_code == 409 and "version 1" in r.json()["detail"]
    pw.plan = put.json()
    r = await pw.client.patch(pw.action_path(), json={"status": "gereed"}, headers=partner)
    assert r.status_code == 409 and "vervallen" in r.json()["detail"]
    # An action id of another case, or none at all: not found in this case.
    r = await pw.client.patch(f"/v1/cases/{pw.case['id']}/plan/actions/00000000-0000-4000-8000-000000000000",
                              json={"status": "gereed"}, headers=partner)
    assert r.status_code == 404


async def test_a_closed_case_keeps_its_plan(pw: PlanWorld) -> None:
    closed = await pw.world.fire(pw.case["id"], "afsluiten", {"uitstroomreden": "verhuisd"})
    assert closed.status_code == 200, closed.text
    r = await pw.client.patch(pw.action_path(), json={"status": "gereed"},
                              headers=pw.world.h(pw.orgs["owner"], "medewerker"))
    assert r.status_code == 409, r.text


async def test_two_partners_updating_at_once_lose_nothing(pw: PlanWorld) -> None:
    owner = pw.world.h(pw.orgs["owner"], "medewerker")
    regie = pw.world.h(pw.orgs["regie"], "casusregisseur")
    results = await asyncio.gather(
        pw.client.patch(pw.action_path(), json={"status": "gereed", "toelichting": "a"}, headers=owner),
        pw.client.patch(pw.action_path(), json={"status": "niet_gelukt", "toelichting": "b"}, headers=regie))
    assert [r.status_code for r in results] == [200, 200]
    (action,) = [a for a in (await _plan(pw))["actions"] if a["id"] == pw.action_of("owner")["id"]]
    changes = action["changes"]
    # Applied one after the other: the second found what the first set, and the status is the last one's.
    assert len(changes) == 2 and changes[0]["from_status"] == "open"
    assert changes[1]["from_status"] == changes[0]["to_status"]
    assert action["status"] == changes[1]["to_status"]


async def test_two_partners_with_the_same_etag_one_wins(pw: PlanWorld) -> None:
    etag = _etag(await pw.client.get(f"/v1/cases/{pw.case['id']}", headers=pw.world.regisseur))
    owner = pw.world.h(pw.orgs["owner"], "medewerker")
    regie = pw.world.h(pw.orgs["regie"], "casusregisseur")
    results = await asyncio.gather(
        pw.client.patch(pw.action_path(), json={"status": "gereed"}, headers=owner | {"If-Match": etag}),
        pw.client.patch(pw.action_path(), json={"status": "niet_gelukt"}, headers=regie | {"If-Match": etag}))
    assert sorted(r.status_code for r in results) == [200, 412]
    (action,) = [a for a in (await _plan(pw))["actions"] if a["id"] == pw.action_of("owner")["id"]]
    assert len(action["changes"]) == 1
