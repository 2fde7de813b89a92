"""Meetings through the API: a weegtafel decision moves a radicalisering case (#16) and the history links it; the
decision text is withheld from an attendee without its category; a vastgesteld meeting takes only corrections;
a decision whose trigger is refused writes nothing; bad input is a 422 naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from tests.audit_helpers import audit_rows
from tests.meetings.conftest import at_weegtafel, decide, plan_meeting, put_on_agenda
from tests.world import World

WEGING = {"weegcriteria": {"ideologie": True, "geweldsbereidheid": "laag"},
          "motivering": "Besproken aan de regionale weegtafel"}
TEXT = "De weegtafel besluit tot een persoonsgerichte aanpak met toezicht."


async def _weegtafel(world: World) -> tuple[dict[str, Any], dict[str, Any], str]:
    # ggz takes part in the case and is invited, but its convenant does not grant veiligheid.
    case = await at_weegtafel(world, "politie", "ggz")
    meeting = await plan_meeting(world, meeting_type="weegtafel", chair="gemeente",
                                 invited=["politie", "om", "ggz"])
    item = await put_on_agenda(world, meeting["id"], case["id"], "Persoonsgerichte aanpak?")
    return case, meeting, item


@pytest.mark.parametrize(("trigger", "data", "state"), [
    ("besluit_pga", WEGING, "casusoverleg"),
    ("besluit_strafrechtelijk", {"motivering": "Overgedragen aan het OM"}, "afgesloten"),
])
async def test_a_weegtafel_decision_moves_the_case_and_the_history_links_it(
    world: World, db_url: str, trigger: str, data: dict[str, Any], state: str,
) -> None:
    case, meeting, item = await _weegtafel(world)
    attendees = ["gemeente", "politie", "om", "zvh-mh", "ggz"]
    r = await decide(world, meeting["id"], item, {"text": TEXT, "data_category": "veiligheid",
                                                  "attendees": attendees, "trigger": trigger, "data": data})
    assert r.status_code == 201, r.text
    decision = r.json()
    assert (decision["trigger"], decision["text"], decision["attendees"]) == (trigger, TEXT, attendees)
    assert decision["meeting_id"] == meeting["id"] and decision["case_version"] == case["version"] + 1

    moved = (await world.client.get(f"/v1/cases/{case['id']}", headers=world.regisseur)).json()
    assert moved["state"] == state and moved["version"] == decision["case_version"]
    history = (await world.client.get(f"/v1/cases/{case['id']}/history", headers=world.regisseur)).json()["items"]
    last = history[-1]
    assert (last["trigger"], last["decision_id"], last["meeting_id"]) == (trigger, decision["id"], meeting["id"])
    assert data.items() <= last["data"].items() and all(h["decision_id"] is None for h in history[:-1])
    # The decision carries its meeting and the organisations present (#16).
    shown = (await world.client.get(f"/v1/meetings/{meeting['id']}", headers=world.h("politie", "medewerker")))
    (seen,) = shown.json()["agenda"][0]["decisions"]
    assert (seen["id"], seen["meeting_id"], seen["attendees"], seen["text"]) == (
        decision["id"], meeting["id"], attendees, TEXT)
    assert shown.json()["status"] == "gehouden"  # recording a decision says the meeting took place

    # ggz attended, may read the case, but not veiligheid: the decision is there, its text and trigger are not.
    ggz = await world.client.get(f"/v1/meetings/{meeting['id']}", headers=world.h("ggz", "medewerker"))
    assert ggz.status_code == 200, ggz.text
    (withheld,) = ggz.json()["agenda"][0]["decisions"]
    assert withheld["text"] is None and withheld["text_withheld"] is True
    assert withheld["trigger"] is None and withheld["trigger_withheld"] is True
    assert TEXT not in ggz.text and trigger not in ggz.text
    md = await world.client.get(f"/v1/meetings/{meeting['id']}/besluitenlijst",
                                headers=world.h("ggz", "medewerker") | {"Accept": "text/markdown"})
    assert md.headers["content-type"].startswith("text/markdown")
    assert TEXT not in md.text and "Tekst niet zichtbaar" in md.text and trigger not in md.text

    # The transition's audit entry names the decision; the decision's names the case and its subjects.
    (fired,) = [e for e in await audit_rows(db_url, action="case:transition", outcome="allowed")
                if (e.detail or {}).get("trigger") == trigger]
    assert fired.detail["decision_id"] == decision["id"] and str(fired.case_id) == case["id"]
    (decided,) = await audit_rows(db_url, action="meeting:decide")
    assert decided.outcome == "allowed" and str(decided.case_id) == case["id"] and decided.subject_ids
    assert decided.detail["decision_id"] == decision["id"] and TEXT not in str(decided.detail)
    withheld_read = [e for e in await audit_rows(db_url, action="meeting:read", actor_org="ggz")]
    assert withheld_read[-1].detail["withheld_decision_ids"] == [decision["id"]]


async def test_a_failing_guard_writes_nothing(world: World, db_url: str) -> None:
    case, meeting, item = await _weegtafel(world)
    before = (await world.client.get(f"/v1/cases/{case['id']}/history", headers=world.regisseur)).json()["items"]
    r = await decide(world, meeting["id"], item, {
        "text": TEXT, "data_category": "veiligheid", "attendees": ["gemeente"], "trigger": "besluit_pga",
        "data": {"motivering": "zonder weegcriteria"},
        "actions": [{"description": "Gesprek met de betrokkene", "organisation": "politie"}]})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert ["body", "data", "weegcriteria"] in [e["loc"] for e in r.json()["errors"]]
    # No decision, no step, no plan version, no new meeting version.
    after = await world.client.get(f"/v1/meetings/{meeting['id']}", headers=world.regisseur)
    assert after.json()["agenda"][0]["decisions"] == [] and after.json()["version"] == meeting["version"] + 1
    assert after.json()["status"] == "gepland"
    now = (await world.client.get(f"/v1/cases/{case['id']}", headers=world.regisseur)).json()
    assert (now["state"], now["version"]) == ("weegtafel", case["version"])
    history = (await world.client.get(f"/v1/cases/{case['id']}/history", headers=world.regisseur)).json()["items"]
    assert history == before
    plan = await world.client.get(f"/v1/cases/{case['id']}/plan", headers=world.regisseur)
    assert plan.status_code == 404
    # The refused attempt is in the audit log.
    denied = await audit_rows(db_url, action="case:transition", outcome="denied")
    assert [e.detail["fields"] for e in denied] == [["body.data.weegcriteria"]]


async def test_a_trigger_not_possible_in_the_state_is_409_and_writes_nothing(world: World) -> None:
    _case, meeting, item = await _weegtafel(world)
    r = await decide(world, meeting["id"], item, {"text": TEXT, "data_category": "veiligheid",
                                                  "attendees": ["gemeente"], "trigger": "voorwegen"})
    assert r.status_code == 409 and "besluit_pga" in r.json()["allowed"]
    shown = (await world.client.get(f"/v1/meetings/{meeting['id']}", headers=world.regisseur)).json()
    assert shown["agenda"][0]["decisions"] == []


async def test_a_stale_case_version_is_412_and_writes_nothing(world: World) -> None:
    case, meeting, item = await _weegtafel(world)
    body = {"text": TEXT, "data_category": "veiligheid", "attendees": ["gemeente"], "trigger": "besluit_pga",
            "data": WEGING, "case_version": case["version"] - 1}  # the version before its last step
    assert (await decide(world, meeting["id"], item, body)).status_code == 412
    body["case_version"] = case["version"]
    assert (await decide(world, meeting["id"], item, body)).status_code == 201


async def test_a_decision_adds_its_actions_to_the_plan(world: World) -> None:
    case = await world.case("woonoverlast", participants=("woonpunt",))
    meeting = await plan_meeting(world, meeting_type="ave_overleg", invited=["woonpunt"])
    item = await put_on_agenda(world, meeting["id"], case["id"])
    r = await decide(world, meeting["id"], item, {
        "text": "Huisbezoek en gesprek met de buren", "data_category": "wonen", "attendees": ["zvh-mh", "woonpunt"],
        "actions": [{"description": "Huisbezoek", "organisation": "woonpunt", "due_date": "2027-01-15"}]})
    assert r.status_code == 201, r.text
    assert r.json()["plan_version"] == 1 and r.json()["trigger"] is None
    plan = (await world.client.get(f"/v1/cases/{case['id']}/plan", headers=world.regisseur)).json()
    assert [(a["description"], a["organisation"]) for a in plan["actions"]] == [("Huisbezoek", "woonpunt")]
    again = await decide(world, meeting["id"], item, {
        "text": "Ook de wijkagent", "data_category": "wonen", "attendees": ["zvh-mh"],
        "actions": [{"description": "Buurtonderzoek", "organisation": "zvh-mh"}]})
    assert again.json()["plan_version"] == 2
    plan = (await world.client.get(f"/v1/cases/{case['id']}/plan", headers=world.regisseur)).json()
    assert [a["description"] for a in plan["actions"]] == ["Huisbezoek", "Buurtonderzoek"]


async def test_a_vastgesteld_meeting_is_immutable_and_takes_corrections(world: World, db_url: str) -> None:
    _case, meeting, item = await _weegtafel(world)
    first = await decide(world, meeting["id"], item, {"text": TEXT, "data_category": "veiligheid",
                                                      "attendees": ["gemeente", "politie"], "trigger": "besluit_pga",
                                                      "data": WEGING})
    assert first.status_code == 201, first.text
    mid = meeting["id"]
    r = await world.client.patch(f"/v1/meetings/{mid}", json={"status": "vastgesteld"},
                                 headers=world.regisseur | {"If-Match": first.headers["etag"]})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "vastgesteld" and r.json()["adopted_at"] is not None

    other = await world.case("radicalisering")
    refused = {
        "patch": await world.client.patch(f"/v1/meetings/{mid}", json={"title": "Anders"},
                                          headers=world.regisseur | {"If-Match": "*"}),
        "status back": await world.client.patch(f"/v1/meetings/{mid}", json={"status": "gehouden"},
                                                headers=world.regisseur | {"If-Match": "*"}),
        "agenda": await world.client.post(f"/v1/meetings/{mid}/agenda", json={"case_id": other["id"]},
                                          headers=world.regisseur),
        "decision": await decide(world, mid, item, {"text": "Nog iets", "data_category": "veiligheid",
                                                    "attendees": ["gemeente"]}),
    }
    for name, resp in refused.items():
        assert resp.status_code == 409, (name, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
    denied = [e for e in await audit_rows(db_url, outcome="denied") if e.action.startswith("meeting:")]
    assert len(denied) == 4 and {e.object_id for e in denied} == {mid}

    correction = await decide(world, mid, item, {
        "text": "Correctie: de aanpak gaat samen met een strafrechtelijk traject.", "data_category": "veiligheid",
        "attendees": ["gemeente", "politie"], "corrects": first.json()["id"]})
    assert correction.status_code == 201, correction.text
    assert correction.json()["corrects"] == first.json()["id"]
    lijst = (await world.client.get(f"/v1/meetings/{mid}/besluitenlijst", headers=world.regisseur)).json()
    assert lijst["vastgesteld"] is True
    original, corrected = lijst["items"][0]["decisions"]
    assert original["text"] == TEXT and original["corrected_by"] == [correction.json()["id"]]
    assert corrected["corrects"] == original["id"]
    md = await world.client.get(f"/v1/meetings/{mid}/besluitenlijst",
                                headers=world.regisseur | {"Accept": "text/markdown"})
    assert f"correctie van {original['id']}" in md.text and TEXT in md.text
    # A correction must name a decision of this item.
    wrong = await decide(world, mid, item, {"text": "x", "data_category": "veiligheid", "attendees": ["gemeente"],
                                            "corrects": mid})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["loc"] == ["body", "corrects"]


async def test_status_moves_one_step_forward(world: World) -> None:
    meeting = await plan_meeting(world, invited=["politie"])
    mid = meeting["id"]
    h = world.regisseur | {"If-Match": "*"}
    skip = await world.client.patch(f"/v1/meetings/{mid}", json={"status": "vastgesteld"}, headers=h)
    assert skip.status_code == 409 and skip.json()["allowed"] == ["gehouden"]
    held = await world.client.patch(f"/v1/meetings/{mid}", json={"status": "gehouden"}, headers=h)
    assert held.status_code == 200 and held.json()["held_at"] is not None


async def test_meeting_writes_use_the_etag(world: World) -> None:
    meeting = await plan_meeting(world, invited=["politie"])
    mid = meeting["id"]
    missing = await world.client.patch(f"/v1/meetings/{mid}", json={"title": "x"}, headers=world.regisseur)
    assert missing.status_code == 428
    stale = await world.client.patch(f"/v1/meetings/{mid}", json={"title": "x"},
                                     headers=world.regisseur | {"If-Match": '"7"'})
    assert stale.status_code == 412
    ok = await world.client.patch(f"/v1/meetings/{mid}", json={"title": "Casusoverleg januari"},
                                  headers=world.regisseur | {"If-Match": f'"{meeting["version"]}"'})
    assert ok.status_code == 200 and ok.headers["etag"] == f'"{meeting["version"] + 1}"'
    assert ok.json()["title"] == "Casusoverleg januari"


@pytest.mark.parametrize(("body", "loc"), [
    ({"meeting_type": "vergadering"}, ["body", "meeting_type"]),
    ({"invited_organisations": ["nergens"]}, ["body", "invited_organisations", 0]),
    ({"chair_organisation": "nergens"}, ["body", "chair_organisation"]),
    ({"scheduled_at": "morgen"}, ["body", "scheduled_at"]),
    ({"title": "  "}, ["body", "title"]),
    ({"colour": "blue"}, ["body", "colour"]),
])
async def test_bad_meetings_are_422_with_the_field(world: World, body: dict[str, Any], loc: list[Any]) -> None:
    full = {"meeting_type": "casusoverleg", "title": "Casusoverleg", "scheduled_at": "2026-12-10T09:00:00Z"} | body
    r = await world.client.post("/v1/meetings", json=full, headers=world.regisseur)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert loc in [e["loc"] for e in r.json()["errors"]]
    assert (await world.client.get("/v1/meetings", headers=world.regisseur)).json()["items"] == []


@pytest.mark.parametrize(("change", "loc"), [
    ({"attendees": ["gemeente", "woonpunt"]}, ["body", "attendees", 1]),  # not invited
    ({"attendees": []}, ["body", "attendees"]),
    ({"data_category": "geheim"}, ["body", "data_category"]),
    ({"trigger": "bestaat_niet"}, ["body", "trigger"]),
    ({"data": {"motivering": "zonder trigger"}}, ["body", "data"]),
    ({"actions": [{"description": "Iets", "organisation": "woonpunt"}]}, ["body", "actions", 0, "organisation"]),
    ({"text": ""}, ["body", "text"]),
])
async def test_bad_decisions_are_422_with_the_field(world: World, change: dict[str, Any], loc: list[Any]) -> None:
    _case, meeting, item = await _weegtafel(world)
    body = {"text": TEXT, "data_category": "veiligheid", "attendees": ["gemeente"]} | change
    r = await decide(world, meeting["id"], item, body)
    assert r.status_code == 422, r.text
    assert loc in [e["loc"] for e in r.json()["errors"]]
    shown = (await world.client.get(f"/v1/meetings/{meeting['id']}", headers=world.regisseur)).json()
    assert shown["agenda"][0]["decisions"] == []


async def test_the_agenda_takes_only_cases_the_organiser_may_read(world: World) -> None:
    meeting = await plan_meeting(world, invited=["politie"])
    # A case the ZVH does not take part in: opened by the gemeente.
    theirs = await world.case("jeugdgroep", headers=world.h("gemeente", "procesregisseur"))
    r = await world.client.post(f"/v1/meetings/{meeting['id']}/agenda", json={"case_id": theirs["id"]},
                                headers=world.regisseur)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "case_id"]
    mine = await world.case("ijam")
    await put_on_agenda(world, meeting["id"], mine["id"])
    twice = await world.client.post(f"/v1/meetings/{meeting['id']}/agenda", json={"case_id": mine["id"]},
                                    headers=world.regisseur)
    assert twice.status_code == 409


async def test_a_decision_needs_the_category_for_its_text(world: World, db_url: str) -> None:
    """One may not write what one may not read: the gemeente chairs but its convenant does not grant zorg."""
    _case, meeting, item = await _weegtafel(world)
    r = await decide(world, meeting["id"], item, {"text": "Zorgen over de gezondheid", "data_category": "zorg",
                                                  "attendees": ["gemeente"]},
                     headers=world.h("gemeente", "procesregisseur"))
    assert r.status_code == 403, r.text
    (denied,) = await audit_rows(db_url, action="meeting:decide", outcome="denied")
    assert denied.detail["reason"] == "category zorg not covered" and denied.actor_org == "gemeente"
    # With a category it may read, the chair records it.
    ok = await decide(world, meeting["id"], item, {"text": "Gesprek met de ouders", "data_category": "veiligheid",
                                                   "attendees": ["gemeente"]},
                      headers=world.h("gemeente", "procesregisseur"))
    assert ok.status_code == 201, ok.text
