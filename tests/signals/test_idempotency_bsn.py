"""An Idempotency-Key binds the whole body, the BSN included: a key reused for a report on another person
is refused (422), never answered with the first person's receipt, and nothing about that person is stored
or lost.

The BSN enters the body hash only as its keyed hash (tests/signals/test_privacy.py), so these tests are
what tells that it enters it at all.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.config import Settings
from tests.signals.conftest import (
    VALID_BSN,
    assert_problem,
    count,
    dump_database,
    new_key,
    person,
    post_signal,
    signal_body,
)
from tests.world import World

# Elfproef: 9*1 + 8*2 + 7*3 + 6*4 + 5*5 + 4*6 + 3*7 + 2*8 - 1*2 = 154 = 14 * 11.
OTHER_BSN = "123456782"
MESSAGE = "This Idempotency-Key was used with another request body"


def _body(bsn: str) -> dict[str, Any]:
    """Two bodies that differ in the subject's BSN and in nothing else."""
    return signal_body(case_type_hint="ex_gedetineerde", category="justitie", subject=person(bsn))


def _keyed(settings: Settings, bsn: str) -> str:
    return hmac.new(settings.effective_bsn_hash_key.encode(), bsn.encode(), hashlib.sha256).hexdigest()


async def _stored_bsn_hashes(db_url: str) -> list[str]:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT bsn_hash FROM subject ORDER BY created_at, id"))).all()
    finally:
        await engine.dispose()
    return [r[0] for r in rows]


async def _counts(db_url: str) -> dict[str, int]:
    return {t: await count(db_url, t) for t in ("signaal", "signaal_idempotency", "subject")}


def test_the_two_bodies_differ_in_the_bsn_alone() -> None:
    first, second = _body(VALID_BSN), _body(OTHER_BSN)
    assert first != second
    assert first | {"subject": None} == second | {"subject": None}
    assert {k: v for k, v in first["subject"].items() if k != "bsn"} == {
        k: v for k, v in second["subject"].items() if k != "bsn"}


async def test_same_key_with_only_another_bsn_is_422_and_the_first_stays(
    world: World, db_url: str, settings: Settings
) -> None:
    melder = world.h("politie", "melder")
    key = new_key()
    first = await post_signal(world.client, melder, _body(VALID_BSN), key=key)
    assert first.status_code == 201, first.text
    signal_id = first.json()["id"]

    second = await post_signal(world.client, melder, _body(OTHER_BSN), key=key)
    problem = assert_problem(second, 422)
    assert problem["errors"] == [{"loc": ["header", "Idempotency-Key"], "msg": MESSAGE}]
    assert problem["type"] == "urn:casusregie:problem:idempotency-key-reused"  # not a field error: pick a new key
    assert signal_id not in second.text

    # Nothing about the second person was stored: no signal, no subject row, no keyed hash of its BSN.
    assert await _counts(db_url) == {"signaal": 1, "signaal_idempotency": 1, "subject": 1}
    assert await _stored_bsn_hashes(db_url) == [_keyed(settings, VALID_BSN)]
    database = await dump_database(db_url)
    assert _keyed(settings, OTHER_BSN) not in database and OTHER_BSN not in database

    # The first signal is intact: its key still replays its answer, and it reads as it was sent.
    again = await post_signal(world.client, melder, _body(VALID_BSN), key=key)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    view = await world.client.get(f"/v1/signals/{signal_id}", headers=world.regisseur)
    assert view.status_code == 200, view.text
    sent = _body(VALID_BSN)
    got = view.json()
    assert (got["status"], got["source_organisation"], got["case_type_hint"], got["category"],
            got["description"], got["external_ref"]) == (
        "ontvangen", "politie", "ex_gedetineerde", "justitie", sent["description"], sent["external_ref"])
    assert (got["subject"]["type"], got["subject"]["name"], got["subject"]["birth_date"]) == (
        "persoon", "Persoon Een", "1990-05-05")

    # Nothing is lost either: sent with a key of its own, the second report is a new signal on another person.
    own = await post_signal(world.client, melder, _body(OTHER_BSN))
    assert own.status_code == 201 and own.headers["idempotent-replayed"] == "false"
    assert own.json()["id"] != signal_id
    assert await _counts(db_url) == {"signaal": 2, "signaal_idempotency": 2, "subject": 2}
    assert await _stored_bsn_hashes(db_url) == [_keyed(settings, VALID_BSN), _keyed(settings, OTHER_BSN)]


async def test_batch_item_with_a_held_key_and_only_another_bsn_is_422(
    world: World, db_url: str, settings: Settings
) -> None:
    melder = world.h("politie", "melder")
    held, fresh = new_key(), new_key()
    first = await post_signal(world.client, melder, _body(VALID_BSN), key=held)
    assert first.status_code == 201, first.text
    items = [
        _body(OTHER_BSN) | {"idempotency_key": held},  # 0 a committed key, another BSN: 422
        _body(VALID_BSN) | {"idempotency_key": held},  # 1 a committed key, its own body: replay
        _body(VALID_BSN) | {"idempotency_key": fresh},  # 2 new
        _body(OTHER_BSN) | {"idempotency_key": fresh},  # 3 item 2's key, another BSN: 422
    ]
    r = await world.client.post("/v1/signals:batch", json={"items": items}, headers=melder)
    assert r.status_code == 200, r.text
    answers = r.json()["items"]
    assert [(a["index"], a["status"], a["replayed"]) for a in answers] == [
        (0, 422, False), (1, 201, True), (2, 201, False), (3, 422, False)]
    assert answers[1]["id"] == first.json()["id"] and answers[2]["id"] != first.json()["id"]
    for i in (0, 3):
        assert answers[i]["id"] is None
        assert answers[i]["problem"]["errors"] == [{"loc": ["body", "items", i, "idempotency_key"], "msg": MESSAGE}]
        assert answers[i]["problem"]["type"] == "urn:casusregie:problem:idempotency-key-reused"
    assert await _counts(db_url) == {"signaal": 2, "signaal_idempotency": 2, "subject": 2}
    assert await _stored_bsn_hashes(db_url) == [_keyed(settings, VALID_BSN)] * 2
    assert _keyed(settings, OTHER_BSN) not in await dump_database(db_url)
