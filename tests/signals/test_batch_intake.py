"""Batch intake stored set-wise: every kind of item in one batch gets its own answer, and the database
holds exactly the rows and audit entries that one-by-one intake would have left."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from app.kit import clock
from app.signals.models import IdempotencyRecord, Signal
from app.subjects.models import Subject
from tests.audit_helpers import audit_rows
from tests.conftest import IS_PG
from tests.signals.conftest import ADDRESS, count, new_key, person, post_signal, signal_body
from tests.world import World

HOUSEHOLD = ADDRESS | {"persons": [{"name": "Bewoner Een"}, {"name": "Bewoner Twee", "birth_date": "1980-01-01"}]}
GROUP = {"type": "groep", "name": "De Hangplek", "area": "Noord", "members": [{"name": "Lid Een"}]}


def _item(key: str | None, **changes: Any) -> dict[str, Any]:
    return signal_body(**changes) | ({"idempotency_key": key} if key is not None else {})


async def _rows(db_url: str, stmt: Any) -> list[Any]:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(stmt)).all())
    finally:
        await engine.dispose()


async def test_one_batch_of_new_replayed_conflicting_invalid_and_duplicate_items(world: World, db_url: str) -> None:
    melder = world.h("politie", "melder", sub="crm-politie")
    stored_key, conflict_key = new_key(), new_key()
    earlier = await post_signal(world.client, melder, signal_body(external_ref="EERDER"), key=stored_key)
    other = await post_signal(world.client, melder, signal_body(external_ref="ANDER"), key=conflict_key)
    assert other.status_code == 201
    before = {t: await count(db_url, t) for t in ("signaal", "signaal_idempotency", "subject")}
    entries_before = len(await audit_rows(db_url))

    new, twice, late = "m-" + new_key(), "a-" + new_key(), "z-" + new_key()
    items = [
        _item(new, subject=HOUSEHOLD, external_ref="NIEUW"),                  # 0 new, a household of three rows
        _item(stored_key, external_ref="EERDER"),                             # 1 replay of the earlier single POST
        _item(conflict_key, external_ref="NIET-ANDER"),                       # 2 the key with another body: 422
        _item(late, subject=ADDRESS | {"postcode": "62111"}),                 # 3 invalid: 422, claims nothing
        _item(new, subject=HOUSEHOLD, external_ref="NIEUW"),                  # 4 item 0 again: replays it
        _item(new, external_ref="NIEUW-ANDERS"),                              # 5 item 0's key, another body: 422
        _item(twice, case_type_hint="jeugdgroep", category="politie", subject=GROUP),  # 6 new, a group of two
        _item(None),                                                          # 7 no key: 422
        _item(late, case_type_hint="ex_gedetineerde", subject=person()),      # 8 new: item 3's key was never claimed
    ]
    r = await world.client.post("/v1/signals:batch", json={"items": items}, headers=melder)
    assert r.status_code == 200, r.text
    answers = r.json()["items"]
    assert [(a["index"], a["status"], a["replayed"]) for a in answers] == [
        (0, 201, False), (1, 201, True), (2, 422, False), (3, 422, False), (4, 201, True), (5, 422, False),
        (6, 201, False), (7, 422, False), (8, 201, False)]
    assert [a["idempotency_key"] for a in answers] == [
        new, stored_key, conflict_key, late, new, new, twice, None, late]
    assert answers[1]["id"] == earlier.json()["id"] and answers[4]["id"] == answers[0]["id"]
    new_ids = {answers[i]["id"] for i in (0, 6, 8)}
    assert len(new_ids) == 3 and earlier.json()["id"] not in new_ids
    for i in (2, 3, 5, 7):
        assert answers[i]["id"] is None and answers[i]["problem"]["status"] == 422
    for i in (2, 5):
        assert answers[i]["problem"]["errors"] == [{
            "loc": ["body", "items", i, "idempotency_key"],
            "msg": "This Idempotency-Key was used with another request body"}]
    assert [e["loc"] for e in answers[3]["problem"]["errors"]] == [["body", "items", 3, "subject", "adres", "postcode"]]
    assert ["body", "items", 7, "idempotency_key"] in [e["loc"] for e in answers[7]["problem"]["errors"]]

    # Exactly the three new signals, their keys with their answers, and their subject rows (3 + 2 + 1).
    assert await count(db_url, "signaal") == before["signaal"] + 3
    assert await count(db_url, "signaal_idempotency") == before["signaal_idempotency"] + 3
    assert await count(db_url, "subject") == before["subject"] + 6
    keys = {row.idempotency_key: row for row in await _rows(db_url, select(IdempotencyRecord).where(
        IdempotencyRecord.idempotency_key.in_([new, twice, late])))}
    for i, key in ((0, new), (6, twice), (8, late)):
        assert keys[key].response_status == 201 and keys[key].response_body["id"] == answers[i]["id"]
        assert keys[key].organisation == "politie" and keys[key].response_body["matches"] is None
    signals = {str(s.id): s for s in await _rows(db_url, select(Signal).where(
        Signal.id.in_([uuid.UUID(i) for i in new_ids])))}
    assert {(s.external_ref, s.case_type_hint, s.category, s.source_organisation, s.created_by, s.status)
            for s in signals.values()} == {
        ("NIEUW", "woonoverlast", "wonen", "politie", "crm-politie", "ontvangen"),
        ("CRM-123", "jeugdgroep", "politie", "politie", "crm-politie", "ontvangen"),
        ("CRM-123", "ex_gedetineerde", "wonen", "politie", "crm-politie", "ontvangen")}
    household = signals[answers[0]["id"]]
    members = await _rows(db_url, select(Subject).where(Subject.member_of == household.subject_id))
    assert sorted(m.name for m in members) == ["Bewoner Een", "Bewoner Twee"]
    [head] = await _rows(db_url, select(Subject).where(Subject.id == household.subject_id))
    assert (head.type, head.postcode, head.house_number, head.match_key) == ("adres", "6211AB", "12",
                                                                                "adres:6211AB:12")

    # One signal:create entry per stored or replayed item, none for a refused one; nothing else.
    entries = (await audit_rows(db_url))[entries_before:]
    assert {e.action for e in entries} == {"signal:create"}
    by_item = {(e.object_id, e.detail["replay"]): e for e in entries}
    assert len(entries) == 5 and set(by_item) == {
        (answers[0]["id"], False), (answers[6]["id"], False), (answers[8]["id"], False),
        (answers[1]["id"], True), (answers[4]["id"], True)}
    stored = by_item[(answers[0]["id"], False)]
    assert stored.detail == {"replay": False, "matches": []} and stored.actor_role == "melder"
    assert stored.convenant_id == uuid.UUID(world.convenants["pga"]) and stored.legal_basis
    assert sorted(stored.subject_ids) == sorted([str(household.subject_id), *(str(m.id) for m in members)])
    assert len(by_item[(answers[6]["id"], False)].subject_ids) == 2
    [(earlier_subject,)] = await _rows(db_url, select(Signal.subject_id).where(
        Signal.id == uuid.UUID(earlier.json()["id"])))
    for i, subject_id in ((1, earlier_subject), (4, household.subject_id)):
        replay = by_item[(answers[i]["id"], True)]
        assert replay.detail == {"replay": True} and replay.legal_basis is None
        assert replay.subject_ids == [str(subject_id)]

    # The keys behave afterwards as if the items had come one by one.
    again = await post_signal(world.client, melder, signal_body(subject=HOUSEHOLD, external_ref="NIEUW"), key=new)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == answers[0]["id"]


async def test_batch_of_a_procesregisseur_matches_earlier_items_and_stored_signals(world: World) -> None:
    first = await post_signal(world.client, world.h("politie", "melder"))
    keys = [f"{c}-{new_key()}" for c in "abc"]
    items = [_item(keys[2]), _item(keys[0]), _item(keys[1], subject=GROUP, case_type_hint="jeugdgroep")]
    r = await world.client.post("/v1/signals:batch", json={"items": items}, headers=world.regisseur)
    assert [a["status"] for a in r.json()["items"]] == [201, 201, 201]
    ids = [a["id"] for a in r.json()["items"]]
    receipts = [(await post_signal(world.client, world.regisseur, signal_body(**changes), key=key)).json()
                for key, changes in ((keys[2], {}), (keys[0], {}),
                                     (keys[1], {"subject": GROUP, "case_type_hint": "jeugdgroep"}))]
    assert [rc["id"] for rc in receipts] == ids
    # In key order: "a-…" sees the stored signal, "c-…" sees that and "a-…"; the group matches nothing.
    assert [[m["id"] for m in rc["matches"]] for rc in receipts] == [[first.json()["id"], ids[1]],
                                                                     [first.json()["id"]], []]


async def test_batch_takes_over_expired_keys(world: World, db_url: str) -> None:
    melder = world.h("politie", "melder")
    keys = [new_key() for _ in range(3)]
    first = await world.client.post("/v1/signals:batch", headers=melder,
                                    json={"items": [_item(k, external_ref="OUD") for k in keys]})
    with clock.frozen(clock.now() + timedelta(days=7, minutes=1)):
        items = [_item(keys[0], external_ref="NIEUW"), _item(keys[1], external_ref="OUD"), _item(new_key())]
        reused = await world.client.post("/v1/signals:batch", headers=melder, json={"items": items})
        assert [(a["status"], a["replayed"]) for a in reused.json()["items"]] == [(201, False)] * 3
        old_ids = {a["id"] for a in first.json()["items"]}
        assert not old_ids & {a["id"] for a in reused.json()["items"]}
        replay = await post_signal(world.client, melder, signal_body(external_ref="NIEUW"), key=keys[0])
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.json()["id"] == reused.json()["items"][0]["id"]
    assert await count(db_url, "signaal") == 6 and await count(db_url, "signaal_idempotency") == 4


@pytest.mark.skipif(not IS_PG, reason="only PostgreSQL refuses a NUL character in text; SQLite stores it")
async def test_item_with_a_value_the_database_refuses_fails_alone(world: World, db_url: str) -> None:
    melder = world.h("politie", "melder")
    keys = [f"{i}-{new_key()}" for i in range(4)]
    items = [_item(keys[0]), _item(keys[1], description="nul\x00teken"), _item(keys[2]), _item(keys[2])]
    r = await world.client.post("/v1/signals:batch", json={"items": items}, headers=melder)
    assert r.status_code == 200, r.text
    answers = r.json()["items"]
    assert [(a["status"], a["replayed"]) for a in answers] == [(201, False), (422, False), (201, False),
                                                               (201, True)]
    assert answers[1]["problem"]["errors"] == [{"loc": ["body", "items", 1], "msg": "value out of range"}]
    assert await count(db_url, "signaal") == 2 and await count(db_url, "signaal_idempotency") == 2
    creates = await audit_rows(db_url, action="signal:create")
    assert sorted((e.object_id, e.detail["replay"]) for e in creates) == sorted(
        [(answers[0]["id"], False), (answers[2]["id"], False), (answers[2]["id"], True)])
    # The refused item's key was not kept: sent again without the NUL character, it is stored.
    retry = await world.client.post("/v1/signals:batch", json={"items": [_item(keys[1])]}, headers=melder)
    assert [(a["status"], a["replayed"]) for a in retry.json()["items"]] == [(201, False)]
