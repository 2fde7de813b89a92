"""Zicht op elkaar: partners reporting one household see each other; triage brings them into one case."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.audit_helpers import audit_rows
from tests.signals.conftest import ADDRESS, assert_problem, count, person, post_signal, signal_body
from tests.world import ALL_CATEGORIES, World

SENDERS = ("politie", "woonpunt", "school")


async def _three_reports(world: World) -> dict[str, str]:
    """politie, woonpunt and school report one address, each writing it its own way."""
    ids = {}
    for org, postcode in zip(SENDERS, ("6211AB", "6211 ab", " 6211ab "), strict=True):
        r = await post_signal(world.client, world.h(org, "melder"),
                              signal_body(subject=ADDRESS | {"postcode": postcode}, external_ref=f"{org}-1"))
        assert r.status_code == 201, r.text
        ids[org] = r.json()["id"]
    return ids


async def _school_covers_only_ijam(world: World) -> None:
    await world.convenant("onderwijs", case_types=["ijam"],
                          parties={"zvh-mh": ALL_CATEGORIES, "school": ["identificatie", "onderwijs"]})


async def _get(world: World, signal_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    r = await world.client.get(f"/v1/signals/{signal_id}", headers=headers or world.regisseur)
    assert r.status_code == 200, r.text
    return r.json()


async def _triage(world: World, signal_id: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await world.client.post(f"/v1/signals/{signal_id}/triage", json=body, headers=world.regisseur)
    assert r.status_code == 200, r.text
    return r.json()


async def test_three_reports_on_one_address_see_each_other(world: World) -> None:
    ids = await _three_reports(world)
    for org, signal_id in ids.items():
        view = await _get(world, signal_id)
        others = {m["id"]: m["source_organisation"] for m in view["matches"]}
        assert others == {ids[o]: o for o in SENDERS if o != org}
        assert {m["kind"] for m in view["matches"]} == {"signaal"}
        assert view["subject"] | {"id": None} == {
            "id": None, "type": "adres", "name": None, "birth_date": None, "postcode": "6211AB",
            "house_number": "12", "area": None, "member_of": None, "withheld": False}
        assert view["description"] == signal_body()["description"] and view["description_withheld"] is False


async def test_another_address_or_group_does_not_match(world: World) -> None:
    await _three_reports(world)
    other = await post_signal(world.client, world.h("ggz", "melder"),
                              signal_body(subject=ADDRESS | {"house_number": "12A"}))
    assert (await _get(world, other.json()["id"]))["matches"] == []


async def test_same_bsn_and_same_group_name_match(world: World) -> None:
    a = await post_signal(world.client, world.h("politie", "melder"),
                          signal_body(case_type_hint="radicalisering", category="politie", subject=person()))
    b = await post_signal(world.client, world.h("ggz", "melder"),
                          signal_body(case_type_hint="ex_gedetineerde", category="zorg",
                                      subject=person(name="Andere Spelling")))
    no_bsn = await post_signal(world.client, world.h("ggz", "melder"),
                               signal_body(case_type_hint="ex_gedetineerde", subject=person(None)))
    assert [m["id"] for m in (await _get(world, a.json()["id"]))["matches"]] == [b.json()["id"]]
    assert (await _get(world, no_bsn.json()["id"]))["matches"] == []

    group = {"type": "groep", "name": "De Kéiers", "area": "Noordoost"}
    g1 = await post_signal(world.client, world.h("politie", "melder"),
                           signal_body(case_type_hint="jeugdgroep", subject=group))
    g2 = await post_signal(world.client, world.h("gemeente", "melder"),
                           signal_body(case_type_hint="jeugdgroep", subject=group | {"name": " de  keiers"}))
    assert [m["id"] for m in (await _get(world, g2.json()["id"]))["matches"]] == [g1.json()["id"]]


async def test_triage_into_one_case_makes_covered_senders_participants(world: World, db_url: str) -> None:
    await _school_covers_only_ijam(world)
    ids = await _three_reports(world)
    first = await _triage(world, ids["politie"], {"decision": "nieuwe_casus", "case_type": "woonoverlast",
                                                  "reason": "drie meldingen over een adres"})
    assert first["status"] == "gekoppeld" and first["triage"]["decision"] == "nieuwe_casus"
    case_id = first["case_id"]
    assert [(m["kind"], m["id"]) for m in first["matches"]] == [
        ("signaal", ids["woonpunt"]), ("signaal", ids["school"]), ("casus", case_id)]
    for org in ("woonpunt", "school"):
        linked = await _triage(world, ids[org], {"decision": "koppelen", "case_id": case_id, "reason": "zelfde adres"})
        assert linked["status"] == "gekoppeld" and linked["case_id"] == case_id

    case = (await world.client.get(f"/v1/cases/{case_id}", headers=world.regisseur)).json()
    assert case["case_type"] == "woonoverlast" and case["state"] == "melding" and case["version"] == 3
    assert {p["organisation"]: p["basis"] for p in case["participants"]} == {
        "zvh-mh": "opener", "politie": "deelnemer", "woonpunt": "deelnemer"}  # school: its convenant is ijam only
    # One address: the linked signals about the same address add no second address subject (issue 16).
    assert [s["postcode"] for s in case["subjects"]] == ["6211AB"]
    for org in ("politie", "woonpunt"):
        r = await world.client.get(f"/v1/cases/{case_id}", headers=world.h(org, "medewerker"))
        assert r.status_code == 200, r.text
    assert (await world.client.get(f"/v1/cases/{case_id}", headers=world.h("school", "medewerker"))).status_code == 404

    # Triaged signals no longer match; the open case does.
    assert [(m["kind"], m["id"]) for m in (await _get(world, ids["school"]))["matches"]] == [("casus", case_id)]

    triages = await audit_rows(db_url, action="signal:triage")
    assert [(e.object_id, e.case_id and str(e.case_id), e.detail["decision"], e.detail["participants_added"])
            for e in triages] == [(ids["politie"], case_id, "nieuwe_casus", ["politie"]),
                                  (ids["woonpunt"], case_id, "koppelen", ["woonpunt"]),
                                  (ids["school"], case_id, "koppelen", [])]
    assert all(e.subject_ids and e.convenant_id is not None for e in triages)
    joined = await audit_rows(db_url, action="participant:create")
    assert sorted(e.object_id for e in joined) == ["politie", "woonpunt"]


async def test_a_signal_is_triaged_once(world: World) -> None:
    ids = await _three_reports(world)
    await _triage(world, ids["politie"], {"decision": "afwijzen", "reason": "geen zorgen"})
    for body in ({"decision": "afwijzen", "reason": "nogmaals"},
                 {"decision": "nieuwe_casus", "case_type": "woonoverlast", "reason": "toch"}):
        r = await world.client.post(f"/v1/signals/{ids['politie']}/triage", json=body, headers=world.regisseur)
        assert_problem(r, 409)
    view = await _get(world, ids["politie"])
    assert view["status"] == "afgewezen" and view["case_id"] is None
    assert view["triage"] | {"at": None} == {"decision": "afwijzen", "reason": "geen zorgen", "by": "regisseur-1",
                                             "at": None, "reason_code": "anders"}  # the default code


async def test_triage_input_is_validated(world: World, db_url: str) -> None:
    ids = await _three_reports(world)
    url = f"/v1/signals/{ids['politie']}/triage"
    cases = [
        ({"decision": "afwijzen"}, "reason"),
        ({"decision": "afwijzen", "reason": "  "}, "reason"),
        ({"decision": "doorsturen", "reason": "x"}, "body"),
        ({"decision": "nieuwe_casus", "reason": "x"}, "case_type"),
        ({"decision": "nieuwe_casus", "case_type": "ijam", "reason": "x"}, "case_type"),  # an address is no person
        ({"decision": "koppelen", "reason": "x"}, "case_id"),
        ({"decision": "afwijzen", "reason": "x", "case_id": None}, "case_id"),
    ]
    for body, field in cases:
        problem = assert_problem(await world.client.post(url, json=body, headers=world.regisseur), 422)
        assert any(field in [str(p) for p in e["loc"]] for e in problem["errors"]), (body, problem)
    assert (await _get(world, ids["politie"]))["status"] == "ontvangen"


async def test_koppelen_needs_a_case_the_caller_can_see(world: World) -> None:
    ids = await _three_reports(world)
    # A case opened by gemeente without zvh-mh taking part: the procesregisseur of zvh-mh cannot see it. Regie is
    # named at opening, so melding's level owner (the ZVH) is not brought in (DOMAIN.md "Regie and level owners").
    hidden = await world.case("woonoverlast", headers=world.h("gemeente", "procesregisseur"),
                              regie_organisation="gemeente")
    assert [p["organisation"] for p in hidden["participants"]] == ["gemeente"]
    for case_id in (hidden["id"], "00000000-0000-4000-8000-000000000000"):
        r = await world.client.post(f"/v1/signals/{ids['politie']}/triage", headers=world.regisseur,
                                    json={"decision": "koppelen", "case_id": case_id, "reason": "x"})
        assert_problem(r, 404)
    assert (await _get(world, ids["politie"]))["status"] == "ontvangen"


async def test_koppelen_to_a_closed_case_is_a_conflict(world: World) -> None:
    ids = await _three_reports(world)
    case = await world.case("woonoverlast")
    for trigger in ("triage_starten", "niet_in_behandeling"):
        assert (await world.fire(case["id"], trigger)).status_code == 200
    r = await world.client.post(f"/v1/signals/{ids['politie']}/triage", headers=world.regisseur,
                                json={"decision": "koppelen", "case_id": case["id"], "reason": "x"})
    assert_problem(r, 409)
    # A closed case is no match either.
    assert {m["kind"] for m in (await _get(world, ids["politie"]))["matches"]} == {"signaal"}


async def test_description_and_identity_follow_the_readers_convenant(world: World) -> None:
    # A second care and safety house, granted identificatie and wonen by its convenant with ggz: no zorg.
    await world.organisations({"zvh-beperkt": "zvh"})
    await world.convenant("c-beperkt", case_types=["ex_gedetineerde"],
                          parties={"zvh-beperkt": ["identificatie", "wonen"], "ggz": ["identificatie", "zorg"]})
    r = await post_signal(world.client, world.h("ggz", "melder"),
                          signal_body(case_type_hint="ex_gedetineerde", category="zorg", subject=person()))
    view = await _get(world, r.json()["id"], world.h("zvh-beperkt", "procesregisseur"))
    assert view["description"] is None and view["description_withheld"] is True
    assert view["subject"]["name"] == "Persoon Een"
    # An organisation sharing no convenant with the sender does not know the signal exists, and neither does
    # a municipality that does share one: partners' signals are triaged at the care and safety house.
    # (om's staff cannot hold the procesregisseur role at all: 403.)
    for org, status in (("om", 403), ("gemeente", 404)):
        hidden = await world.client.get(f"/v1/signals/{r.json()['id']}", headers=world.h(org, "procesregisseur"))
        assert hidden.status_code == status, org


async def test_concurrent_triage_of_one_signal_decides_once(world: World, db_url: str) -> None:
    ids = await _three_reports(world)
    body = {"decision": "nieuwe_casus", "case_type": "woonoverlast", "reason": "tegelijk"}
    answers = await asyncio.gather(*(
        world.client.post(f"/v1/signals/{ids['politie']}/triage", json=body, headers=world.regisseur)
        for _ in range(5)))
    assert sorted(r.status_code for r in answers) == [200, 409, 409, 409, 409], [r.text for r in answers]
    assert await count(db_url, "casus") == 1
    assert len(await audit_rows(db_url, action="signal:triage")) == 1
