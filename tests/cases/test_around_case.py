"""Around the case: opening rules, categories per organisation, participants, plan versions, audit per read."""

from __future__ import annotations

from typing import Any

import pytest

from tests.audit_helpers import audit_rows
from tests.world import SUBJECTS, World


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"case_type": "ijam", "title": "t", "subjects": [SUBJECTS["ijam"]], "initial_state": "afgesloten"},
         "initial_state"),
        ({"case_type": "woonoverlast", "title": "t", "subjects": [SUBJECTS["ijam"]],
          "initial_state": "pga"}, "initial_state"),
        ({"case_type": "woonoverlast", "title": "t", "subjects": [SUBJECTS["ijam"]]}, "subjects"),
        ({"case_type": "ijam", "title": "t", "subjects": []}, "subjects"),
        ({"case_type": "ijam", "title": "t", "subjects": [SUBJECTS["ijam"]], "regie_organisation": "om"},
         "regie_organisation"),
        ({"case_type": "ijam", "title": "t", "subjects": [SUBJECTS["ijam"]],
          "related_case_id": "00000000-0000-0000-0000-000000000001"}, "related_case_id"),
        ({"case_type": "ijam", "title": "t", "subjects": [SUBJECTS["ijam"]], "details": {"nonsense": 1}}, "details"),
        ({"case_type": "brandweer", "title": "t", "subjects": [SUBJECTS["ijam"]]}, "case_type"),
        ({"case_type": "ijam", "title": "", "subjects": [SUBJECTS["ijam"]]}, "title"),
        ({"case_type": "ijam", "title": "t", "subjects": [{"type": "persoon", "bsn": "123456789"}]}, "bsn"),
        ({"case_type": "ijam", "title": "t", "subjects": [{"type": "adres", "postcode": "12", "house_number": "1"}]},
         "postcode"),
        ({"case_type": "ijam", "title": "t", "subjects": [SUBJECTS["ijam"]], "extra": True}, "extra"),
    ],
)
async def test_bad_case_bodies_are_422_and_store_nothing(world: World, body: dict[str, Any], field: str) -> None:
    r = await world.client.post("/v1/cases", json=body, headers=world.regisseur)
    assert r.status_code == 422, r.text
    assert any(field in [str(p) for p in e["loc"]] for e in r.json()["errors"]), r.json()
    listed = await world.client.get("/v1/cases", headers=world.regisseur)
    assert listed.json()["items"] == []


async def test_opening_needs_a_convenant_for_the_type(world: World) -> None:
    # ggz is a party of the default convenant but has no procesregisseur rights over other types? It has: use om.
    r = await world.client.post("/v1/cases", json={"case_type": "ijam", "title": "t", "subjects": [SUBJECTS["ijam"]]},
                                headers=world.h("om", "procesregisseur"))
    assert r.status_code == 403
    for role in ("medewerker", "casusregisseur", "melder", "bestuurder", "beheerder", "auditor"):
        r = await world.client.post("/v1/cases", json={"case_type": "ijam", "title": "t",
                                                       "subjects": [SUBJECTS["ijam"]]},
                                    headers=world.h("zvh-mh", role))
        assert r.status_code == 403, role


async def test_case_shape_reference_etag_and_location(world: World) -> None:
    r = await world.client.post("/v1/cases", json={"case_type": "jeugdgroep", "title": "Groep",
                                                   "subjects": [SUBJECTS["jeugdgroep"]]}, headers=world.regisseur)
    assert r.status_code == 201
    case = r.json()
    assert r.headers["etag"] == '"1"' and r.headers["location"] == f"/v1/cases/{case['id']}"
    assert case["reference"].startswith("JG-") and case["state"] == "signalering" and case["step"] == "1"
    assert case["due_at"] is not None and case["overdue"] is False
    # The level owner of every jeugdgroep step is the gemeente (DOMAIN.md "Regie and level owners"): opening
    # without a named regie brings the one gemeente party in and gives it regie, in the same version.
    assert [(p["organisation"], p["basis"]) for p in case["participants"]] == [("gemeente", "regie"),
                                                                               ("zvh-mh", "opener")]
    assert (case["regie_organisation"], case["regie_gap"], case["version"]) == ("gemeente", False, 1)
    group = [s for s in case["subjects"] if s["type"] == "groep"]
    members = [s for s in case["subjects"] if s["member_of"] == group[0]["id"]]
    assert group[0]["name"] == "De Hangplek" and [m["name"] for m in members] == ["Lid Een"]


async def test_notes_are_filtered_by_category_per_organisation(world: World) -> None:
    case = await world.case("woonoverlast", participants=("politie", "woonpunt", "ggz"))
    cid = case["id"]
    texts = {}
    for category in ("wonen", "politie", "zorg", "justitie"):
        r = await world.client.post(f"/v1/cases/{cid}/notes", json={"category": category, "text": f"{category} tekst"},
                                    headers=world.regisseur)
        assert r.status_code == 201
        texts[category] = r.json()["id"]
    seen = {}
    for org in ("politie", "woonpunt", "ggz"):
        r = await world.client.get(f"/v1/cases/{cid}/notes", headers=world.h(org, "medewerker"))
        seen[org] = sorted(n["category"] for n in r.json()["items"])
    assert seen == {"politie": ["politie", "wonen"], "woonpunt": ["wonen"], "ggz": ["zorg"]}
    # A note in another category is as if it did not exist, also when asked for by category.
    r = await world.client.get(f"/v1/cases/{cid}/notes", params={"category": "zorg"},
                               headers=world.h("woonpunt", "medewerker"))
    assert r.json()["items"] == []
    r = await world.client.post(f"/v1/cases/{cid}/notes", json={"category": "zorg", "text": "x"},
                                headers=world.h("woonpunt", "medewerker"))
    assert r.status_code == 403


async def test_identifying_data_needs_identificatie(world: World, client: Any, auth: Any) -> None:
    await world.organisations({"halt": "halt"})
    await world.convenant("c-halt", case_types=["ijam"], parties={"zvh-mh": ["identificatie"], "halt": ["onderwijs"]})
    case = await world.case("ijam", participants=("halt",))
    seen = (await client.get(f"/v1/cases/{case['id']}", headers=auth("halt", "medewerker"))).json()
    assert seen["subjects"] and all(s["name"] is None and s["withheld"] for s in seen["subjects"])
    assert seen["visible_categories"] == ["onderwijs"]
    full = (await client.get(f"/v1/cases/{case['id']}", headers=world.regisseur)).json()
    assert full["subjects"][0]["name"] == "Jongere Een"


async def test_participants_rules(world: World) -> None:
    case = await world.case("ijam")
    base = f"/v1/cases/{case['id']}/participants"
    r = await world.client.post(base, json={"organisation": "om"}, headers=world.regisseur)
    assert r.status_code == 422 and "convenant" in r.json()["errors"][0]["msg"]
    r = await world.client.post(base, json={"organisation": "nope"}, headers=world.regisseur)
    assert r.status_code == 422
    r = await world.client.post(base, json={"organisation": "politie"}, headers=world.regisseur)
    assert r.status_code == 201 and r.headers["etag"] == '"2"'
    r = await world.client.post(base, json={"organisation": "politie"}, headers=world.regisseur)
    assert r.status_code == 409
    r = await world.client.delete(f"{base}/zvh-mh", headers=world.regisseur)
    assert r.status_code == 409
    r = await world.client.delete(f"{base}/ggz", headers=world.regisseur)
    assert r.status_code == 404
    listed = (await world.client.get(base, headers=world.h("politie", "medewerker"))).json()["items"]
    assert [(p["organisation"], p["basis"]) for p in listed] == [("politie", "deelnemer"), ("zvh-mh", "opener")]


async def test_regie_and_details_patch(world: World) -> None:
    # aangemeld's level owner is the gemeente (DOMAIN.md "Regie and level owners"): opening gives it regie.
    case = await world.case("ex_gedetineerde", participants=("gemeente",))
    cid = case["id"]
    assert (case["regie_organisation"], case["regie_gap"], case["version"]) == ("gemeente", False, 1)
    casusregisseur = world.h("gemeente", "casusregisseur")
    # The procesregisseur may name another regie organisation; the gemeente's casusregisseur then may not write.
    r = await world.client.patch(f"/v1/cases/{cid}", json={"regie_organisation": "zvh-mh"},
                                 headers=world.regisseur | {"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert (r.json()["regie_organisation"], r.json()["regie_gap"], r.headers["etag"]) == ("zvh-mh", True, '"2"')
    r = await world.client.patch(f"/v1/cases/{cid}", json={"details": {"basisvoorwaarden": {"onderdak": "geregeld"}}},
                                 headers=casusregisseur)
    assert r.status_code == 403, r.text
    r = await world.client.patch(f"/v1/cases/{cid}", json={"regie_organisation": "gemeente"},
                                 headers=world.regisseur | {"If-Match": '"2"'})
    assert r.status_code == 200, r.text
    assert r.json()["regie_organisation"] == "gemeente" and r.headers["etag"] == '"3"'
    r = await world.client.patch(f"/v1/cases/{cid}", json={"details": {"basisvoorwaarden": {"onderdak": "geregeld"}}},
                                 headers=casusregisseur)
    assert r.status_code == 200, r.text
    assert r.json()["details"]["basisvoorwaarden"]["onderdak"] == "geregeld"
    r = await world.client.patch(f"/v1/cases/{cid}", json={"details": {"basisvoorwaarden": {"onderdak": "prima"}}},
                                 headers=casusregisseur)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"][:3] == ["body", "details", "basisvoorwaarden"]
    # justitie-category details are not the gemeente's to write.
    r = await world.client.patch(f"/v1/cases/{cid}", json={"details": {"invrijheidstelling_datum": "2026-01-01"}},
                                 headers=casusregisseur)
    assert r.status_code == 422
    r = await world.client.patch(f"/v1/cases/{cid}", json={"title": "x"}, headers=world.h("politie", "casusregisseur"))
    assert r.status_code == 404


async def test_plan_versions(world: World) -> None:
    case = await world.case("radicalisering", participants=("politie",))
    base = f"/v1/cases/{case['id']}/plan"
    assert (await world.client.get(base, headers=world.regisseur)).status_code == 404
    r = await world.client.put(base, json={"summary": "v1", "actions": [
        {"description": "Huisbezoek", "organisation": "politie", "due_date": "2026-12-01"}]}, headers=world.regisseur)
    assert r.status_code == 200 and r.json()["version"] == 1 and r.json()["status"] == "concept"
    r = await world.client.put(base, json={"summary": "v2", "actions": [
        {"description": "Gesprek", "organisation": "ggz"}]}, headers=world.regisseur)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "actions", 0, "organisation"]
    r = await world.client.put(base, json={"summary": "v2", "actions": []}, headers=world.regisseur)
    assert r.json()["version"] == 2
    assert (await world.client.get(base, headers=world.h("politie", "medewerker"))).json()["summary"] == "v2"
    v1 = await world.client.get(base, params={"version": 1}, headers=world.regisseur)
    assert v1.json()["summary"] == "v1" and v1.json()["actions"][0]["description"] == "Huisbezoek"
    versions = (await world.client.get(f"{base}/versions", headers=world.regisseur)).json()["items"]
    assert [v["version"] for v in versions] == [1, 2]
    r = await world.client.put(base, json={"actions": []}, headers=world.h("politie", "medewerker"))
    assert r.status_code == 403


async def test_every_case_read_is_audited_with_subjects(world: World, db_url: str) -> None:
    case = await world.case("ijam", participants=("politie",))
    subject_ids = sorted(s["id"] for s in case["subjects"])
    await world.client.get(f"/v1/cases/{case['id']}", headers=world.h("politie", "medewerker", sub="agent-7"),
                           )
    await world.client.get(f"/v1/cases/{case['id']}/history", headers=world.h("politie", "medewerker", sub="agent-7"))
    rows = [r for r in await audit_rows(db_url) if r.actor_sub == "agent-7"]
    assert [(r.action, r.outcome) for r in rows] == [("case:read", "allowed"), ("history:read", "allowed")]
    for r in rows:
        assert sorted(r.subject_ids) == subject_ids and str(r.case_id) == case["id"]
    auditor = world.h("zvh-mh", "auditor")
    by_subject = await world.client.get("/v1/audit", params={"subject_id": subject_ids[0]}, headers=auditor)
    # Exactly the entries about this subject, newest first: opening, inviting, and the two reads.
    assert [(e["actor_sub"], e["action"], e["outcome"], e["case_id"]) for e in by_subject.json()["items"]] == [
        ("agent-7", "history:read", "allowed", case["id"]), ("agent-7", "case:read", "allowed", case["id"]),
        ("regisseur-1", "participant:create", "allowed", case["id"]),
        ("regisseur-1", "case:create", "allowed", case["id"])]
    assert all(sorted(e["subject_ids"]) == subject_ids for e in by_subject.json()["items"])


async def test_a_list_page_is_audited_with_exactly_the_cases_returned(world: World, db_url: str) -> None:
    for _ in range(3):
        await world.case("ijam")
    headers = world.h("zvh-mh", "procesregisseur", sub="lister")
    first = await world.client.get("/v1/cases", params={"limit": 2}, headers=headers)
    assert first.status_code == 200 and first.json()["next_cursor"] is not None
    second = await world.client.get("/v1/cases", params={"limit": 2, "cursor": first.json()["next_cursor"]},
                                    headers=headers)
    assert second.json()["next_cursor"] is None
    pages = [[c["id"] for c in page.json()["items"]] for page in (first, second)]
    assert [len(p) for p in pages] == [2, 1]
    rows = [r for r in await audit_rows(db_url, action="case:list") if r.actor_sub == "lister"]
    assert [r.detail["case_ids"] for r in rows] == pages
