"""The jeugdgroep namenlijst as subjects (issue 16): members are person subjects of the case pointing at its group,
added and removed by the regie holder with `identificatie`, matchable with a BSN, named in the audit log; a signal
about the same group linked to the case adds its new members, never a second group."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.audit_helpers import audit_rows
from tests.signals.conftest import VALID_BSN, post_signal, signal_body
from tests.world import ALL_CATEGORIES, World

# gemeente holds regie on jeugdgroep (level owner) but, here, not identificatie; politie takes part.
PARTIES = {"zvh-mh": ALL_CATEGORIES, "gemeente": ["wonen", "sociaal_domein", "veiligheid"],
           "politie": ["identificatie", "politie", "veiligheid"], "woonpunt": ["identificatie", "wonen"]}
NEW = {"name": "Lid Twee", "birth_date": "2009-02-02"}


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Any) -> World:
    w = World(client, auth)
    await w.organisations()
    await w.convenant(parties=PARTIES)
    return w


async def group_case(world: World) -> dict[str, Any]:
    return await world.case("jeugdgroep", participants=("politie",))


def members_of(case: dict[str, Any]) -> list[tuple[str | None, str | None]]:
    group = next(s["id"] for s in case["subjects"] if s["type"] == "groep")
    return sorted((s["name"], s["birth_date"]) for s in case["subjects"] if s["member_of"] == group)


async def read(world: World, case_id: str) -> dict[str, Any]:
    r = await world.client.get(f"/v1/cases/{case_id}", headers=world.regisseur)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def add(world: World, case_id: str, body: dict[str, Any], headers: dict[str, str] | None = None,
              if_match: str = "*") -> httpx.Response:
    return await world.client.post(f"/v1/cases/{case_id}/members", json=body,
                                   headers=(headers or world.regisseur) | {"If-Match": if_match})


# (organisation, role) -> status of adding a member to a jeugdgroep case opened by the ZVH, gemeente holding regie.
MATRIX = {
    ("zvh-mh", "procesregisseur"): 201,  # opener, every category
    ("gemeente", "procesregisseur"): 403,  # regie holder without identificatie
    ("gemeente", "casusregisseur"): 403,  # idem
    ("politie", "casusregisseur"): 403,  # takes part, holds no regie (regie_bound)
    ("politie", "medewerker"): 403,  # takes part; no case:update
    ("zvh-mh", "auditor"): 404,  # may not read cases: not told it exists
    ("woonpunt", "casusregisseur"): 404,  # takes no part
    ("om", "medewerker"): 404,  # no convenant
}


@pytest.mark.parametrize(("org", "role"), list(MATRIX), ids=[f"{o}-{r}" for o, r in MATRIX])
async def test_member_matrix(world: World, db_url: str, org: str, role: str) -> None:
    case = await group_case(world)
    assert case["regie_organisation"] == "gemeente"
    h = world.h(org, role)
    added = await add(world, case["id"], NEW, h)
    assert added.status_code == MATRIX[(org, role)], added.text
    member = (await add(world, case["id"], {"name": "Lid Drie"})).json()["id"]  # by the ZVH, to remove
    removed = await world.client.request("DELETE", f"/v1/cases/{case['id']}/members/{member}",
                                         headers=h | {"If-Match": "*"})
    assert removed.status_code == (204 if MATRIX[(org, role)] == 201 else MATRIX[(org, role)]), removed.text
    denied = await audit_rows(db_url, action="case:update", outcome="denied", actor_org=org)
    assert len(denied) == (0 if MATRIX[(org, role)] == 201 else 2)
    names = [n for n, _ in members_of(await read(world, case["id"]))]
    assert names == (["Lid Een", "Lid Twee"] if MATRIX[(org, role)] == 201 else ["Lid Drie", "Lid Een"])


async def test_a_member_is_a_matchable_subject_in_the_audit_log(world: World, db_url: str) -> None:
    case = await read(world, (await group_case(world))["id"])
    r = await add(world, case["id"], NEW | {"bsn": VALID_BSN}, if_match=f'"{case["version"]}"')
    assert r.status_code == 201, r.text
    member = r.json()
    assert (member["type"], member["name"], member["member_of"]) == (
        "persoon", "Lid Twee", next(s["id"] for s in case["subjects"] if s["type"] == "groep"))
    assert "bsn" not in member and VALID_BSN not in r.text
    assert r.headers["etag"] == f'"{case["version"] + 1}"'
    after = await read(world, case["id"])
    assert members_of(after) == [("Lid Een", "2008-01-01"), ("Lid Twee", "2009-02-02")]
    entry = (await audit_rows(db_url, action="case:update", outcome="allowed", case_id=uuid.UUID(case["id"])))[-1]
    assert entry.detail == {"fields": ["members"], "member_added": member["id"]}
    assert member["id"] in [str(i) for i in entry.subject_ids]  # in the member's own access log
    # The member is matchable: a police signal about that BSN finds the case.
    signal = await post_signal(world.client, world.h("politie", "melder"),
                               signal_body(case_type_hint="jeugdgroep", category="politie",
                                           subject={"type": "persoon", "name": "L. Twee", "bsn": VALID_BSN}))
    assert signal.status_code == 201, signal.text
    seen = (await world.client.get(f"/v1/signals/{signal.json()['id']}", headers=world.regisseur)).json()
    assert {(m["kind"], m.get("case_id") or m.get("id")) for m in seen["matches"]} >= {("casus", case["id"])}


async def test_refusals(world: World) -> None:
    case = await group_case(world)
    assert (await add(world, case["id"], {"name": "Lid Een", "birth_date": "2008-01-01"})).status_code == 409
    assert (await add(world, case["id"], {"name": " lid een ", "birth_date": "2008-01-01"})).status_code == 409
    assert (await add(world, case["id"], NEW, if_match='"99"')).status_code == 412
    bad = await add(world, case["id"], {"name": "", "bsn": "111222334", "extra": 1})
    assert bad.status_code == 422
    assert sorted(tuple(e["loc"]) for e in bad.json()["errors"]) == [
        ("body", "bsn"), ("body", "extra"), ("body", "name")]
    person_case = await world.case("ijam")
    assert (await add(world, person_case["id"], NEW)).status_code == 422
    other = await world.client.request("DELETE", f"/v1/cases/{case['id']}/members/{person_case['subjects'][0]['id']}",
                                       headers=world.regisseur | {"If-Match": "*"})
    assert other.status_code == 404
    assert members_of(await read(world, case["id"])) == [("Lid Een", "2008-01-01")]


async def test_the_namenlijst_is_no_detail_any_more(world: World) -> None:
    case = await group_case(world)
    r = await world.client.patch(f"/v1/cases/{case['id']}", json={"details": {"leden": [{"name": "X"}]}},
                                 headers=world.regisseur | {"If-Match": "*"})
    assert r.status_code == 422
    assert ["body", "details", "leden"] in [e["loc"] for e in r.json()["errors"]]


async def test_a_signal_about_the_same_group_adds_no_second_group(world: World) -> None:
    case = await group_case(world)
    group = {"type": "groep", "name": "De hangplek", "members": [{"name": "LID EEN", "birth_date": "2008-01-01"},
                                                                 NEW, NEW]}
    signal = await post_signal(world.client, world.h("politie", "melder"),
                               signal_body(case_type_hint="jeugdgroep", category="politie", subject=group))
    assert signal.status_code == 201, signal.text
    r = await world.client.post(f"/v1/signals/{signal.json()['id']}/triage", headers=world.regisseur,
                                json={"decision": "koppelen", "case_id": case["id"], "reason": "zelfde groep"})
    assert r.status_code == 200, r.text
    after = await read(world, case["id"])
    assert [s["type"] for s in after["subjects"]].count("groep") == 1
    assert members_of(after) == [("Lid Een", "2008-01-01"), ("Lid Twee", "2009-02-02")]
    # The signal keeps its own subject and members.
    own = (await world.client.get(f"/v1/signals/{signal.json()['id']}", headers=world.regisseur)).json()
    assert own["subject"]["name"] == "De hangplek"
