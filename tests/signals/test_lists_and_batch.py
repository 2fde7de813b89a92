"""The triage queue (filters, cursor pages) and batch intake (per-item answers, one bad item fails alone)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from app.kit import clock
from tests.audit_helpers import audit_rows
from tests.signals.conftest import ADDRESS, assert_problem, count, new_key, person, post_signal, signal_body
from tests.world import World


async def _ids(world: World, params: dict[str, Any], headers: dict[str, str] | None = None) -> list[str]:
    r = await world.client.get("/v1/signals", params=params, headers=headers or world.regisseur)
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json()["items"]]


async def test_queue_filters_and_pages(world: World, db_url: str) -> None:
    start = clock.now()
    sent: list[dict[str, Any]] = []
    for i, (org, hint) in enumerate([("politie", "woonoverlast"), ("woonpunt", "woonoverlast"),
                                     ("politie", "ijam"), ("ggz", "ex_gedetineerde")]):
        with clock.frozen(start + timedelta(hours=i)):
            subject = ADDRESS if hint == "woonoverlast" else person(None)
            r = await post_signal(world.client, world.h(org, "melder"), signal_body(case_type_hint=hint,
                                                                                    subject=subject))
            assert r.status_code == 201, r.text
            sent.append(r.json())
    ids = [s["id"] for s in sent]
    await world.client.post(f"/v1/signals/{ids[2]}/triage", json={"decision": "afwijzen", "reason": "x"},
                            headers=world.regisseur)

    r = await world.client.get("/v1/signals", headers=world.regisseur)
    assert [s["id"] for s in r.json()["items"]] == ids
    assert r.json()["items"][0] | {"id": None, "subject_id": None, "created_at": None} == {
        "id": None, "status": "ontvangen", "source_organisation": "politie", "case_type_hint": "woonoverlast",
        "category": "wonen", "subject_id": None, "subject_type": "adres", "observed_at": "2025-03-01T10:00:00Z",
        "external_ref": "CRM-123", "case_id": None, "created_at": None}
    assert await _ids(world, {"status": "ontvangen"}) == [ids[0], ids[1], ids[3]]
    assert await _ids(world, {"status": "afgewezen"}) == [ids[2]]
    assert await _ids(world, {"case_type_hint": "woonoverlast"}) == ids[:2]
    assert await _ids(world, {"source_organisation": "politie"}) == [ids[0], ids[2]]
    window = {"from": (start + timedelta(minutes=30)).isoformat(), "to": (start + timedelta(hours=2)).isoformat()}
    assert await _ids(world, window) == [ids[1]]
    assert await _ids(world, {"from": (start + timedelta(hours=3)).isoformat()}) == [ids[3]]

    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = (await world.client.get("/v1/signals", params=params, headers=world.regisseur)).json()
        pages.append([s["id"] for s in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [ids[:3], ids[3:]]

    for params, field in (({"status": "open"}, "status"), ({"case_type_hint": "x"}, "case_type_hint"),
                          ({"from": "gisteren"}, "from"),
                          ({"from": "2026-01-01T10:00:00"}, "from"), ({"cursor": "!!"}, "cursor"),
                          ({"limit": 0}, "limit"),
                          ({"from": window["to"], "to": window["from"]}, "to")):
        problem = assert_problem(await world.client.get("/v1/signals", params=params, headers=world.regisseur), 422)
        assert any(field in e["loc"] for e in problem["errors"]), problem

    lists = await audit_rows(db_url, action="signal:list")
    assert lists[0].detail["signal_ids"] == ids and len(lists[0].subject_ids) == 4


def _item(key: str | None = None, **changes: Any) -> dict[str, Any]:
    return signal_body(**changes) | {"idempotency_key": key or new_key()}


async def test_batch_answers_per_item_and_one_bad_item_fails_alone(world: World, db_url: str) -> None:
    melder = world.h("politie", "melder")
    keys = [new_key() for _ in range(5)]
    items = [
        _item(keys[0], external_ref="A"),
        _item(keys[1], subject=ADDRESS | {"postcode": "1234"}),  # bad postcode
        _item(keys[2], case_type_hint="ex_gedetineerde", subject=person()),
        {"case_type_hint": "woonoverlast"},  # no key, no subject, nothing
        _item(keys[0], external_ref="A"),  # the first item again: a replay
    ]
    r = await world.client.post("/v1/signals:batch", json={"items": items}, headers=melder)
    assert r.status_code == 200, r.text
    answers = r.json()["items"]
    assert [(a["index"], a["status"], a["replayed"]) for a in answers] == [
        (0, 201, False), (1, 422, False), (2, 201, False), (3, 422, False), (4, 201, True)]
    assert answers[4]["id"] == answers[0]["id"] and answers[0]["id"] != answers[2]["id"]
    assert [a["idempotency_key"] for a in answers] == [keys[0], keys[1], keys[2], None, keys[0]]
    bad = answers[1]["problem"]
    assert bad["type"] == "urn:casusregie:problem:validation-error" and bad["status"] == 422
    assert [e["loc"] for e in bad["errors"]] == [["body", "items", 1, "subject", "adres", "postcode"]]
    assert {tuple(e["loc"])[-1] for e in answers[3]["problem"]["errors"]} >= {"idempotency_key", "subject"}
    assert await count(db_url, "signaal") == 2 and await count(db_url, "signaal_idempotency") == 2

    # The batch and single intake share keys: the same key and content replays, another content is refused.
    single = await post_signal(world.client, melder, signal_body(external_ref="A"), key=keys[0])
    assert single.status_code == 201 and single.json()["id"] == answers[0]["id"]
    again = await world.client.post("/v1/signals:batch", headers=melder,
                                     json={"items": [_item(keys[2], description="Anders"), _item(keys[1])]})
    assert [(a["status"], a["replayed"]) for a in again.json()["items"]] == [(422, False), (201, False)]
    assert again.json()["items"][0]["problem"]["errors"][0]["loc"] == ["body", "items", 0, "idempotency_key"]
    assert await count(db_url, "signaal") == 3

    creates = await audit_rows(db_url, action="signal:create")
    assert sorted(e.detail["replay"] for e in creates) == [False, False, False, True, True]


async def test_batch_limits(world: World, db_url: str) -> None:
    melder = world.h("politie", "melder")
    for body, field in (({"items": []}, "items"), ({"items": [_item()] * 501}, "items"),
                        ({"items": [_item()], "extra": 1}, "extra"), ({"items": ["tekst"]}, "items")):
        problem = assert_problem(await world.client.post("/v1/signals:batch", json=body, headers=melder), 422)
        assert any(field in e["loc"] for e in problem["errors"]), problem
    r = await world.client.post("/v1/signals:batch", headers=melder,
                                json={"items": [_item(description=f"melding {i}") for i in range(500)]})
    assert r.status_code == 200, r.text
    assert {a["status"] for a in r.json()["items"]} == {201}
    assert await count(db_url, "signaal") == 500


async def test_batch_of_a_procesregisseur_stores_matches_for_replay(world: World) -> None:
    # Items are stored in the order of their keys: "b-…" after "a-…", so the second sees the first.
    key = "b-" + new_key()
    items = [_item(key, external_ref="2"), _item("a-" + new_key(), external_ref="1")]
    r = await world.client.post("/v1/signals:batch", headers=world.regisseur, json={"items": items})
    assert [a["status"] for a in r.json()["items"]] == [201, 201]
    replay = await post_signal(world.client, world.regisseur, signal_body(external_ref="2"), key=key)
    assert replay.status_code == 201 and replay.json()["id"] == r.json()["items"][0]["id"]
    assert [m["id"] for m in replay.json()["matches"]] == [r.json()["items"][1]["id"]]


async def test_concurrent_batches_sharing_keys_in_other_orders_store_each_once(world: World, db_url: str) -> None:
    melder = world.h("politie", "melder")
    items = [_item(external_ref=str(i)) for i in range(20)]
    orders = [items, list(reversed(items)), items[10:] + items[:10]]
    answers = await asyncio.gather(*(world.client.post("/v1/signals:batch", json={"items": order}, headers=melder)
                                     for order in orders))
    assert [r.status_code for r in answers] == [200, 200, 200], [r.text for r in answers]
    by_key: dict[str, set[str]] = {}
    for r in answers:
        for a in r.json()["items"]:
            assert a["status"] == 201, a
            by_key.setdefault(a["idempotency_key"], set()).add(a["id"])
    assert len(by_key) == 20 and all(len(ids) == 1 for ids in by_key.values())
    assert sum(not a["replayed"] for r in answers for a in r.json()["items"]) == 20
    assert await count(db_url, "signaal") == 20
