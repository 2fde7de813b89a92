"""Signals inside the case and feedback to the melder (issue 15 item 4): who may read a case's signals and send
feedback (the access matrix), what the melder sees of its own signal (a status derived from triage and the case,
the case reference and a contact, never case content), the `case_id` filter, and the feedback's storage and audit.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.vocabulary import Role
from tests.audit_helpers import audit_rows
from tests.signals.conftest import assert_problem, dump_database, person, post_signal, signal_body
from tests.world import World

MESSAGE = "Dank voor uw melding; de wijkagent neemt contact met u op."

# Situations, for a signal politie reported (woonoverlast, an address) that zvh-mh triaged into a new case, with
# woonpunt invited: "melder" (politie: reported it, and takes part in the case since triage brought it in),
# "zvh" (zvh-mh: triaged it, opened the case), "participant" (woonpunt), "non-participant" (ggz: party to the
# convenant, not in the case), "gemeente" (party to the convenant, not in this case; sees only its own signals).
SITUATIONS = {"melder": "politie", "zvh": "zvh-mh", "participant": "woonpunt", "non-participant": "ggz",
              "gemeente": "gemeente"}
# Who may hold a role at which kind of organisation (policies/roles.yaml organisation_kinds): elsewhere the role
# counts for nothing.
HONOURED = {"procesregisseur": {"zvh-mh", "gemeente"}, "bestuurder": {"gemeente"}}
CASE_READERS = {"procesregisseur", "casusregisseur", "medewerker", "bestuurder"}
PARTICIPANTS = {"politie", "zvh-mh", "woonpunt"}


def _expected(role: str, org: str, endpoint: str) -> int:
    honoured = org in HONOURED.get(role, {org})
    if endpoint == "case signals":
        # Reading a case's signals is reading the case: 404 for anyone who may not (no existence oracle).
        return 200 if honoured and role in CASE_READERS and org in PARTICIPANTS else 404
    # feedback: the procesregisseur's, from the triaging side; a municipality does not know partners' signals.
    if role != "procesregisseur" or not honoured:
        return 403
    return 201 if org == "zvh-mh" else 404


MATRIX = [(role.value, situation, endpoint, _expected(role.value, org, endpoint))
          for role in Role for situation, org in SITUATIONS.items() for endpoint in ("case signals", "feedback")]


async def _triaged(world: World, *, decision: str = "nieuwe_casus", **extra: Any) -> tuple[str, dict[str, Any]]:
    """A signal politie reported, triaged by zvh-mh; the case it is in (woonpunt invited), or {}."""
    sent = await post_signal(world.client, world.h("politie", "melder"))
    assert sent.status_code == 201, sent.text
    signal_id = sent.json()["id"]
    body = {"decision": decision, "reason": "interne afweging: drie meldingen", **extra}
    if decision == "nieuwe_casus":
        body["case_type"] = "woonoverlast"
    t = await world.client.post(f"/v1/signals/{signal_id}/triage", json=body, headers=world.regisseur)
    assert t.status_code == 200, t.text
    if t.json()["case_id"] is None:
        return signal_id, {}
    case_id = t.json()["case_id"]
    case = (await world.client.get(f"/v1/cases/{case_id}", headers=world.regisseur)).json()
    if "woonpunt" not in {p["organisation"] for p in case["participants"]}:
        r = await world.client.post(f"/v1/cases/{case_id}/participants", json={"organisation": "woonpunt"},
                                    headers=world.regisseur | {"If-Match": "*"})
        assert r.status_code == 201, r.text
    return signal_id, (await world.client.get(f"/v1/cases/{case_id}", headers=world.regisseur)).json()


@pytest.mark.parametrize("role", [r.value for r in Role])
async def test_access_matrix(world: World, db_url: str, role: str) -> None:
    signal_id, case = await _triaged(world)
    rows = [row for row in MATRIX if row[0] == role]
    for _, situation, endpoint, expected in rows:
        h = world.h(SITUATIONS[situation], role)
        if endpoint == "case signals":
            r = await world.client.get(f"/v1/cases/{case['id']}/signals", headers=h)
        else:
            r = await world.client.post(f"/v1/signals/{signal_id}/feedback", json={"message": MESSAGE}, headers=h)
        assert r.status_code == expected, (role, situation, endpoint, r.text)
        if expected >= 400:
            assert_problem(r, expected)
        if endpoint == "case signals" and expected == 200:
            assert [s["id"] for s in r.json()["items"]] == [signal_id]
    # Every refusal is in the audit log as a denied attempt by this role; every success as allowed.
    denied = await audit_rows(db_url, outcome="denied", actor_role=role)
    assert len(denied) == sum(1 for row in rows if row[3] >= 400)
    assert {e.action for e in denied} <= {"case:read", "signal:feedback"}
    read = await audit_rows(db_url, action="case:signals", outcome="allowed", actor_role=role)
    sent = await audit_rows(db_url, action="signal:feedback", outcome="allowed", actor_role=role)
    assert len(read) == sum(1 for row in rows if row[2] == "case signals" and row[3] == 200)
    assert len(sent) == sum(1 for row in rows if row[2] == "feedback" and row[3] == 201)
    assert all(e.case_id is not None and str(e.case_id) == case["id"] for e in read + sent)


async def test_the_reporting_organisation_sends_no_feedback_to_itself(world: World, db_url: str) -> None:
    own = await post_signal(world.client, world.regisseur)  # the ZVH reports a signal of its own
    r = await world.client.post(f"/v1/signals/{own.json()['id']}/feedback", json={"message": MESSAGE},
                                headers=world.regisseur)
    assert_problem(r, 403)
    (entry,) = await audit_rows(db_url, action="signal:feedback", outcome="denied")
    assert entry.object_id == own.json()["id"] and entry.detail["reason"] == "own organisation's signal"


async def test_the_melder_sees_opgepakt_with_the_case_reference_and_nothing_of_the_case(world: World) -> None:
    melder = world.h("politie", "melder")
    signal_id, case = await _triaged(world)
    # Opened from the signal, not moved on yet: in behandeling.
    view = (await world.client.get(f"/v1/signals/{signal_id}", headers=melder)).json()
    assert (view["status"], view["case_reference"]) == ("in_behandeling", case["reference"])

    note = "Bewoner heeft schulden en zoekt hulp"  # case content the melder must not see
    r = await world.client.post(f"/v1/cases/{case['id']}/notes", json={"category": "wonen", "text": note},
                                headers=world.regisseur)
    assert r.status_code == 201, r.text
    assert (await world.fire(case["id"], "triage_starten", if_match="*")).status_code == 200
    r = await world.client.get(f"/v1/signals/{signal_id}", headers=melder)
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["status"] == "opgepakt" and view["case_reference"] == case["reference"]
    # Regie lies with the ZVH at triage (AVE's level owner): that is whom to contact.
    assert view["contact_organisation"] == case["regie_organisation"] == "zvh-mh"
    assert view["reason_code"] is None and view["feedback"] == []
    # Nothing of the case: no id, state, title, details, history or subjects beyond the signal's own.
    for leaked in (case["id"], "triage_starten", "melding", case["title"], note, "Bewoner Een",
                   "interne afweging", "participants"):
        assert leaked not in r.text, leaked
    assert set(view) == {"id", "status", "reason_code", "case_reference", "contact_organisation",
                         "source_organisation", "case_type_hint", "category", "external_ref", "observed_at",
                         "created_at", "feedback"}
    listed = (await world.client.get("/v1/signals", headers=melder)).json()["items"]
    assert [(s["id"], s["status"], s["case_reference"]) for s in listed] == [
        (signal_id, "opgepakt", case["reference"])]


async def test_linked_and_rejected_signals_as_the_melder_sees_them(world: World, db_url: str) -> None:
    melder = world.h("politie", "melder")
    case = await world.case("woonoverlast")
    linked, _ = await _triaged(world, decision="koppelen", case_id=case["id"])
    rejected, _ = await _triaged(world, decision="afwijzen", reason_code="al_bekend")
    waiting = (await post_signal(world.client, melder)).json()["id"]
    seen = {s["id"]: s for s in (await world.client.get("/v1/signals", headers=melder)).json()["items"]}
    assert {k: (v["status"], v["reason_code"], v["case_reference"], v["contact_organisation"])
            for k, v in seen.items()} == {
        linked: ("gekoppeld", None, case["reference"], "zvh-mh"),
        rejected: ("afgewezen", "al_bekend", None, "zvh-mh"),  # rejected by the ZVH: the ZVH is the contact
        waiting: ("ontvangen", None, None, None),
    }
    single = (await world.client.get(f"/v1/signals/{rejected}", headers=melder)).json()
    assert "interne afweging" not in str(single)  # the free-text reason stays the triaging side's own
    (entry,) = await audit_rows(db_url, action="signal:triage", object_id=rejected)
    assert entry.detail["reason_code"] == "al_bekend"


async def test_a_rejection_code_outside_the_list_is_422(world: World) -> None:
    sent = await post_signal(world.client, world.h("politie", "melder"))
    r = await world.client.post(f"/v1/signals/{sent.json()['id']}/triage", headers=world.regisseur,
                                json={"decision": "afwijzen", "reason": "x", "reason_code": "geen_zin"})
    body = assert_problem(r, 422)
    assert any(e["loc"][-1] == "reason_code" for e in body["errors"])


async def test_the_case_id_filter_lists_exactly_the_signals_of_that_case(world: World) -> None:
    first, case = await _triaged(world)
    second, _ = await _triaged(world, decision="koppelen", case_id=case["id"])
    elsewhere, other = await _triaged(world)
    await _triaged(world, decision="afwijzen")
    await post_signal(world.client, world.h("politie", "melder"))

    async def ids(params: dict[str, str], headers: dict[str, str]) -> set[str]:
        r = await world.client.get("/v1/signals", params=params, headers=headers)
        assert r.status_code == 200, r.text
        return {s["id"] for s in r.json()["items"]}

    assert await ids({"case_id": case["id"]}, world.regisseur) == {first, second}
    assert await ids({"case_id": other["id"]}, world.regisseur) == {elsewhere}
    assert await ids({"case_id": case["id"], "status": "afgewezen"}, world.regisseur) == set()
    assert len(await ids({}, world.regisseur)) == 5
    # A melder knows no case ids: the filter finds nothing for it, not its signals in that case.
    assert await ids({"case_id": case["id"]}, world.h("politie", "melder")) == set()
    assert_problem(await world.client.get("/v1/signals", params={"case_id": "nope"}, headers=world.regisseur),
                   422)


async def test_case_signals_follow_the_readers_data_categories(world: World) -> None:
    sent = await post_signal(world.client, world.h("politie", "melder"),
                             signal_body(case_type_hint="ijam", category="politie", subject=person(),
                                         description="Aangehouden bij winkeldiefstal"))
    t = await world.client.post(f"/v1/signals/{sent.json()['id']}/triage", headers=world.regisseur,
                                json={"decision": "nieuwe_casus", "case_type": "ijam", "reason": "x"})
    case_id = t.json()["case_id"]
    r = await world.client.post(f"/v1/cases/{case_id}/participants", json={"organisation": "woonpunt"},
                                headers=world.regisseur | {"If-Match": "*"})
    assert r.status_code == 201, r.text
    full = (await world.client.get(f"/v1/cases/{case_id}/signals", headers=world.regisseur)).json()["items"][0]
    assert full["description"] == "Aangehouden bij winkeldiefstal" and not full["description_withheld"]
    assert full["subject"]["name"] == "Persoon Een"
    assert full["source_organisation"] == "politie" and full["triage_decision"] == "nieuwe_casus"
    # woonpunt: identificatie and wonen, no politie: the subject by name, the police description withheld.
    partial = (await world.client.get(f"/v1/cases/{case_id}/signals",
                                      headers=world.h("woonpunt", "medewerker"))).json()["items"][0]
    assert partial["description"] is None and partial["description_withheld"] is True
    assert partial["subject"]["name"] == "Persoon Een"
    assert "Aangehouden" not in str(partial) and "reason" not in partial


async def test_case_signals_page(world: World) -> None:
    first, case = await _triaged(world)
    more = [await _triaged(world, decision="koppelen", case_id=case["id"]) for _ in range(2)]
    expected = [first, *(m[0] for m in more)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        r = await world.client.get(f"/v1/cases/{case['id']}/signals", params=params, headers=world.regisseur)
        assert r.status_code == 200, r.text
        seen += [s["id"] for s in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == expected


async def test_feedback_is_stored_audited_and_shown_to_the_melder(world: World, db_url: str) -> None:
    melder = world.h("politie", "melder")
    signal_id, case = await _triaged(world)
    r = await world.client.post(f"/v1/signals/{signal_id}/feedback", json={"message": f"  {MESSAGE}  "},
                                headers=world.regisseur)
    assert r.status_code == 201, r.text
    sent = r.json()
    assert (sent["message"], sent["from_organisation"]) == (MESSAGE, "zvh-mh")  # stored stripped
    assert r.headers["location"] == f"/v1/signals/{signal_id}"
    later = await world.client.post(f"/v1/signals/{signal_id}/feedback", json={"message": "Tweede bericht"},
                                    headers=world.regisseur)
    assert later.status_code == 201

    view = (await world.client.get(f"/v1/signals/{signal_id}", headers=melder)).json()
    assert [(f["message"], f["from_organisation"], f["id"]) for f in view["feedback"]] == [
        (MESSAGE, "zvh-mh", sent["id"]), ("Tweede bericht", "zvh-mh", later.json()["id"])]
    assert view["feedback"][0]["at"] == sent["at"]
    assert MESSAGE in await dump_database(db_url)  # stored

    entries = await audit_rows(db_url, action="signal:feedback", outcome="allowed")
    assert [(e.object_id, e.actor_org, e.detail["feedback_id"], e.detail["to_organisation"]) for e in entries] == [
        (signal_id, "zvh-mh", sent["id"], "politie"), (signal_id, "zvh-mh", later.json()["id"], "politie")]
    assert all(str(e.case_id) == case["id"] for e in entries)
    # The message is in no audit entry (ids and lengths only), and its read is audited with the feedback ids.
    everything = await audit_rows(db_url)
    assert MESSAGE not in str([(e.detail, e.object_id) for e in everything])
    reads = [e for e in everything if e.action == "signal:read" and e.actor_org == "politie"]
    assert reads[-1].detail["feedback"] == [sent["id"], later.json()["id"]]


@pytest.mark.parametrize("body", [{}, {"message": ""}, {"message": "   "}, {"message": "x" * 2001},
                                  {"message": "ok", "colour": "blue"}, {"message": 12}])
async def test_bad_feedback_is_422_and_writes_nothing(world: World, db_url: str, body: dict[str, Any]) -> None:
    signal_id, _ = await _triaged(world)
    r = await world.client.post(f"/v1/signals/{signal_id}/feedback", json=body, headers=world.regisseur)
    problem = assert_problem(r, 422)
    assert problem["errors"] and all(e["loc"][0] == "body" for e in problem["errors"])
    view = (await world.client.get(f"/v1/signals/{signal_id}", headers=world.h("politie", "melder"))).json()
    assert view["feedback"] == []
    assert await audit_rows(db_url, action="signal:feedback", outcome="allowed") == []


async def test_feedback_to_an_unknown_signal_is_404(world: World, db_url: str) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    r = await world.client.post(f"/v1/signals/{missing}/feedback", json={"message": MESSAGE},
                                headers=world.regisseur)
    assert_problem(r, 404)
    (entry,) = await audit_rows(db_url, action="signal:feedback", outcome="denied")
    assert entry.object_id == missing
