"""A signal about a person may carry the person's address (issue 16, woonoverlast): a police signal about a
resident then matches the housing corporation's signal on that address, and the case on it, both ways; linked to
the AVE case, the resident joins its household rather than adding a second address."""

from __future__ import annotations

from typing import Any

from tests.signals.conftest import ADDRESS, VALID_BSN, assert_problem, post_signal, signal_body
from tests.world import World

RESIDENT = {"type": "persoon", "name": "Bewoner Twee", "birth_date": "1980-01-01", "bsn": VALID_BSN,
            "address": {"postcode": "6211 ab", "house_number": "12"}}


async def _post(world: World, org: str, subject: dict[str, Any], category: str) -> str:
    r = await post_signal(world.client, world.h(org, "melder"),
                          signal_body(subject=subject, category=category, external_ref=f"{org}-{category}"))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _matches(world: World, signal_id: str) -> list[tuple[str, str]]:
    r = await world.client.get(f"/v1/signals/{signal_id}", headers=world.regisseur)
    assert r.status_code == 200, r.text
    return [(m["kind"], m["id"]) for m in r.json()["matches"]]


async def test_a_resident_matches_the_house_both_ways(world: World) -> None:
    house = await _post(world, "woonpunt", ADDRESS, "wonen")
    resident = await _post(world, "politie", RESIDENT, "politie")
    elsewhere = await _post(world, "ggz", RESIDENT | {"address": {"postcode": "6211AB", "house_number": "14"},
                                                      "bsn": None}, "zorg")
    assert await _matches(world, resident) == [("signaal", house)]
    assert await _matches(world, house) == [("signaal", resident)]
    assert await _matches(world, elsewhere) == []  # another house, no BSN: nothing in common
    # The person's address is shown with the person (identificatie) and normalised.
    view = (await world.client.get(f"/v1/signals/{resident}", headers=world.regisseur)).json()
    assert (view["subject"]["postcode"], view["subject"]["house_number"]) == ("6211AB", "12")


async def test_a_resident_finds_the_case_on_the_house_and_joins_its_household(world: World) -> None:
    house = await _post(world, "woonpunt", ADDRESS, "wonen")
    r = await world.client.post(f"/v1/signals/{house}/triage", headers=world.regisseur, json={
        "decision": "nieuwe_casus", "case_type": "woonoverlast", "reason": "overlast"})
    assert r.status_code == 200, r.text
    case_id = r.json()["case_id"]
    resident = await _post(world, "politie", RESIDENT, "politie")
    assert await _matches(world, resident) == [("casus", case_id)]
    r = await world.client.post(f"/v1/signals/{resident}/triage", headers=world.regisseur, json={
        "decision": "koppelen", "case_id": case_id, "reason": "bewoner van het adres"})
    assert r.status_code == 200, r.text
    case = (await world.client.get(f"/v1/cases/{case_id}", headers=world.regisseur)).json()
    (address,) = [s for s in case["subjects"] if s["type"] == "adres"]
    assert [(s["name"], s["member_of"]) for s in case["subjects"] if s["type"] == "persoon"] == [
        ("Bewoner Twee", address["id"])]


async def test_a_bad_address_is_named(world: World) -> None:
    r = await post_signal(world.client, world.h("politie", "melder"), signal_body(
        subject=RESIDENT | {"address": {"postcode": "62111", "house_number": "x!", "wijk": "Noord"}}))
    body = assert_problem(r, 422)
    assert sorted(tuple(e["loc"][-2:]) for e in body["errors"]) == [
        ("address", "house_number"), ("address", "postcode"), ("address", "wijk")]
