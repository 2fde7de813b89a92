"""Sensitive outcomes withheld (issue 16 item 5): radicalisering's `casusoverleg` and `monitoring` say the weegtafel
took the person on (a PGA decision, `veiligheid`). A participant whose convenant lacks `veiligheid` (here the
ggz) sees the neutral phase `In behandeling` in the case, the list, the history and the events, cannot find the
case by filtering on the state or tier, and cannot act on it; a participant with it sees the state."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.events.delivery import DeliveryConfig, events_pass
from app.kit import clock
from tests.cases.test_ladder_radicalisering import WEGING
from tests.conftest import make_settings
from tests.events.receiver import Receiver
from tests.world import World

GGZ = ("ggz", "medewerker")  # identificatie, zorg: no veiligheid
POLITIE = ("politie", "medewerker")  # veiligheid


@pytest.fixture
def settings(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("CASUSREGIE_WEBHOOK_ALLOW", "127.0.0.1")
    return make_settings(db_url)


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Any) -> World:
    return await World(client, auth).setup()


async def _pga_case(world: World) -> str:
    case = await world.case("radicalisering", participants=("ggz", "politie"))
    for trigger, data in (("voorwegen", {}), ("naar_weegtafel", {}), ("besluit_pga", WEGING)):
        r = await world.fire(case["id"], trigger, data)
        assert r.status_code == 200, r.text
    return str(case["id"])


async def test_the_pga_state_is_withheld_without_veiligheid(world: World) -> None:
    case_id = await _pga_case(world)
    seen = (await world.client.get(f"/v1/cases/{case_id}", headers=world.h(*POLITIE))).json()
    assert (seen["state"], seen["state_withheld"], seen["tier"]) == ("casusoverleg", False, 1)
    hidden = (await world.client.get(f"/v1/cases/{case_id}", headers=world.h(*GGZ))).json()
    assert (hidden["state"], hidden["state_withheld"], hidden["state_label"]) == (None, True, "In behandeling")
    assert (hidden["tier"], hidden["due_at"], hidden["regie_organisation"]) == (None, None, None)
    assert "casusoverleg" not in str(hidden) and "zvh-mh" != hidden["regie_organisation"]

    listed = (await world.client.get("/v1/cases", headers=world.h(*GGZ))).json()["items"]
    (row,) = [c for c in listed if c["id"] == case_id]
    assert (row["state"], row["state_withheld"], row["tier"]) == (None, True, None)
    # The worklist fields withhold it too: no label, rung, deadline or regie holder that would tell the state.
    assert (row["state_label"], row["step"], row["level_label"]) == ("In behandeling", None, None)
    assert (row["due_at"], row["overdue"], row["regie_organisation"]) == (None, False, None)
    assert "casusoverleg" not in str(row) and "Persoonsgerichte" not in str(row)
    listed = (await world.client.get("/v1/cases", headers=world.h(*POLITIE))).json()["items"]
    (row,) = [c for c in listed if c["id"] == case_id]
    assert (row["state"], row["state_label"], row["tier"], row["level_label"]) == (
        "casusoverleg", "Persoonsgerichte aanpak: casusoverleg en plan", 1, "Niveau 1")
    assert row["due_at"] is not None and row["regie_organisation"] == "zvh-mh"
    for params in ({"state": "casusoverleg"}, {"tier": 1}, {"case_type": "radicalisering", "tier": 1}):
        found = (await world.client.get("/v1/cases", params=params, headers=world.h(*GGZ))).json()["items"]
        assert case_id not in [c["id"] for c in found], params
        found = (await world.client.get("/v1/cases", params=params, headers=world.h(*POLITIE))).json()["items"]
        assert case_id in [c["id"] for c in found], params
    # Past the casusoverleg deadline (28 days) but not another state's: its deadline would tell the state, so to
    # the ggz the case is not overdue, in the filter as in its row.
    with clock.frozen(clock.now() + timedelta(days=40)):
        for who, late in ((GGZ, False), (POLITIE, True)):
            found = {overdue: [c for c in (await world.client.get(
                "/v1/cases", params={"overdue": overdue}, headers=world.h(*who))).json()["items"]
                if c["id"] == case_id] for overdue in ("true", "false")}
            assert (len(found["true"]), len(found["false"])) == ((1, 0) if late else (0, 1)), who
            assert [c["overdue"] for c in found["true"] + found["false"]] == [late], who

    history = (await world.client.get(f"/v1/cases/{case_id}/history", headers=world.h(*GGZ))).json()["items"]
    last = history[-1]
    assert (last["from_state"], last["to_state"], last["state_withheld"]) == ("weegtafel", None, True)
    assert last["trigger"] is None  # besluit_pga is itself a veiligheid decision
    assert "casusoverleg" not in str(history)

    offered = await world.client.get(f"/v1/cases/{case_id}/transitions", headers=world.h("ggz", "medewerker"))
    assert offered.status_code == 200 and offered.json() == []


async def test_events_about_the_pga_state_need_veiligheid(world: World, app: Any) -> None:
    receiver = await Receiver().start()
    try:
        subs = {}
        for org in ("ggz", "politie"):
            r = await world.client.post("/v1/subscriptions", headers=world.h(org, "melder"),
                                        json={"url": receiver.url + f"/{org}", "event_types": ["case.transitioned"]})
            assert r.status_code == 201, r.text
            subs[org] = r.json()
        await _pga_case(world)
        await events_pass(app.state.db, DeliveryConfig.of(app.state.settings))
        got = {(hit.path.rsplit("/", 1)[-1], hit.event()["data"]["state"]) for hit in receiver.hits}
        assert ("politie", "casusoverleg") in got
        assert ("ggz", "casusoverleg") not in got and ("ggz", "weegtafel") in got
    finally:
        await receiver.stop()
