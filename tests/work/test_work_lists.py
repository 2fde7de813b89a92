"""The work lists (issue 15 item 2): exactly the caller's organisation's actions in the current plan of every open
case it may read, and exactly the open cases awaiting it; stable paging; filters; unknown parameters refused."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from app.kit import clock
from tests.audit_helpers import audit_rows
from tests.world import World

ORG = "woonpunt"
WEGING = {"weegcriteria": {"ideologie": True, "geweldsbereidheid": "middel"},
          "motivering": "Besproken aan de regionale weegtafel"}


def _day(offset: int | None) -> str | None:
    return None if offset is None else (clock.today() + timedelta(days=offset)).isoformat()


async def _ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json() if r.content else None


async def _plan(world: World, case_id: str, actions: list[tuple[str, int | None, str]]) -> None:
    body = {"actions": [{"description": f"Actie {i}", "organisation": org, "due_date": _day(due), "status": status}
                        for i, (org, due, status) in enumerate(actions)]}
    await _ok(await world.client.put(f"/v1/cases/{case_id}/plan", json=body, headers=world.regisseur))


async def _actions_world(world: World) -> list[str]:
    """Cases the woonpunt may and may not read, plans in several versions; returns every case id."""
    ids = []
    a = await world.case("woonoverlast", participants=(ORG, "politie"))
    await _plan(world, a["id"], [(ORG, 3, "open"), (ORG, 3, "open"), ("politie", 1, "open")])
    await _plan(world, a["id"], [(ORG, -2, "open"), (ORG, 5, "gereed"), (ORG, None, "vervallen"),
                                 ("politie", 1, "open")])  # only this version counts
    ids.append(a["id"])
    b = await world.case("ijam", participants=(ORG,))
    await _plan(world, b["id"], [(ORG, None, "open"), (ORG, -10, "in_uitvoering"), (ORG, -10, "gereed"),
                                 (ORG, 0, "niet_gelukt"), ("zvh-mh", -1, "open")])
    ids.append(b["id"])
    e = await world.case("woonoverlast", participants=(ORG,))
    await _plan(world, e["id"], [(ORG, 3, "open")] * 6 + [(ORG, None, "open")] * 2)
    ids.append(e["id"])
    # No longer taking part: its actions are no longer the woonpunt's to see.
    c = await world.case("ex_gedetineerde", participants=(ORG,))
    await _plan(world, c["id"], [(ORG, 1, "open")])
    await _ok(await world.client.delete(f"/v1/cases/{c['id']}/participants/{ORG}", headers=world.regisseur), 204)
    ids.append(c["id"])
    # Closed: nothing awaits anyone.
    d = await world.case("woonoverlast", participants=(ORG,))
    await _plan(world, d["id"], [(ORG, 1, "open")])
    await _ok(await world.fire(d["id"], "afsluiten", {"uitstroomreden": "verhuisd"}))
    ids.append(d["id"])
    # A case without a plan, and one where the woonpunt takes no part.
    ids.append((await world.case("ijam", participants=(ORG,)))["id"])
    f = await world.case("ijam", participants=("politie",))
    await _plan(world, f["id"], [("politie", 1, "open")])
    ids.append(f["id"])
    return ids


async def _expected(world: World, case_ids: list[str], org: str) -> dict[str, dict[str, Any]]:
    """Computed through the single-case API as the procesregisseur sees it, independently of the work list: the
    current plan's actions of `org`, in the open cases `org` takes part in (all under one convenant here)."""
    expected: dict[str, dict[str, Any]] = {}
    for cid in case_ids:
        case = await _ok(await world.client.get(f"/v1/cases/{cid}", headers=world.regisseur))
        if case["closed_at"] is not None or org not in {p["organisation"] for p in case["participants"]}:
            continue
        plan = await world.client.get(f"/v1/cases/{cid}/plan", headers=world.regisseur)
        if plan.status_code == 404:
            continue
        for action in (await _ok(plan))["actions"]:
            if action["organisation"] == org:
                expected[action["id"]] = action | {"case_id": cid, "case_reference": case["reference"]}
    return expected


async def _walk(client: httpx.AsyncClient, path: str, headers: dict[str, str], limit: int,
                **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        page = await _ok(await client.get(path, headers=headers,
                                          params={**params, "limit": limit} | ({"cursor": cursor} if cursor else {})))
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("paging does not end")


async def test_work_actions_are_exactly_the_organisations_own(world: World, db_url: str) -> None:
    case_ids = await _actions_world(world)
    expected = await _expected(world, case_ids, ORG)
    assert len(expected) == 3 + 4 + 8
    h = world.h(ORG, "medewerker")
    listed = (await _ok(await world.client.get("/v1/work/actions", params={"limit": 200}, headers=h)))["items"]
    assert {a["id"] for a in listed} == set(expected)
    assert len(listed) == len(expected)
    today = clock.today()
    for item in listed:
        want = expected[item["id"]]
        assert (item["case_id"], item["case_reference"], item["description"], item["organisation"],
                item["due_date"], item["status"]) == (want["case_id"], want["case_reference"], want["description"],
                                                      ORG, want["due_date"], want["status"])
        assert item["overdue"] == (item["due_date"] is not None and date.fromisoformat(item["due_date"]) < today
                                   and item["status"] in ("open", "in_uitvoering"))
    assert sorted(a["overdue"] for a in listed).count(True) == 2
    # By due date, those without one last.
    keys = [(a["due_date"] or "9999-12-31") for a in listed]
    assert keys == sorted(keys)
    # Another organisation's list is its own: politie takes part in a and f.
    politie = await _ok(await world.client.get("/v1/work/actions", headers=world.h("politie", "medewerker")))
    assert {a["id"] for a in politie["items"]} == set(await _expected(world, case_ids, "politie"))
    # The audit entry names exactly the actions returned.
    (entry,) = await audit_rows(db_url, action="work:actions", actor_org=ORG)
    assert sorted(entry.detail["action_ids"]) == sorted(expected)
    assert set(entry.detail["case_ids"]) == {a["case_id"] for a in listed}


@pytest.mark.parametrize("limit", [1, 3, 5])
async def test_work_action_pages_are_stable(world: World, limit: int) -> None:
    await _actions_world(world)
    h = world.h(ORG, "medewerker")
    full = (await _ok(await world.client.get("/v1/work/actions", params={"limit": 200}, headers=h)))["items"]
    walked = await _walk(world.client, "/v1/work/actions", h, limit)
    assert [a["id"] for a in walked] == [a["id"] for a in full]
    assert len({a["id"] for a in walked}) == len(walked) == 15


async def test_work_action_filters(world: World) -> None:
    await _actions_world(world)
    h = world.h(ORG, "medewerker")
    full = (await _ok(await world.client.get("/v1/work/actions", params={"limit": 200}, headers=h)))["items"]

    async def listed(**params: Any) -> set[str]:
        return {a["id"] for a in await _walk(world.client, "/v1/work/actions", h, 4, **params)}

    assert await listed(status=["open", "in_uitvoering"]) == {
        a["id"] for a in full if a["status"] in ("open", "in_uitvoering")}
    assert await listed(status="gereed") == {a["id"] for a in full if a["status"] == "gereed"}
    assert await listed(overdue="true") == {a["id"] for a in full if a["overdue"]}
    assert await listed(overdue="false") == {a["id"] for a in full if not a["overdue"]}
    before, after = _day(1), _day(-3)
    assert before and after
    assert await listed(due_before=before) == {a["id"] for a in full if a["due_date"] and a["due_date"] < before}
    assert await listed(due_after=after, due_before=before) == {
        a["id"] for a in full if a["due_date"] and after < a["due_date"] < before}


@pytest.mark.parametrize(("path", "params", "loc"), [
    ("/v1/work/actions", {"statuss": "gereed"}, ["query", "statuss"]),
    ("/v1/work/actions", {"status": "afgerond"}, ["query", "status", 0]),
    ("/v1/work/actions", {"due_before": "morgen"}, ["query", "due_before"]),
    ("/v1/work/actions", {"cursor": "bm9wZQ"}, ["query", "cursor"]),
    ("/v1/work/actions", {"limit": "0"}, ["query", "limit"]),
    ("/v1/work/cases", {"case_type": "ijam"}, ["query", "case_type"]),
    ("/v1/work/cases", {"awaiting": "iedereen"}, ["query", "awaiting"]),
    ("/v1/work/cases", {"due_before": "2026-12-01"}, ["query", "due_before"]),
    ("/v1/work/cases", {"cursor": "e30"}, ["query", "cursor"]),
])
async def test_bad_or_unknown_parameters_are_422(world: World, path: str, params: dict[str, str],
                                                 loc: list[Any]) -> None:
    r = await world.client.get(path, params=params, headers=world.h(ORG, "medewerker"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert loc in [e["loc"] for e in r.json()["errors"]]


async def test_work_cases_are_those_awaiting_the_organisation(world: World, db_url: str) -> None:
    # netwerkoverleg is the gemeente's rung; regie named elsewhere (politie) stays there.
    niveau = await world.case("ijam", initial_state="netwerkoverleg", regie_organisation="politie",
                              participants=("gemeente",))
    # The gemeente owns every jeugdgroep step: opening hands it regie.
    both = await world.case("jeugdgroep")
    assert both["regie_organisation"] == "gemeente"
    # Regie with the woonpunt at the ZVH's level.
    woonpunt_regie = await world.case("woonoverlast", regie_organisation=ORG)
    # Closed: awaits no one.
    closed = await world.case("jeugdgroep")
    await _ok(await world.fire(closed["id"], "afsluiten", {"uitstroomreden": "verhuisd"}))
    # A PGA decision (veiligheid) puts the case in a state the woonpunt may not see: even with regie handed to it,
    # the case stays off its list (being on it would tell the state).
    pga = await world.case("radicalisering", regie_organisation="gemeente", participants=(ORG,))
    for trigger, data in (("voorwegen", {}), ("naar_weegtafel", {}), ("besluit_pga", WEGING)):
        await _ok(await world.fire(pga["id"], trigger, data))
    await _ok(await world.client.patch(f"/v1/cases/{pga['id']}", json={"regie_organisation": ORG},
                                       headers=world.regisseur))

    async def work(org: str, role: str = "medewerker", **params: Any) -> dict[str, list[str]]:
        items = await _walk(world.client, "/v1/work/cases", world.h(org, role), 2, **params)
        return {c["id"]: c["awaiting"] for c in items}

    assert await work("gemeente") == {niveau["id"]: ["niveau"], both["id"]: ["regie", "niveau"]}
    assert await work("gemeente", "bestuurder", awaiting="regie") == {both["id"]: ["regie", "niveau"]}
    assert await work("politie") == {niveau["id"]: ["regie"]}
    assert await work(ORG) == {woonpunt_regie["id"]: ["regie"]}
    # The ZVH owns melding (the woonoverlast case) and casusoverleg (the PGA case, where it no longer holds regie).
    assert await work("zvh-mh", "procesregisseur") == {woonpunt_regie["id"]: ["niveau"], pga["id"]: ["niveau"]}
    assert await work("gemeente", state="netwerkoverleg") == {niveau["id"]: ["niveau"]}
    # By deadline: every open case here has one.
    items = (await _ok(await world.client.get("/v1/work/cases", headers=world.h("gemeente", "medewerker"))))["items"]
    assert [c["due_at"] for c in items] == sorted(c["due_at"] for c in items)
    assert all(not c["overdue"] for c in items)
    assert await work("gemeente", overdue="true") == {}
    first = items[0]["due_at"]
    assert await work("gemeente", due_before=first) == {}
    assert set(await work("gemeente", due_after=first)) == {c["id"] for c in items[1:]}
    # Paging one case at a time walks the same list, none twice, none missing.
    walked = await _walk(world.client, "/v1/work/cases", world.h("zvh-mh", "procesregisseur"), 1)
    full = (await _ok(await world.client.get("/v1/work/cases", params={"limit": 200},
                                             headers=world.h("zvh-mh", "procesregisseur"))))["items"]
    assert [c["id"] for c in walked] == [c["id"] for c in full] and len({c["id"] for c in walked}) == len(full) == 2
    entries = await audit_rows(db_url, action="work:cases", actor_org="politie")
    assert [e.detail["case_ids"] for e in entries] == [[niveau["id"]]]


@pytest.mark.parametrize("limit", [1, 2, 4])
async def test_work_case_pages_are_stable_with_and_without_deadlines(world: World, limit: int) -> None:
    ids = [(await world.case("jeugdgroep"))["id"] for _ in range(3)]
    # In detentie without an expected release date a case has no deadline (its deadline follows that date):
    # such cases come last.
    release = (date.today() + timedelta(days=200)).isoformat()
    for _ in range(3):
        case = await world.case("ex_gedetineerde")
        screened = await _ok(await world.fire(case["id"], "screenen", {"verwachte_invrijheidstelling": release}))
        await _ok(await world.client.patch(f"/v1/cases/{case['id']}", headers=world.regisseur | {
            "If-Match": f'"{screened["version"]}"'}, json={"details": {"verwachte_invrijheidstelling": None}}))
        ids.append(case["id"])
    h = world.h("gemeente", "casusregisseur")
    full = (await _ok(await world.client.get("/v1/work/cases", params={"limit": 200}, headers=h)))["items"]
    assert {c["id"] for c in full} == set(ids)
    assert [c["due_at"] is None for c in full] == [False] * 3 + [True] * 3
    walked = await _walk(world.client, "/v1/work/cases", h, limit)
    assert [c["id"] for c in walked] == [c["id"] for c in full]
