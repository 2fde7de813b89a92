"""Data-subject requests (issue 17 items 1-3): find the person, the access report across every partner and every
subject row of the same person, and the export of everything held on them, nothing of anyone else."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx

from app.audit.models import AuditEntry
from app.config import Settings
from tests.audit_helpers import audit_rows
from tests.signals.conftest import post_signal, signal_body
from tests.subjects.conftest import BSN_P, BSN_Q, P, People, Q


async def _accesses(people: People) -> None:
    """Accesses by three organisations, one of them refused, besides the opening and the police signal."""
    world, case_id = people.world, people.household_case["id"]
    r = await world.client.post(f"/v1/cases/{case_id}/participants", json={"organisation": "politie"},
                                headers=world.regisseur)
    assert r.status_code == 201, r.text
    politie = world.h("politie", "medewerker") | {"X-Audit-Toelichting": "voorbereiding casusoverleg"}
    assert (await world.client.get(f"/v1/cases/{case_id}", headers=politie)).status_code == 200
    assert (await world.client.get(f"/v1/cases/{case_id}", headers=world.h("ggz", "medewerker"))).status_code == 404
    r = await world.client.post(f"/v1/cases/{case_id}/notes", json={"category": "wonen", "text": "Huisbezoek gedaan"},
                                headers=world.regisseur)
    assert r.status_code == 201, r.text
    # About Q alone: never in P's report.
    assert (await world.client.get(f"/v1/cases/{people.q_case['id']}", headers=world.regisseur)).status_code == 200


def _key(e: dict[str, Any]) -> tuple[Any, ...]:
    return (e["organisation"], e["role"], e["action"], e["outcome"])


async def _all_pages(client: httpx.AsyncClient, url: str, headers: dict[str, str], limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        r = await client.get(url, params=params, headers=headers)
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        if r.json()["next_cursor"] is None:
            return items
        params = {"limit": limit, "cursor": r.json()["next_cursor"]}


def _concerning(entries: list[AuditEntry], rows: set[str]) -> list[str]:
    return sorted(str(e.id) for e in entries if rows & set(e.subject_ids))


async def test_the_access_report_lists_exactly_every_access_to_the_person(people: People, db_url: str,
                                                                        settings: Settings) -> None:
    await _accesses(people)
    client, auditor = people.world.client, people.auditor
    found = await client.post("/v1/subjects/search", json={"bsn": BSN_P}, headers=auditor)
    assert found.status_code == 200, found.text
    assert sorted(f["id"] for f in found.json()["items"]) == sorted(people.p_rows)

    url = f"/v1/subjects/{people.p_rows[0]}/access-log"
    r = await client.get(url, headers=auditor)
    assert r.status_code == 200, r.text
    log = r.json()["items"]
    assert r.json()["next_cursor"] is None
    assert sorted(_key(e) for e in log) == sorted([
        ("zvh-mh", "procesregisseur", "case:create", "allowed"),
        ("systeem", None, "case:update", "allowed"),  # the level owner's regie, set at opening
        ("politie", "melder", "signal:create", "allowed"),
        ("zvh-mh", "procesregisseur", "participant:create", "allowed"),
        ("politie", "medewerker", "case:read", "allowed"),
        ("ggz", "medewerker", "case:read", "denied"),
        ("zvh-mh", "procesregisseur", "note:create", "allowed"),
        ("zvh-mh", "auditor", "subject:search", "allowed"),
    ])
    # Deferred: all still staged (no chainer runs here), and listed all the same.
    assert {e["chained"] for e in log} == {settings.effective_audit_chaining == "inline"}
    assert [e["created_at"] for e in log] == sorted((e["created_at"] for e in log), reverse=True)
    read = next(e for e in log if e["organisation"] == "politie" and e["action"] == "case:read")
    assert read["legal_basis"] == "Wgs - PGA complexe casuistiek"
    assert read["convenant_id"] == people.world.convenants["pga"] and read["convenant_version"] == 1
    assert read["toelichting"] == "voorbereiding casusoverleg"
    assert read["case_id"] == people.household_case["id"]
    assert next(e for e in log if e["outcome"] == "denied")["legal_basis"] is None
    # Not one id, name or BSN of another person; no staff ids.
    assert people.q_row not in r.text and people.q_case["id"] not in r.text and Q["name"] not in r.text
    assert "subject_ids" not in r.text and "actor_sub" not in r.text

    # Equality with the log itself: every entry naming any row of P, and nothing else (but this reading, after it).
    entries = await audit_rows(db_url)
    assert (entries[-1].action, entries[-1].actor_org) == ("subject:access_log", "zvh-mh")
    assert sorted(e["id"] for e in log) == _concerning(entries[:-1], set(people.p_rows))

    # The same answer through P's other row (the police signal's), now with the auditor's first reading in it;
    # page by page, and as CSV.
    other = f"/v1/subjects/{people.p_rows[1]}/access-log"
    entries = await audit_rows(db_url)
    paged = await _all_pages(client, other, auditor, limit=3)  # each page's reading is below the next page's start
    assert sorted(e["id"] for e in paged) == _concerning(entries, set(people.p_rows))
    assert ("zvh-mh", "auditor", "subject:access_log", "allowed") in [_key(e) for e in paged]
    as_csv = await client.get(other, params={"limit": 200}, headers=auditor | {"Accept": "text/csv"})
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    listed = (await client.get(other, params={"limit": 200}, headers=auditor)).json()["items"]
    # The JSON read after the CSV one lists the CSV reading on top; below it, the same rows.
    assert [row["id"] for row in rows] == [e["id"] for e in listed[1:]]
    assert {row["legal_basis"] for row in rows} == {"Wgs - PGA complexe casuistiek", ""}
    assert rows[0]["organisation"] == "zvh-mh" and rows[0]["action"] == "subject:access_log"
    assert Q["name"] not in as_csv.text and people.q_row not in as_csv.text


async def test_the_csv_pages_with_a_link_header(people: People) -> None:
    url = f"/v1/subjects/{people.p_rows[0]}/access-log"
    r = await people.world.client.get(url, params={"limit": 1}, headers=people.auditor | {"Accept": "text/csv"})
    assert r.status_code == 200
    assert len(list(csv.DictReader(io.StringIO(r.text)))) == 1
    assert r.headers["link"].endswith('>; rel="next"') and "cursor=" in r.headers["link"]


async def test_every_request_is_audited_with_ids_only(people: People, db_url: str) -> None:
    client, auditor = people.world.client, people.auditor
    assert (await client.post("/v1/subjects/search", json={"bsn": BSN_P}, headers=auditor)).status_code == 200
    r = await client.post("/v1/subjects/search", json=P, headers=auditor)
    assert r.status_code == 200 and sorted(f["id"] for f in r.json()["items"]) == sorted(people.p_rows)
    assert (await client.get(f"/v1/subjects/{people.p_rows[0]}/access-log", headers=auditor)).status_code == 200
    assert (await client.get(f"/v1/subjects/{people.p_rows[1]}/export", headers=auditor)).status_code == 200
    entries = [e for e in await audit_rows(db_url) if e.actor_role == "auditor"]
    assert [(e.action, e.object_id, sorted(e.subject_ids), e.detail.get("by")) for e in entries] == [
        ("subject:search", None, sorted(people.p_rows), "bsn"),
        ("subject:search", None, sorted(people.p_rows), "name_birth_date"),
        ("subject:access_log", people.p_rows[0], sorted(people.p_rows), None),
        ("subject:export", people.p_rows[1], sorted(people.p_rows), None),
    ]
    written = json.dumps([[str(getattr(e, c.name)) for c in AuditEntry.__table__.columns] for e in entries])
    assert BSN_P not in written and P["name"] not in written and P["birth_date"] not in written


async def test_search_answers_each_row_with_its_cases_and_signals(people: People) -> None:
    r = await people.world.client.post("/v1/subjects/search", json={"bsn": BSN_Q}, headers=people.auditor)
    assert r.status_code == 200, r.text
    found = {f["id"]: f for f in r.json()["items"]}
    assert found[people.q_row] == {"id": people.q_row, "type": "persoon", "member_of": people.head,
                                   "case_ids": [people.household_case["id"]], "signal_ids": []}
    assert len(found) == 2  # and the row of Q's own case
    (own,) = [f for i, f in found.items() if i != people.q_row]
    assert own["case_ids"] == [people.q_case["id"]] and own["member_of"] is None
    r = await people.world.client.post("/v1/subjects/search", json={"bsn": BSN_P}, headers=people.auditor)
    by_id = {f["id"]: f for f in r.json()["items"]}
    assert by_id[people.p_rows[1]]["signal_ids"] == [people.signal_id]
    assert by_id[people.p_rows[1]]["case_ids"] == []
    nobody = await people.world.client.post("/v1/subjects/search", json={"name": "Niemand", "birth_date": "2000-01-01"},
                                           headers=people.auditor)
    assert nobody.status_code == 200 and nobody.json() == {"items": []}


async def test_the_export_holds_every_source_and_nothing_of_the_housemate(people: People) -> None:
    world, case_id = people.world, people.household_case["id"]
    await world.client.post(f"/v1/cases/{case_id}/participants", json={"organisation": "politie"},
                            headers=world.regisseur)
    note = await world.client.post(f"/v1/cases/{case_id}/notes", json={"category": "politie", "text": "Aangifte"},
                                   headers=world.h("politie", "medewerker"))
    assert note.status_code == 201, note.text
    plan = await world.client.put(f"/v1/cases/{case_id}/plan", headers=world.regisseur, json={
        "summary": "Rust in de straat", "actions": [{"description": "Huisbezoek", "organisation": "politie"}]})
    assert plan.status_code in (200, 201), plan.text
    moved = await world.fire(case_id, "triage_starten")
    assert moved.status_code == 200, moved.text
    # The corporation's signal on the address, linked to the household case: the person's too. A police signal
    # about the housemate: not.
    on_address = await post_signal(world.client, world.h("woonpunt", "melder"), signal_body())
    linked = await world.client.post(f"/v1/signals/{on_address.json()['id']}/triage", headers=world.regisseur,
                                     json={"decision": "koppelen", "case_id": case_id, "reason": "zelfde adres"})
    assert linked.status_code == 200, linked.text
    about_q = await post_signal(world.client, world.h("politie", "melder"), signal_body(
        category="politie", description="Alleen over de huisgenoot", subject={"type": "persoon", **Q, "bsn": BSN_Q}))
    assert about_q.status_code == 201, about_q.text
    r = await world.client.get(f"/v1/subjects/{people.p_rows[0]}/export", headers=people.auditor)
    assert r.status_code == 200, r.text
    body = r.json()
    assert sorted(p["id"] for p in body["persons"]) == sorted(people.p_rows)
    assert {(p["name"], p["birth_date"]) for p in body["persons"]} == {(P["name"], P["birth_date"])}
    household = next(p for p in body["persons"] if p["id"] == people.p_rows[0])["recorded_in"]
    assert household == {"id": people.head, "type": "adres", "postcode": "6211AB", "house_number": "12",
                         "name": None, "area": None}
    (case,) = body["cases"]
    assert case["id"] == case_id and case["state"] == moved.json()["state"]
    assert case["person_ids"] == [people.p_rows[0]]
    assert [h["trigger"] for h in case["history"]] == ["aanmaken", "triage_starten"]
    assert [(n["source_organisation"], n["text"]) for n in case["notes"]] == [("politie", "Aangifte")]
    assert [(p["source_organisation"], [a["description"] for a in p["actions"]]) for p in case["plans"]] == [
        ("zvh-mh", ["Huisbezoek"])]
    assert [(s["id"], s["source_organisation"], s["description"]) for s in body["signals"]] == [
        (people.signal_id, "politie", "Melding burengerucht"),
        (on_address.json()["id"], "woonpunt", signal_body()["description"])]
    assert about_q.json()["id"] not in r.text and "Alleen over de huisgenoot" not in r.text
    # Nothing of the housemate: not the name, birth date, row or own case; and no BSN or its hash.
    for absent in (Q["name"], Q["birth_date"], people.q_row, people.q_case["id"], BSN_P, BSN_Q, "bsn_hash"):
        assert absent not in r.text, absent
    # The same export through the other row.
    again = await world.client.get(f"/v1/subjects/{people.p_rows[1]}/export", headers=people.auditor)
    assert again.json() | {"subject_id": None} == body | {"subject_id": None}


async def test_the_housemates_report_is_their_own(people: People) -> None:
    """Q's report has the household case (it names Q too) and Q's own case, and never P's signal."""
    r = await people.world.client.get(f"/v1/subjects/{people.q_row}/access-log", headers=people.auditor)
    assert r.status_code == 200
    assert {(e["action"], e["case_id"]) for e in r.json()["items"]} >= {
        ("case:create", people.household_case["id"]), ("case:create", people.q_case["id"])}
    assert "signal:create" not in [e["action"] for e in r.json()["items"]]
    export = await people.world.client.get(f"/v1/subjects/{people.q_row}/export", headers=people.auditor)
    assert P["name"] not in export.text and people.signal_id not in export.text
    assert {c["id"] for c in export.json()["cases"]} == {people.household_case["id"], people.q_case["id"]}


async def test_a_refused_request_about_the_person_is_in_their_report(people: People) -> None:
    client = people.world.client
    refused = await client.get(f"/v1/subjects/{people.p_rows[1]}/export", headers=people.world.h("politie", "auditor"))
    assert refused.status_code == 403
    r = await client.get(f"/v1/subjects/{people.p_rows[0]}/access-log", headers=people.auditor)
    assert ("politie", "auditor", "subject:export", "denied") in [_key(e) for e in r.json()["items"]]


async def test_the_same_person_by_bsn_or_by_name_and_birth_date_unless_the_bsns_differ(people: People) -> None:
    world = people.world
    namesake = await world.client.post("/v1/cases", headers=world.regisseur, json={
        "case_type": "ex_gedetineerde", "title": "Naamgenoot",
        "subjects": [{"type": "persoon", **P, "bsn": "999999990"}]})  # elfproef: 9*44 - 0 = 396 = 36 * 11
    assert namesake.status_code == 201, namesake.text
    without_bsn = await post_signal(world.client, world.h("woonpunt", "melder"), signal_body(
        category="wonen", description="Zonder BSN gemeld", subject={"type": "persoon", **P}))
    assert without_bsn.status_code == 201, without_bsn.text
    r = await world.client.get(f"/v1/subjects/{people.p_rows[0]}/export", headers=people.auditor)
    assert r.status_code == 200, r.text
    assert len(r.json()["persons"]) == 3  # the two BSN rows and the row without a BSN
    assert {s["id"] for s in r.json()["signals"]} == {people.signal_id, without_bsn.json()["id"]}
    assert namesake.json()["id"] not in r.text
    # From the namesake's row: its own BSN, and the row without one; not the rows of the other BSN.
    own = namesake.json()["subjects"][0]["id"]
    theirs = await world.client.get(f"/v1/subjects/{own}/export", headers=people.auditor)
    assert [c["id"] for c in theirs.json()["cases"]] == [namesake.json()["id"]]
    assert not {p["id"] for p in theirs.json()["persons"]} & set(people.p_rows)
