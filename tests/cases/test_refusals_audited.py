"""Every refused attempt to change a case is in the audit log as denied, with its reason (issue 12,
finding 3, last part): not only 403 and 404 (decided in app/access) but the 409, 412 and 422 the domain
decides, kept though the request rolls back; the entry names the fields, never the values sent."""

from __future__ import annotations

from typing import Any

from tests.world import World


async def _denied(world: World, case_id: str) -> list[tuple[str, Any]]:
    r = await world.client.get("/v1/audit", params={"case_id": case_id}, headers=world.h("zvh-mh", "auditor"))
    assert r.status_code == 200, r.text
    return [(e["action"], e["detail"]) for e in reversed(r.json()["items"]) if e["outcome"] == "denied"]


async def test_conflicts_stale_versions_and_invalid_data_are_audited(world: World) -> None:
    case = await world.case("jeugdgroep")
    cid = case["id"]
    assert (await world.fire(cid, "prioriteren", {"besluit_driehoek_datum": "2025-05-01"})).status_code == 409
    assert (await world.fire(cid, "start_verkenning", if_match='"99"')).status_code == 412
    assert (await world.fire(cid, "start_verkenning")).status_code == 200
    assert (await world.fire(cid, "namenlijst_opstellen", {})).status_code == 422  # noodzaak missing
    r = await world.client.patch(f"/v1/cases/{cid}", json={"details": {"classificatie_legacy": "geen lijst"}},
                                 headers=world.regisseur)
    assert r.status_code == 422, r.text
    denied = await _denied(world, cid)
    assert [(action, detail["reason"]) for action, detail in denied] == [
        ("case:transition", "Transition not allowed in this state"),
        ("case:transition", "Precondition failed"),
        ("case:transition", "Transition guard failed"),
        ("case:update", "Validation failed"),
    ]
    assert denied[2][1]["fields"] == ["body.data.noodzaak"]
    assert "geen lijst" not in str(denied)
    state = (await world.client.get(f"/v1/cases/{cid}", headers=world.regisseur)).json()
    # nothing written
    assert state["state"] == "verkenning" and state["details"].get("classificatie_legacy") != "geen lijst"
