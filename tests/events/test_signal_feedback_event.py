"""`signal.feedback_sent` (issue 15 item 4): delivered to the organisation that reported the signal and to nobody
else, not even the care and safety house that triages it (and sent the feedback); ids only, never the message."""

from __future__ import annotations

from typing import Any

from app.events.delivery import DeliveryConfig, events_pass
from tests.events.receiver import Receiver
from tests.signals.conftest import post_signal
from tests.world import World

MESSAGE = "Uw melding is opgepakt; de casusregisseur belt u deze week."


async def _subscribe(world: World, receiver: Receiver, org: str) -> dict[str, Any]:
    r = await world.client.post("/v1/subscriptions", headers=world.beheerder,
                                json={"url": receiver.url, "event_types": ["signal.feedback_sent"],
                                      "organisation": org})
    assert r.status_code == 201, r.text
    return r.json()


async def test_feedback_reaches_the_melders_organisation_only(world: World, app: Any, receiver: Receiver) -> None:
    subs = {org: await _subscribe(world, receiver, org) for org in ("politie", "zvh-mh", "woonpunt", "gemeente")}
    sent = await post_signal(world.client, world.h("politie", "melder"))
    signal_id = sent.json()["id"]
    t = await world.client.post(f"/v1/signals/{signal_id}/triage", headers=world.regisseur,
                                json={"decision": "nieuwe_casus", "case_type": "woonoverlast", "reason": "x"})
    assert t.status_code == 200, t.text
    r = await world.client.post(f"/v1/signals/{signal_id}/feedback", json={"message": MESSAGE},
                                headers=world.regisseur)
    assert r.status_code == 201, r.text

    done = await events_pass(app.state.db, DeliveryConfig.of(app.state.settings))
    assert done == {"delivered": 1, "withheld": 3}
    (hit,) = receiver.hits
    event = hit.verified(subs["politie"]["secret"])
    assert event["type"] == "nl.zvh.casusregie.signal.feedback_sent" and event["subject"] == signal_id
    assert event["data"] == {"signal_id": signal_id, "feedback_id": r.json()["id"], "from_organisation": "zvh-mh"}
    assert MESSAGE not in hit.body.decode()
    for org, sub in subs.items():
        d = await world.client.get(f"/v1/subscriptions/{sub['id']}/deliveries", headers=world.beheerder)
        assert [x["status"] for x in d.json()["items"]] == (["delivered"] if org == "politie" else ["withheld"])
