"""Handing regie to an organisation that takes no part yet invites it (issue 12, finding 4): the caller needs
the invite permission too, and the audit log shows the invitation, not only `case:update`."""

from __future__ import annotations

from typing import Any

from tests.world import World


async def _patch(world: World, case_id: str, organisation: str, headers: dict[str, str]) -> Any:
    current = await world.client.get(f"/v1/cases/{case_id}", headers=world.regisseur)
    return await world.client.patch(f"/v1/cases/{case_id}", json={"regie_organisation": organisation},
                                    headers=headers | {"If-Match": current.headers["etag"]})


async def _audit(world: World, case_id: str) -> list[tuple[str, str, str, Any]]:
    """Newest first."""
    r = await world.client.get("/v1/audit", params={"case_id": case_id}, headers=world.h("zvh-mh", "auditor"))
    assert r.status_code == 200, r.text
    return [(e["action"], e["outcome"], e["actor_org"], e["object_id"]) for e in r.json()["items"]
            if e["action"] in ("participant:create", "case:update")]


async def test_a_casusregisseur_may_not_hand_regie_to_a_newcomer(world: World) -> None:
    case = await world.case("ijam", regie_organisation="gemeente")
    casusregisseur = world.h("gemeente", "casusregisseur")  # holds regie; may not invite (roles.yaml)
    r = await _patch(world, case["id"], "ggz", casusregisseur)
    assert r.status_code == 403, r.text
    seen = await world.client.get(f"/v1/cases/{case['id']}", headers=world.regisseur)
    assert seen.json()["regie_organisation"] == "gemeente"
    assert "ggz" not in [p["organisation"] for p in seen.json()["participants"]]
    assert (await world.client.get(f"/v1/cases/{case['id']}", headers=world.h("ggz", "medewerker"))).status_code == 404
    assert await _audit(world, case["id"]) == [("participant:create", "denied", "gemeente", case["id"])]


async def test_to_a_participant_a_casusregisseur_may_hand_it(world: World) -> None:
    case = await world.case("ijam", regie_organisation="gemeente", participants=("ggz",))
    r = await _patch(world, case["id"], "ggz", world.h("gemeente", "casusregisseur"))
    assert r.status_code == 200, r.text
    assert r.json()["regie_organisation"] == "ggz"
    assert await _audit(world, case["id"]) == [("case:update", "allowed", "gemeente", case["id"]),
                                               ("participant:create", "allowed", "zvh-mh", "ggz")]  # the invite


async def test_a_procesregisseur_hands_it_and_the_invitation_is_audited(world: World) -> None:
    case = await world.case("ijam", regie_organisation="gemeente")
    r = await _patch(world, case["id"], "ggz", world.regisseur)
    assert r.status_code == 200, r.text
    assert {p["organisation"]: p["basis"] for p in r.json()["participants"]}["ggz"] == "regie"
    assert await _audit(world, case["id"]) == [("case:update", "allowed", "zvh-mh", case["id"]),
                                               ("participant:create", "allowed", "zvh-mh", "ggz")]
