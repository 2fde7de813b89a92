"""Whether the reporting organisation joins the case its signal is triaged into is ladder data (issue 16 item 6):
on radicalisering it does not (it learns its signal's status, not the case); elsewhere it does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.signals.conftest import person, post_signal, signal_body
from tests.world import World


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Any) -> World:
    return await World(client, auth).setup()


@pytest.mark.parametrize(("case_type", "category", "joins"), [
    ("radicalisering", "veiligheid", False),
    ("ex_gedetineerde", "justitie", True),
])
async def test_the_melder_joins_where_the_ladder_says(world: World, case_type: str, category: str,
                                                      joins: bool) -> None:
    melder = world.h("politie", "melder")
    r = await post_signal(world.client, melder, signal_body(case_type_hint=case_type, category=category,
                                                            subject=person()))
    assert r.status_code == 201, r.text
    signal_id = r.json()["id"]
    t = await world.client.post(f"/v1/signals/{signal_id}/triage", headers=world.regisseur,
                                json={"decision": "nieuwe_casus", "case_type": case_type, "reason": "zorgen"})
    assert t.status_code == 200, t.text
    case_id = t.json()["case_id"]
    case = (await world.client.get(f"/v1/cases/{case_id}", headers=world.regisseur)).json()
    assert ("politie" in [p["organisation"] for p in case["participants"]]) is joins
    seen = await world.client.get(f"/v1/cases/{case_id}", headers=world.h("politie", "medewerker"))
    assert seen.status_code == (200 if joins else 404)
    status = await world.client.get(f"/v1/signals/{signal_id}", headers=melder)
    # The feedback it does get: a case was opened from its signal, not yet moved on (README "Signals in the case").
    assert status.status_code == 200 and status.json()["status"] == "in_behandeling"
    assert status.json()["case_reference"] == case["reference"] and case_id not in status.text
    workflow = (await world.client.get(f"/v1/workflows/{case_type}", headers=world.regisseur)).json()
    assert workflow["melder_joins"] is joins
