"""The pseudonymised case export (issue #17 item 4): nothing of the subjects' identity is left in the whole JSON,
pseudonyms are the same in the subjects and in every text, what the caller may not read is not exported, the
export is audited naming the case and its subjects, bad input is a 422 problem+json; and the access matrix."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from tests.audit_helpers import audit_rows
from tests.meetings.conftest import decide, plan_meeting, put_on_agenda
from tests.signals.conftest import assert_problem, post_signal, signal_body
from tests.world import World

BSN_JAN, BSN_ANOUK, BSN_KEES = "123456708", "123456721", "987654305"
SUBJECTS = [
    {"type": "adres", "postcode": "6222 XK", "house_number": "317b",
     "persons": [{"name": "Anouk Maessen", "birth_date": "1984-11-23", "bsn": BSN_ANOUK},
                 {"name": "Kees Maessen", "birth_date": "2007-02-14", "bsn": BSN_KEES}]},
    {"type": "persoon", "name": "Jan de Vries", "birth_date": "1979-06-30", "bsn": BSN_JAN,
     "address": {"postcode": "6213 BV", "house_number": "88"}},
    {"type": "persoon", "name": "José Ramírez"},
    {"type": "groep", "name": "De Vlieger Boys", "area": "Malberg",
     "members": [{"name": "Jan", "birth_date": "2008-08-18"}, {"name": "Ümit Yılmaz", "birth_date": "2009-01-17"}]},
]
# Everything that identifies a subject and must not appear anywhere in the export.
ORIGINALS = [
    "Anouk", "Maessen", "Kees", "Vries", "José", "Jose", "Ramírez", "Ramirez", "Vlieger", "Ümit", "Yılmaz",
    "6222", "XK", "317b", "317", "6213", "BV", "88",
    "1984-11-23", "23-11-1984", "2007-02-14", "1979-06-30", "30 juni 1979", "2008-08-18", "2009-01-17",
    BSN_JAN, BSN_ANOUK, BSN_KEES, "123.456.708", "9876 54 305",
    "anouk.maessen@", "06-12345678", "612345678", "+31 6 8765 4321", "043-3214567", "Malberg",
    "CRM-4711",
]
NOTE = ("Gesprek met Anouk Maessen (geb. 23-11-1984, BSN 123.456.708) en haar zoon KEES op 6222XK 317b. "
        "Jan de Vries (geb. 30 juni 1979) woont op 6213 BV 88; mevrouw Maessen is bereikbaar op 06-12345678 of "
        "anouk.maessen@example.nl. Jan van De Vlieger Boys was er ook, net als jose ramirez en Ümit.")


def _pseudonym_of(export: dict[str, Any], position: int) -> str:
    return str(export["subjects"][position]["pseudonym"])


async def _export_world(world: World) -> tuple[dict[str, Any], dict[str, str]]:
    """A woonoverlast case about an address (two residents), a person with an address, a person without a BSN and
    a group with two members; a linked signal, notes, a transition reason and a plan naming them all."""
    client, h = world.client, world.regisseur
    case = await world.case("woonoverlast", subjects=SUBJECTS, title="Overlast 6222 XK 317b (Maessen)",
                            summary="Familie Maessen, melding van Jan de Vries op 3 maart 2025.",
                            participants=("woonpunt", "politie"))
    cid = case["id"]
    sent = await post_signal(client, world.h("politie", "melder"), signal_body(
        subject={"type": "persoon", "name": "Anouk Maessen", "bsn": BSN_ANOUK},
        description="Melding over Anouk Maessen, tel. +31 6 8765 4321, BSN 9876 54 305 van haar zoon.",
        external_ref="CRM-4711", category="wonen"))
    assert sent.status_code == 201, sent.text
    t = await client.post(f"/v1/signals/{sent.json()['id']}/triage", headers=h,
                          json={"decision": "koppelen", "case_id": cid, "reason": "zelfde adres"})
    assert t.status_code == 200, t.text
    for category, text in (("wonen", NOTE), ("politie", "Proces-verbaal over Kees Maessen, 043-3214567."),
                           ("zorg", "Anouk Maessen is in behandeling (zorgnotitie).")):
        r = await client.post(f"/v1/cases/{cid}/notes", json={"category": category, "text": text}, headers=h)
        assert r.status_code == 201, r.text
    r = await client.post(f"/v1/cases/{cid}/transitions", headers=h | {"If-Match": "*"}, json={
        "trigger": "triage_starten", "data": {},
        "reason": "Kees Maessen (14-02-2007) en Ümit Yılmaz gezien bij De Vlieger Boys in Malberg."})
    assert r.status_code == 200, r.text
    plan = {"summary": "Aanpak rond Anouk Maessen en Jan de Vries, 2007-02-14.", "actions": [
        {"description": "Huisbezoek bij Maessen op 6222 XK 317b", "organisation": "woonpunt"},
        {"description": "Gesprek met José Ramírez, mail anouk.maessen@example.nl", "organisation": "politie"}]}
    r = await client.put(f"/v1/cases/{cid}/plan", json=plan, headers=h | {"If-Match": "*"})
    assert r.status_code == 200, r.text
    return case, {"signal": sent.json()["id"]}


async def test_the_export_holds_no_identity_and_consistent_pseudonyms(world: World, db_url: str) -> None:
    case, ids = await _export_world(world)
    r = await world.client.get(f"/v1/cases/{case['id']}/export", params={"pseudonymised": "true"},
                               headers=world.regisseur)
    assert r.status_code == 200, r.text
    export = r.json()
    dump = json.dumps(export, ensure_ascii=False)
    found = [o for o in ORIGINALS if o.casefold() in dump.casefold()]
    assert found == []
    # No ids, no reference of the case, no external reference, no professional's name.
    assert case["id"] not in dump and case["reference"] not in dump and ids["signal"] not in dump
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", dump)
    assert "regisseur-1" not in dump
    assert export["pseudonymised"] is True

    subjects = {(s["type"], s["pseudonym"]) for s in export["subjects"]}
    address, anouk, kees = (_pseudonym_of(export, i) for i in range(3))
    jan_de_vries, jose, group, jan, umit = (_pseudonym_of(export, i) for i in range(3, 8))
    assert (address, anouk, kees, jan_de_vries, jose, group, jan, umit) == (
        "Adres 1", "Persoon A", "Persoon B", "Persoon C", "Persoon D", "Groep 1", "Persoon E", "Persoon F")
    assert ("adres", "Adres 1") in subjects and ("groep", "Groep 1") in subjects
    assert [s["member_of"] for s in export["subjects"]] == [None, "Adres 1", "Adres 1", None, None, None,
                                                             "Groep 1", "Groep 1"]
    assert export["subjects"][3]["address"] == "Adres 2"
    # The same person is the same pseudonym in every text: the signal's own subject row is Anouk (same BSN); it
    # joined the case's subjects with the signal and is listed once.
    assert len(export["subjects"]) == 8
    (signal,) = export["signals"]
    assert signal["subject"] == anouk and signal["description"].startswith(f"Melding over {anouk}, tel. [telefoon]")
    assert "[bsn]" in signal["description"]
    texts = {n["category"]: n["text"] for n in export["notes"]}
    assert texts["wonen"].startswith(f"Gesprek met {anouk} (geb. [datum], BSN [bsn]) en haar zoon {kees} op "
                                     f"{address}.")
    assert f"{jan_de_vries} (" in texts["wonen"] and "woont op Adres 2" in texts["wonen"]
    assert "[e-mail]" in texts["wonen"] and "[telefoon]" in texts["wonen"] and group in texts["wonen"]
    assert f"{jose} en {umit}." in texts["wonen"]
    # "Maessen" alone is the surname of two residents: neither is named.
    assert "mevrouw [naam] is bereikbaar" in texts["wonen"]
    assert texts["politie"] == f"Proces-verbaal over {kees}, [telefoon]."
    reason = export["history"][-1]["reason"]
    assert reason == f"{kees} ([datum]) en {umit} gezien bij {group} in [gebied]."
    assert export["plan"]["summary"] == f"Aanpak rond {anouk} en {jan_de_vries}, [datum]."
    assert [a["description"] for a in export["plan"]["actions"]] == [
        f"Huisbezoek bij [naam] op {address}", f"Gesprek met {jose}, mail [e-mail]"]
    assert export["case"]["title"] == f"Overlast {address} ([naam])"
    assert export["case"]["summary"] == f"Familie [naam], melding van {jan_de_vries} op [datum]."
    assert {p["organisation"] for p in export["case"]["participants"]} >= {"zvh-mh", "woonpunt", "politie"}
    assert all(step["day"] == 0 for step in export["history"])

    (entry,) = await audit_rows(db_url, action="case:export")
    assert entry.outcome == "allowed" and str(entry.case_id) == case["id"]
    assert entry.detail["pseudonymised"] is True and len(entry.detail["note_ids"]) == 3
    # It names every subject of the case (the linked signal's subject row included) by id.
    shown = (await world.client.get(f"/v1/cases/{case['id']}", headers=world.regisseur)).json()
    assert sorted(entry.subject_ids) == sorted(s["id"] for s in shown["subjects"]) and len(entry.subject_ids) == 9
    assert "Maessen" not in json.dumps(entry.detail)


async def test_the_export_leaves_out_what_the_caller_may_not_read(world: World, client: httpx.AsyncClient,
                                                                  auth: Any) -> None:
    case, _ = await _export_world(world)
    # gemeente's procesregisseur: identificatie, wonen, sociaal_domein, veiligheid; no politie, no zorg.
    r = await client.post(f"/v1/cases/{case['id']}/participants", json={"organisation": "gemeente"},
                          headers=world.regisseur | {"If-Match": "*"})
    assert r.status_code == 201, r.text
    r = await client.get(f"/v1/cases/{case['id']}/export?pseudonymised=true",
                         headers=auth("gemeente", "procesregisseur"))
    assert r.status_code == 200, r.text
    export = r.json()
    assert {n["category"] for n in export["notes"]} == {"wonen"}
    assert "zorgnotitie" not in r.text and "Proces-verbaal" not in r.text
    assert export["case"]["visible_categories"] == ["identificatie", "sociaal_domein", "veiligheid", "wonen"]


async def test_meeting_decisions_are_exported_as_the_caller_may_read_them(world: World) -> None:
    # The default woonoverlast subject: 6211 AB 12 with its resident "Bewoner Een".
    case = await world.case("woonoverlast", participants=("woonpunt", "gemeente"))
    shared = await plan_meeting(world, meeting_type="ave_overleg", invited=["woonpunt", "gemeente"])
    item = await put_on_agenda(world, shared["id"], case["id"])
    for category, text in (("wonen", "Bewoner Een op 6211 AB 12 krijgt een gedragsaanwijzing, bel 06-11223344."),
                           ("politie", "Politie-informatie over Bewoner Een weegt mee.")):
        r = await decide(world, shared["id"], item, {"text": text, "data_category": category,
                                                     "attendees": ["zvh-mh", "woonpunt"]})
        assert r.status_code == 201, r.text
    # A meeting the gemeente is not invited to: its decision is not the gemeente's to read.
    own = await plan_meeting(world, meeting_type="ave_overleg", invited=["woonpunt"])
    r = await decide(world, own["id"], await put_on_agenda(world, own["id"], case["id"]),
                     {"text": "Alleen voor de genodigden.", "data_category": "wonen", "attendees": ["zvh-mh"]})
    assert r.status_code == 201, r.text

    async def decisions(headers: dict[str, str]) -> list[tuple[str | None, bool]]:
        r = await world.client.get(f"/v1/cases/{case['id']}/export?pseudonymised=true", headers=headers)
        assert r.status_code == 200, r.text
        assert "Bewoner" not in r.text and "6211" not in r.text and "06-11223344" not in r.text
        return [(d["text"], d["text_withheld"]) for d in r.json()["decisions"]]

    assert await decisions(world.regisseur) == [
        ("Persoon A op Adres 1 krijgt een gedragsaanwijzing, bel [telefoon].", False),
        ("Politie-informatie over Persoon A weegt mee.", False), ("Alleen voor de genodigden.", False)]
    # gemeente: no politie category, and not invited to the second meeting.
    assert await decisions(world.h("gemeente", "procesregisseur")) == [
        ("Persoon A op Adres 1 krijgt een gedragsaanwijzing, bel [telefoon].", False), (None, True)]


async def test_a_withheld_decision_stays_withheld_in_the_export(client: httpx.AsyncClient, auth: Any) -> None:
    # A neighbouring municipality's procesregisseur takes part, with no veiligheid: the weegtafel's decision is not
    # its to read (as in GET …/history).
    world = await World(client, auth).setup()
    await world.organisations({"buur": "gemeente"})
    await world.convenant("c-buur", case_types=["radicalisering"], parties={"zvh-mh": ["identificatie"],
                                                                           "buur": ["identificatie"]})
    case = await world.case("radicalisering", participants=("buur",))
    for trigger in ("voorwegen", "naar_weegtafel"):
        assert (await world.fire(case["id"], trigger)).status_code == 200
    r = await world.fire(case["id"], "besluit_strafrechtelijk",
                         {"motivering": "Persoon Twee op 01-02-2026 overgedragen aan het OM"})
    assert r.status_code == 200, r.text

    async def last_step(headers: dict[str, str]) -> dict[str, Any]:
        r = await client.get(f"/v1/cases/{case['id']}/export", params={"pseudonymised": "true"}, headers=headers)
        assert r.status_code == 200, r.text
        assert "Twee" not in r.text and "01-02-2026" not in r.text
        return dict(r.json()["history"][-1])

    own = await last_step(world.regisseur)
    assert (own["trigger"], own["data"]["motivering"]) == ("besluit_strafrechtelijk",
                                                           "Persoon A op [datum] overgedragen aan het OM")
    theirs = await last_step(auth("buur", "procesregisseur"))
    assert (theirs["trigger"], theirs["trigger_withheld"], theirs["reason"], theirs["data"],
            theirs["data_withheld"]) == (None, True, None, None, True)


@pytest.mark.parametrize("query", ["", "?pseudonymised=false", "?pseudonymised=0", "?pseudonymised=ja",
                                   "?pseudonymised=true&naam=1"])
async def test_bad_input_is_422(world: World, query: str) -> None:
    case = await world.case("ijam")
    body = assert_problem(await world.client.get(f"/v1/cases/{case['id']}/export{query}", headers=world.regisseur),
                          422)
    assert body["errors"]


async def test_a_bad_case_id_is_422(world: World) -> None:
    assert_problem(await world.client.get("/v1/cases/nope/export?pseudonymised=true", headers=world.regisseur), 422)


# Access matrix: role x organisation situation -> status. zvh-mh opened the case (participant); woonpunt was
# invited (participant); ggz is party to the convenant but takes no part; gemeente likewise (a municipality
# holds procesregisseur and bestuurder). Only a procesregisseur of a participating organisation exports; a
# case reader without case:export gets 403, anyone who may not read the case 404.
ROLES = ("procesregisseur", "casusregisseur", "medewerker", "bestuurder", "melder", "beheerder", "auditor")
SITUATIONS = {"opener": "zvh-mh", "participant": "woonpunt", "non-participant": "ggz",
              "municipal-participant": "gemeente", "other-partner": "om"}
HONOURED = {"procesregisseur": {"zvh-mh", "gemeente"}, "bestuurder": {"gemeente"}}
CASE_READERS = {"procesregisseur", "casusregisseur", "medewerker", "bestuurder"}
PARTICIPANTS = {"zvh-mh", "woonpunt", "gemeente"}


def _expected(role: str, org: str) -> int:
    honoured = org in HONOURED.get(role, {org})
    if not honoured or role not in CASE_READERS or org not in PARTICIPANTS:
        return 404
    return 200 if role == "procesregisseur" else 403


MATRIX = [(role, situation) for role in ROLES for situation in SITUATIONS]


@pytest.mark.parametrize(("role", "situation"), MATRIX, ids=[f"{r}-{s}" for r, s in MATRIX])
async def test_export_access_matrix(world: World, db_url: str, role: str, situation: str) -> None:
    org = SITUATIONS[situation]
    case = await world.case("woonoverlast", participants=("woonpunt", "gemeente"))
    r = await world.client.get(f"/v1/cases/{case['id']}/export", params={"pseudonymised": "true"},
                               headers=world.h(org, role, sub=f"{role}@{org}"))
    expected = _expected(role, org)
    assert r.status_code == expected, r.text
    entries = await audit_rows(db_url, action="case:export", actor_sub=f"{role}@{org}")
    assert [e.outcome for e in entries] == ["allowed" if expected == 200 else "denied"]
    assert str(entries[0].case_id) == case["id"]
    if expected != 200:
        assert r.headers["content-type"].startswith("application/problem+json")
