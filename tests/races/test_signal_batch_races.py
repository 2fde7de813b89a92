"""Batch intake under races: overlapping batches (other orders, other windows) and single POSTs on the same
keys store every signal once; every answer is the stored one or a replay of it, never a 5xx or a deadlock."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from app.signals.models import Signal
from tests.audit_helpers import audit_rows
from tests.races.racing import assert_audit_chain_unbroken, race
from tests.signals.conftest import count, new_key, post_signal, signal_body
from tests.world import World

KEYS = 30
WINDOW = 20
CONTESTED = "contested-" + new_key()


def _bodies(keys: list[str]) -> dict[str, dict[str, Any]]:
    return {k: signal_body(external_ref=f"REF-{n}") for n, k in enumerate(keys)}


async def test_overlapping_batches_and_single_posts_store_each_signal_once(world: World, db_url: str) -> None:
    melder = world.h("politie", "melder")
    keys = [new_key() for _ in range(KEYS)]
    bodies = _bodies(keys)
    contested = {0: signal_body(external_ref="A"), 1: signal_body(external_ref="B")}
    sent: dict[int, list[tuple[str, dict[str, Any]]]] = {}

    async def make(i: int) -> httpx.Response:
        if i % 4 == 3:  # now and then a single POST of a key the batches also carry
            sent[i] = [(keys[i], bodies[keys[i]])]
            return await post_signal(world.client, melder, bodies[keys[i]], key=keys[i])
        start = (i * 7) % KEYS
        window = (keys[start:] + keys[:start])[:WINDOW]
        chosen = [(k, bodies[k]) for k in (reversed(window) if i % 2 else window)]
        chosen.insert(i % WINDOW, (CONTESTED, contested[i % 2]))  # one key, two bodies: one wins
        sent[i] = chosen
        return await world.client.post("/v1/signals:batch", headers=melder,
                                       json={"items": [body | {"idempotency_key": k} for k, body in chosen]})

    responses = await race(make)
    # A single POST answers 201 (stored or replayed: its key's body is the same everywhere), a batch 200.
    assert [r.status_code for r in responses] == [201 if i % 4 == 3 else 200 for i in range(len(responses))], [
        r.text[:300] for r in responses]

    ids: dict[str, set[str]] = {}
    first_stores: dict[str, int] = {}
    contested_answers: list[tuple[str, int, str | None]] = []
    for i, r in enumerate(responses):
        if r.request.url.path == "/v1/signals":
            answers = [{"idempotency_key": sent[i][0][0], "status": r.status_code, "id": r.json()["id"],
                        "replayed": r.headers["idempotent-replayed"] == "true"}]
        else:
            answers = r.json()["items"]
        for a, (key, body) in zip(answers, sent[i], strict=True):
            assert a["idempotency_key"] == key
            if key == CONTESTED:
                contested_answers.append((body["external_ref"], a["status"], a["id"]))
                if a["status"] != 201:
                    continue
            assert a["status"] == 201, a
            ids.setdefault(key, set()).add(a["id"])
            first_stores[key] = first_stores.get(key, 0) + (not a["replayed"])
    assert all(len(found) == 1 for found in ids.values()), ids
    assert all(n == 1 for n in first_stores.values()), first_stores

    # The contested key: the body that came first won (201, one id); the other body got 422 everywhere.
    [contested_id] = ids[CONTESTED]
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            winner = (await conn.execute(select(Signal.external_ref).where(
                Signal.id == uuid.UUID(contested_id)))).scalar_one()
    finally:
        await engine.dispose()
    # Both bodies were sent (batches of both parities): the winner's always 201, the other's always 422.
    assert {(ref == winner, status) for ref, status, _ in contested_answers} == {(True, 201), (False, 422)}

    assert await count(db_url, "signaal") == len(ids) == await count(db_url, "signaal_idempotency")
    creates = await audit_rows(db_url, action="signal:create")
    assert sorted(e.object_id for e in creates if not e.detail["replay"]) == sorted(
        next(iter(found)) for found in ids.values())
    assert len(creates) == sum(1 for _, status, _ in contested_answers if status == 201) + sum(
        len([k for k, _ in sent[i] if k != CONTESTED]) for i in sent)
    await assert_audit_chain_unbroken(world, db_url)
