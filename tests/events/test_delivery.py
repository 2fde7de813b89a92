"""Events reach subscribers as signed CloudEvents, only about what their organisation may see at delivery time
(issue 14 items 3 and 4), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.events.delivery import DeliveryConfig, events_pass
from app.events.models import OutboxEvent
from app.kit import clock
from tests.events.receiver import Receiver
from tests.signals.conftest import VALID_BSN, person, post_signal, signal_body
from tests.world import SUBJECTS, World

POLITIE = ("politie", "melder")


async def _subscribe(world: World, receiver: Receiver, event_types: list[str], org: str = "politie",
                     **extra: Any) -> dict[str, Any]:
    r = await world.client.post("/v1/subscriptions", json={"url": receiver.url, "event_types": event_types, **extra},
                                headers=world.h(org, "melder"))
    assert r.status_code == 201, r.text
    return r.json()


async def _pass(app: Any) -> dict[str, int]:
    return await events_pass(app.state.db, DeliveryConfig.of(app.state.settings))


async def _deliveries(world: World, sub: dict[str, Any], org: str = "politie") -> list[dict[str, Any]]:
    r = await world.client.get(f"/v1/subscriptions/{sub['id']}/deliveries", headers=world.h(org, "melder"))
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_a_subscriber_gets_signed_cloudevents_about_the_cases_it_takes_part_in_only(
    world: World, app: Any, receiver: Receiver
) -> None:
    sub = await _subscribe(world, receiver, ["case.created", "case.transitioned", "case.participant_added"])
    assert sub["secret"].startswith("whsec_")
    seen = await world.case("woonoverlast", participants=("politie",))
    unseen = await world.case("woonoverlast", participants=("woonpunt",))
    for case in (seen, unseen):
        assert (await world.fire(case["id"], "triage_starten")).status_code == 200

    done = await _pass(app)
    events = [hit.verified(sub["secret"]) for hit in receiver.hits]  # each verifies with the library
    assert {(e["type"], e["subject"]) for e in events} == {
        ("nl.zvh.casusregie.case.created", seen["id"]),
        ("nl.zvh.casusregie.case.participant_added", seen["id"]),
        ("nl.zvh.casusregie.case.transitioned", seen["id"]),
    }
    assert unseen["id"] not in str([hit.body for hit in receiver.hits])
    assert done == {"delivered": 3, "withheld": 3}
    moved = next(e for e in events if e["type"].endswith("transitioned"))
    assert moved["specversion"] == "1.0" and moved["source"] == "urn:nl:zvh:test-maastricht"
    assert moved["datacontenttype"] == "application/json" and moved["time"]
    assert moved["data"] | {"case_id": seen["id"], "case_type": "woonoverlast", "state": "triage",
                            "trigger": "triage_starten", "from_state": "melding"} == moved["data"]
    for hit in receiver.hits:
        assert hit.headers["content-type"].startswith("application/cloudevents+json")
        assert hit.headers["webhook-id"] == hit.event()["id"]
    # The withheld ones are in the log, never sent.
    log = await _deliveries(world, sub)
    assert sorted(d["status"] for d in log) == ["delivered"] * 3 + ["withheld"] * 3
    assert all(d["attempt_log"][0]["outcome"] == "withheld" for d in log if d["status"] == "withheld")
    assert await _pass(app) == {}  # each once


async def test_event_bodies_hold_no_personal_data(world: World, app: Any, receiver: Receiver, db_url: str) -> None:
    """Names, birth dates, addresses, the BSN and note text appear in no event."""
    types = ["case.created", "case.transitioned", "case.note_added", "case.participant_added",
             "signal.received", "signal.triaged"]
    zvh = await world.client.post("/v1/subscriptions", json={"url": receiver.url, "event_types": types},
                                  headers=world.beheerder)
    assert zvh.status_code == 201, zvh.text
    case = await world.case("ex_gedetineerde", participants=("politie",))
    note = await world.client.post(f"/v1/cases/{case['id']}/notes", headers=world.regisseur,
                                   json={"category": "justitie", "text": "Geheime aantekening over Persoon Een"})
    assert note.status_code == 201, note.text
    r = await post_signal(world.client, world.h(*POLITIE),
                          signal_body(case_type_hint="ex_gedetineerde", category="justitie", subject=person()))
    assert r.status_code == 201, r.text
    t = await world.client.post(f"/v1/signals/{r.json()['id']}/triage", headers=world.regisseur,
                                json={"decision": "afwijzen", "reason": "Persoon Een is bekend"})
    assert t.status_code == 200, t.text
    await _pass(app)
    assert {e["type"].removeprefix("nl.zvh.casusregie.") for e in receiver.events()} >= {
        "case.created", "case.note_added", "signal.received", "signal.triaged"}
    sent = b"".join(hit.body for hit in receiver.hits).decode()
    async with app.state.db.sessionmaker() as session:
        stored = "".join((await session.scalars(select(OutboxEvent.envelope))).all())
    for text in (sent, stored):
        for secret in ("Persoon Een", "1990-05-05", VALID_BSN, "Geheime", "6211", "Bewoner",
                       SUBJECTS["ex_gedetineerde"]["name"], "bekend"):
            assert secret not in text


async def test_a_note_event_needs_the_notes_category(world: World, app: Any, receiver: Receiver) -> None:
    sub = await _subscribe(world, receiver, ["case.note_added"])
    case = await world.case("woonoverlast", participants=("politie",))
    for category in ("zorg", "politie"):  # politie's convenant grants politie, not zorg
        r = await world.client.post(f"/v1/cases/{case['id']}/notes", headers=world.regisseur,
                                    json={"category": category, "text": "tekst"})
        assert r.status_code == 201, r.text
    await _pass(app)
    assert [hit.verified(sub["secret"])["data"]["data_category"] for hit in receiver.hits] == ["politie"]


async def test_access_is_decided_at_delivery_not_when_the_event_was_written(
    world: World, app: Any, receiver: Receiver
) -> None:
    sub = await _subscribe(world, receiver, ["case.transitioned"])
    case = await world.case("woonoverlast", participants=("politie",))
    assert (await world.fire(case["id"], "triage_starten")).status_code == 200
    r = await world.client.delete(f"/v1/cases/{case['id']}/participants/politie", headers=world.regisseur)
    assert r.status_code == 204, r.text
    await _pass(app)
    assert receiver.hits == []
    assert [d["status"] for d in await _deliveries(world, sub)] == ["withheld"]


async def test_a_receiver_that_fails_twice_gets_the_same_event_three_times(
    world: World, app: Any, receiver: Receiver
) -> None:
    sub = await _subscribe(world, receiver, ["case.participant_added"])
    await world.case("woonoverlast", participants=("politie",))
    receiver.status = 500
    start = clock.now()
    assert await _pass(app) == {"pending": 1}
    with clock.frozen(start + timedelta(seconds=10)):  # before the first retry (30 s, jitter >= half): nothing
        assert await _pass(app) == {}
    with clock.frozen(start + timedelta(minutes=1)):
        assert await _pass(app) == {"pending": 1}
        receiver.status = 200
    with clock.frozen(start + timedelta(minutes=3)):
        assert await _pass(app) == {"delivered": 1}
    ids = {hit.headers["webhook-id"] for hit in receiver.hits}
    assert len(receiver.hits) == 3 and len(ids) == 1
    assert {hit.verified(sub["secret"])["id"] for hit in receiver.hits} == ids
    (delivery,) = await _deliveries(world, sub)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 3
    assert [(a["number"], a["outcome"], a["status_code"]) for a in delivery["attempt_log"]] == [
        (1, "failed", 500), (2, "failed", 500), (3, "delivered", 200)]
    assert delivery["last_error"] is None and delivery["event_id"] in ids


async def test_after_the_retry_window_a_delivery_is_dead_lettered(world: World, app: Any, receiver: Receiver) -> None:
    sub = await _subscribe(world, receiver, ["case.participant_added"])
    await world.case("woonoverlast", participants=("politie",))
    receiver.status = 503
    start = clock.now()
    moment = start
    for _ in range(40):
        with clock.frozen(moment):
            await _pass(app)
        moment += timedelta(hours=7)  # past any backoff (at most 6 h)
        if (await _deliveries(world, sub))[0]["status"] != "pending":
            break
    (delivery,) = await _deliveries(world, sub)
    assert delivery["status"] == "dead" and delivery["last_status_code"] == 503
    assert 2 <= delivery["attempts"] <= 6 and delivery["next_attempt_at"] is None
    with clock.frozen(moment + timedelta(days=2)):
        assert await _pass(app) == {}


async def test_ping_is_sent_to_that_subscription_alone(world: World, app: Any, receiver: Receiver) -> None:
    mine = await _subscribe(world, receiver, ["case.created"])
    other = await _subscribe(world, receiver, ["case.created"], org="gemeente")
    r = await world.client.post(f"/v1/subscriptions/{mine['id']}/test", headers=world.h(*POLITIE))
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/v1/subscriptions/{mine['id']}/deliveries"
    await _pass(app)
    (hit,) = receiver.hits
    ping = hit.verified(mine["secret"])
    assert ping["type"] == "nl.zvh.casusregie.subscription.ping" and ping["subject"] == mine["id"]
    assert ping["id"] == r.json()["event_id"]
    assert await _deliveries(world, other, org="gemeente") == []


async def test_unsubscribing_cancels_what_is_pending(world: World, app: Any, receiver: Receiver) -> None:
    sub = await _subscribe(world, receiver, ["case.participant_added"])
    await world.case("woonoverlast", participants=("politie",))
    receiver.status = 500
    await _pass(app)
    r = await world.client.delete(f"/v1/subscriptions/{sub['id']}", headers=world.h(*POLITIE))
    assert r.status_code == 204
    with clock.frozen(clock.now() + timedelta(hours=1)):
        assert await _pass(app) == {}
    await world.case("woonoverlast", participants=("politie",))
    await _pass(app)
    assert len(receiver.hits) == 1  # the first attempt only


async def test_a_failed_change_writes_no_event(world: World, app: Any, db_url: str) -> None:
    case = await world.case("woonoverlast")
    bad = await world.fire(case["id"], "oppakken", {"ave_fase": 3})  # from melding: not possible
    assert bad.status_code in (409, 422)
    async with app.state.db.sessionmaker() as session:
        types = (await session.scalars(select(OutboxEvent.type).where(OutboxEvent.case_id.is_not(None)))).all()
    assert list(types) == ["case.created"]


@pytest.mark.parametrize("event_type", ["convenant.activated", "convenant.terminated"])
async def test_convenant_events_reach_its_parties(
    world: World, app: Any, receiver: Receiver, event_type: str
) -> None:
    party = await _subscribe(world, receiver, [event_type])
    outsider = await _subscribe(world, receiver, [event_type], org="school")
    cid = await world.convenant("extra", case_types=["ijam"], parties={"zvh-mh": ["identificatie"],
                                                                      "politie": ["identificatie"]})
    if event_type == "convenant.terminated":
        r = await world.client.post(f"/v1/convenants/{cid}/terminate", headers=world.beheerder,
                                    json={"reason": "einde samenwerking"})
        assert r.status_code == 200, r.text
    await _pass(app)
    (hit,) = receiver.hits
    event = hit.verified(party["secret"])
    assert event["subject"] == cid and event["data"]["case_types"] == ["ijam"]
    assert [d["status"] for d in await _deliveries(world, outsider, org="school")] == ["withheld"]


def _gauge(text: str, name: str) -> float:
    (line,) = [ln for ln in text.splitlines() if ln.startswith(name + " ")]
    return float(line.split()[1])


async def test_metrics_show_the_backlog(world: World, app: Any, receiver: Receiver) -> None:
    await _subscribe(world, receiver, ["case.participant_added"])
    await world.case("woonoverlast", participants=("politie",))
    text = (await world.client.get("/metrics")).text
    assert _gauge(text, "casusregie_events_undispatched") >= 1
    receiver.status = 500
    with clock.frozen(clock.now() + timedelta(seconds=5)):
        await _pass(app)
        text = (await world.client.get("/metrics")).text
    assert _gauge(text, "casusregie_events_undispatched") == 0
    assert _gauge(text, "casusregie_webhook_deliveries_pending") == 1
    assert _gauge(text, "casusregie_events_oldest_undelivered_seconds") >= 5
    assert _gauge(text, "casusregie_webhook_deliveries_dead") == 0
    with clock.frozen(clock.now() + timedelta(days=30)):  # the case's first state (melding) lasts 7 days
        text = (await world.client.get("/metrics")).text
    assert _gauge(text, "casusregie_cases_overdue") >= 1 and _gauge(text, "casusregie_cases_overdue_unacted") >= 1


async def test_an_overdue_case_emits_case_overdue_once(world: World, app: Any, receiver: Receiver) -> None:
    from app.worker import deadline_pass

    sub = await _subscribe(world, receiver, ["case.overdue"])
    case = await world.case("ijam", participants=("politie",))
    late = datetime.fromisoformat(case["due_at"]) + timedelta(days=1)
    with clock.frozen(late):
        assert [a.action for a in await deadline_pass(app.state.db)] == ["flagged"]
        assert await deadline_pass(app.state.db) == []  # once
        await _pass(app)
    (hit,) = receiver.hits
    event = hit.verified(sub["secret"])
    assert event["type"] == "nl.zvh.casusregie.case.overdue" and event["subject"] == case["id"]
    assert event["data"]["state"] == case["state"] and event["data"]["due_at"]
