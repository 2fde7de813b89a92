"""Who may do what with signals, as a table; and a melder sees its own organisation's status, nothing else."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.vocabulary import Role
from tests.audit_helpers import audit_rows
from tests.signals.conftest import assert_problem, new_key, person, post_signal, signal_body
from tests.world import World

# The signal below is sent by politie. Situations: "zvh" (zvh-mh, the care and safety house sharing a convenant
# with politie), "own" (politie, the sender) and "other" (woonpunt, another partner in that convenant: not a
# triaging organisation, so politie's signal does not exist for it), "municipality" (gemeente: may hold the
# procesregisseur role, but partners' signals are triaged at the care and safety house). A role the
# organisation's kind may not hold (procesregisseur outside zvh/gemeente, bestuurder outside gemeente) counts
# for nothing: 403 throughout.
ENDPOINTS: dict[str, tuple[str, str]] = {
    "submit": ("POST", "/v1/signals"),
    "batch": ("POST", "/v1/signals:batch"),
    "list": ("GET", "/v1/signals"),
    "get": ("GET", "/v1/signals/{id}"),
    "triage": ("POST", "/v1/signals/{id}/triage"),
}

ALLOWED = {
    "procesregisseur": {"submit": 201, "batch": 200, "list": 200, "get": 200, "triage": 200},
    "melder": {"submit": 201, "batch": 200, "list": 200, "get": 200, "triage": 403},
}

MATRIX: list[tuple[str, str, str, int]] = []
for _role in Role:
    for _situation, _org in (("zvh", "zvh-mh"), ("own", "politie"), ("other", "woonpunt"),
                             ("municipality", "gemeente")):
        _fits = {"procesregisseur": _situation in ("zvh", "municipality"),
                 "bestuurder": _situation == "municipality"}.get(_role.value, True)
        for _endpoint in ENDPOINTS:
            expected = ALLOWED.get(_role.value, {}).get(_endpoint, 403) if _fits else 403
            if _role.value == "melder" and _situation != "own" and _endpoint == "get":
                expected = 404  # another organisation's signal does not exist for it
            if _role.value == "procesregisseur" and _situation == "municipality" and _endpoint in ("get", "triage"):
                expected = 404
            MATRIX.append((_role.value, _org, _endpoint, expected))


def _request_body(endpoint: str) -> dict[str, Any] | None:
    if endpoint == "submit":
        return signal_body(description="matrix")
    if endpoint == "batch":
        return {"items": [signal_body(description="matrix") | {"idempotency_key": new_key()}]}
    if endpoint == "triage":
        return {"decision": "afwijzen", "reason": "matrix"}
    return None


async def _call(client: httpx.AsyncClient, endpoint: str, signal_id: str, headers: dict[str, str]) -> httpx.Response:
    method, path = ENDPOINTS[endpoint]
    headers = headers | ({"Idempotency-Key": new_key()} if endpoint == "submit" else {})
    return await client.request(method, path.format(id=signal_id), json=_request_body(endpoint), headers=headers)


@pytest.mark.parametrize("role", [r.value for r in Role])
async def test_access_matrix(world: World, db_url: str, role: str) -> None:
    rows = [row for row in MATRIX if row[0] == role]
    for _, org, endpoint, expected in rows:
        sent = await post_signal(world.client, world.h("politie", "melder"))
        signal_id = sent.json()["id"]
        r = await _call(world.client, endpoint, signal_id, world.h(org, role))
        assert r.status_code == expected, (role, org, endpoint, r.text)
        if expected >= 400:
            assert_problem(r, expected)
    denied = await audit_rows(db_url, outcome="denied")
    assert len(denied) == sum(1 for row in rows if row[3] in (403, 404))
    assert all(e.action.startswith("signal:") and e.actor_role == role for e in denied)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
async def test_without_token_every_endpoint_is_401(world: World, endpoint: str) -> None:
    sent = await post_signal(world.client, world.h("politie", "melder"))
    assert_problem(await _call(world.client, endpoint, sent.json()["id"], {}), 401)


async def test_melder_sees_only_its_own_organisations_status(world: World, db_url: str) -> None:
    own = await post_signal(world.client, world.h("politie", "melder", sub="crm-1"))
    other = await post_signal(world.client, world.h("woonpunt", "melder"), signal_body(subject=person(),
                                                                                     case_type_hint="ijam"))
    colleague = world.h("politie", "melder", sub="crm-2")

    view = await world.client.get(f"/v1/signals/{own.json()['id']}", headers=colleague)
    assert view.status_code == 200, view.text
    assert set(view.json()) == {"id", "status", "reason_code", "case_reference", "contact_organisation",
                                "source_organisation", "case_type_hint", "category", "external_ref",
                                "observed_at", "created_at", "feedback"}
    assert_problem(await world.client.get(f"/v1/signals/{other.json()['id']}", headers=colleague), 404)

    listing = await world.client.get("/v1/signals", headers=colleague)
    assert [s["id"] for s in listing.json()["items"]] == [own.json()["id"]]
    assert set(listing.json()["items"][0]) == set(view.json()) - {"feedback"}  # feedback: on the signal itself
    filtered = await world.client.get("/v1/signals", params={"source_organisation": "woonpunt"}, headers=colleague)
    assert filtered.json()["items"] == []

    # Triaged into a case that politie takes part in: still no case for its melder, nor its case id.
    triaged = await world.client.post(f"/v1/signals/{own.json()['id']}/triage", headers=world.regisseur,
                                      json={"decision": "nieuwe_casus", "case_type": "woonoverlast", "reason": "x"})
    case_id = triaged.json()["case_id"]
    case = (await world.client.get(f"/v1/cases/{case_id}", headers=world.regisseur)).json()
    assert "politie" in [p["organisation"] for p in case["participants"]]
    view = await world.client.get(f"/v1/signals/{own.json()['id']}", headers=colleague)
    assert view.json()["status"] == "in_behandeling" and case_id not in view.text
    assert_problem(await world.client.get(f"/v1/cases/{case_id}", headers=colleague), 404)
    for path in ("history", "notes", "participants", "plan"):
        assert_problem(await world.client.get(f"/v1/cases/{case_id}/{path}", headers=colleague), 404)
    assert_problem(await world.client.get("/v1/cases", headers=colleague), 403)

    # Its own receipts carry no matches, though the procesregisseur's do.
    again = await post_signal(world.client, colleague)
    assert again.json()["matches"] is None

    reads = await audit_rows(db_url, action="signal:read", actor_sub="crm-2")
    assert [(e.outcome, e.detail.get("view") or e.detail.get("reason")) for e in reads] == [
        ("allowed", "status"), ("denied", "not found or not visible"), ("allowed", "status")]


async def test_melder_replaying_a_colleagues_key_gets_no_matches(world: World) -> None:
    await post_signal(world.client, world.h("politie", "melder"))
    key = new_key()
    first = await post_signal(world.client, world.auth("zvh-mh", "procesregisseur"), key=key)
    assert len(first.json()["matches"]) == 1
    replay = await post_signal(world.client, world.auth("zvh-mh", "melder"), key=key)
    assert replay.status_code == 201 and replay.json() == first.json() | {"matches": None}
