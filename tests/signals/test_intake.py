"""Intake: exactly-once per Idempotency-Key, validation that names the field and stores nothing."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.kit import clock
from tests.audit_helpers import audit_rows
from tests.signals.conftest import (
    ADDRESS,
    INVALID_BSN,
    assert_problem,
    count,
    new_key,
    person,
    post_signal,
    signal_body,
)
from tests.world import World

SIGNAL_TABLES = ("signaal", "signaal_idempotency", "subject")


async def _counts(db_url: str) -> dict[str, int]:
    return {t: await count(db_url, t) for t in SIGNAL_TABLES}


async def test_melder_reports_the_design_example(world: World, db_url: str) -> None:
    melder = world.h("politie", "melder", sub="crm-politie")
    r = await post_signal(world.client, melder)
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/v1/signals/{body['id']}"
    assert r.headers["idempotent-replayed"] == "false"
    assert body | {"id": None, "created_at": None} == {
        "id": None, "status": "ontvangen", "source_organisation": "politie", "case_type_hint": "woonoverlast",
        "category": "wonen", "external_ref": "CRM-123", "observed_at": "2025-03-01T10:00:00Z", "created_at": None,
        "matches": None,
    }
    [entry] = [e for e in await audit_rows(db_url, action="signal:create")]
    assert entry.outcome == "allowed" and entry.object_id == body["id"] and entry.actor_role == "melder"
    assert entry.detail == {"replay": False, "matches": []}
    assert len(entry.subject_ids) == 1
    assert await _counts(db_url) == {"signaal": 1, "signaal_idempotency": 1, "subject": 1}


async def test_procesregisseur_gets_matches_in_the_receipt(world: World) -> None:
    first = await post_signal(world.client, world.h("politie", "melder"))
    r = await post_signal(world.client, world.regisseur)
    assert r.status_code == 201, r.text
    assert [(m["kind"], m["id"], m["source_organisation"]) for m in r.json()["matches"]] == [
        ("signaal", first.json()["id"], "politie")]


async def test_same_key_and_body_replays_the_first_answer(world: World, db_url: str) -> None:
    melder = world.h("woonpunt", "melder")
    key = new_key()
    first = await post_signal(world.client, melder, key=key)
    assert first.status_code == 201, first.text
    # Same JSON, other key order and spacing: the canonical form is what counts.
    reordered = json.dumps(dict(reversed(list(signal_body().items()))), indent=2)
    again = await world.client.post("/v1/signals", content=reordered,
                                    headers=melder | {"Idempotency-Key": key, "Content-Type": "application/json"})
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert await _counts(db_url) == {"signaal": 1, "signaal_idempotency": 1, "subject": 1}
    creates = await audit_rows(db_url, action="signal:create")
    assert [e.detail["replay"] for e in creates] == [False, True]
    assert {e.object_id for e in creates} == {first.json()["id"]}


async def test_same_key_with_another_body_is_422(world: World, db_url: str) -> None:
    melder = world.h("woonpunt", "melder")
    key = new_key()
    assert (await post_signal(world.client, melder, key=key)).status_code == 201
    r = await post_signal(world.client, melder, signal_body(description="Iets anders"), key=key)
    problem = assert_problem(r, 422)
    assert problem["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert await _counts(db_url) == {"signaal": 1, "signaal_idempotency": 1, "subject": 1}


async def test_keys_are_scoped_per_sending_organisation(world: World, db_url: str) -> None:
    key = new_key()
    a = await post_signal(world.client, world.h("woonpunt", "melder"), key=key)
    b = await post_signal(world.client, world.h("politie", "melder"), signal_body(description="Anders"), key=key)
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"]
    assert await count(db_url, "signaal") == 2


async def test_ten_concurrent_identical_submissions_store_one_signal(world: World, db_url: str) -> None:
    melder = world.h("politie", "melder")
    key = new_key()

    async def one() -> httpx.Response:
        return await post_signal(world.client, melder, key=key)

    answers = await asyncio.gather(*(one() for _ in range(10)))
    assert [r.status_code for r in answers] == [201] * 10, [r.text for r in answers]
    assert len({r.text for r in answers}) == 1
    assert sorted(r.headers["idempotent-replayed"] for r in answers) == ["false"] + ["true"] * 9
    assert await _counts(db_url) == {"signaal": 1, "signaal_idempotency": 1, "subject": 1}
    creates = await audit_rows(db_url, action="signal:create")
    assert sorted(e.detail["replay"] for e in creates) == [False] + [True] * 9


async def test_concurrent_submissions_with_one_key_and_two_bodies(world: World, db_url: str) -> None:
    melder = world.h("politie", "melder")
    key = new_key()
    bodies = [signal_body(description=f"variant {i % 2}") for i in range(6)]
    answers = await asyncio.gather(*(post_signal(world.client, melder, b, key=key) for b in bodies))
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [201, 201, 201, 422, 422, 422], [r.text for r in answers]
    assert await count(db_url, "signaal") == 1


@pytest.mark.parametrize("key", [None, "", "   ", "x" * 201, "met spatie", "sleutel\u00e9"])
async def test_missing_or_malformed_key_is_400(world: World, db_url: str, key: str | None) -> None:
    headers: dict[str, Any] = world.h("politie", "melder")
    if key is not None:
        headers = headers | {"Idempotency-Key": key.encode("utf-8")}
    r = await world.client.post("/v1/signals", json=signal_body(), headers=headers)
    problem = assert_problem(r, 400)
    assert "Idempotency-Key" in problem["detail"]
    assert await _counts(db_url) == {"signaal": 0, "signaal_idempotency": 0, "subject": 0}


async def test_key_of_200_characters_is_accepted(world: World) -> None:
    assert (await post_signal(world.client, world.h("politie", "melder"), key="k" * 200)).status_code == 201


async def test_keys_are_kept_seven_days_then_may_be_reused(world: World, db_url: str) -> None:
    melder = world.h("politie", "melder")
    key = new_key()
    first = await post_signal(world.client, melder, key=key)
    with clock.frozen(clock.now() + timedelta(days=6, hours=23)):
        assert (await post_signal(world.client, melder, signal_body(description="Nieuw"), key=key)).status_code == 422
        assert (await post_signal(world.client, melder, key=key)).json() == first.json()
    with clock.frozen(clock.now() + timedelta(days=7, minutes=1)):
        reused = await post_signal(world.client, melder, signal_body(description="Nieuw"), key=key)
        assert reused.status_code == 201, reused.text
        assert reused.headers["idempotent-replayed"] == "false"
        assert reused.json()["id"] != first.json()["id"]
        replay = await post_signal(world.client, melder, signal_body(description="Nieuw"), key=key)
        assert replay.json() == reused.json()
    assert await _counts(db_url) == {"signaal": 2, "signaal_idempotency": 1, "subject": 2}


async def test_valid_bsn_is_accepted_invalid_is_422(world: World, db_url: str) -> None:
    melder = world.h("politie", "melder")
    ok = await post_signal(world.client, melder, signal_body(case_type_hint="ex_gedetineerde", subject=person()))
    assert ok.status_code == 201, ok.text
    bad = await post_signal(world.client, melder, signal_body(case_type_hint="ex_gedetineerde",
                                                              subject=person(INVALID_BSN)))
    problem = assert_problem(bad, 422)
    assert [e["loc"][-1] for e in problem["errors"]] == ["bsn"]
    assert INVALID_BSN not in bad.text
    assert await count(db_url, "signaal") == 1


def _without(body: dict[str, Any], field: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != field}


# (name, body or raw text, a field the problem must name)
BAD_INPUT: list[tuple[str, Any, str]] = [
    ("unknown subject type", signal_body(subject={"type": "voertuig", "kenteken": "AB-12-CD"}), "subject"),
    ("unknown category", signal_body(category="geheim"), "category"),
    ("unknown case type", signal_body(case_type_hint="verkeer"), "case_type_hint"),
    ("observed_at not a date", signal_body(observed_at="2025-13-45T10:00:00Z"), "observed_at"),
    ("observed_at without zone", signal_body(observed_at="2025-03-01T10:00:00"), "observed_at"),
    ("observed_at in the future", signal_body(observed_at="2999-01-01T00:00:00Z"), "observed_at"),
    ("birth_date in the future", signal_body(case_type_hint="ijam", subject=person(None, birth_date="2999-01-01")),
     "birth_date"),
    ("bad postcode", signal_body(subject=ADDRESS | {"postcode": "621 ABC"}), "postcode"),
    ("bad house number", signal_body(subject=ADDRESS | {"house_number": "twaalf"}), "house_number"),
    ("extra field", signal_body(priority="hoog"), "priority"),
    ("extra subject field", signal_body(subject=ADDRESS | {"bewoners": 3}), "bewoners"),
    ("missing description", _without(signal_body(), "description"), "description"),
    ("empty description", signal_body(description="   "), "description"),
    ("not an object", [signal_body()], "body"),
    ("non-JSON", "{case_type_hint: woonoverlast", "body"),
]


@pytest.mark.parametrize(("name", "body", "field"), BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
async def test_bad_input_is_a_problem_naming_the_field_and_stores_nothing(
    world: World, db_url: str, name: str, body: Any, field: str
) -> None:
    headers = world.h("politie", "melder") | {"Idempotency-Key": new_key(), "Content-Type": "application/json"}
    content = body if isinstance(body, str) else json.dumps(body)
    r = await world.client.post("/v1/signals", content=content, headers=headers)
    problem = assert_problem(r, 400 if name == "non-JSON" else 422)  # unreadable: 400; read but invalid: 422
    assert any(field in [str(p) for p in e["loc"]] for e in problem["errors"]), problem
    assert await _counts(db_url) == {"signaal": 0, "signaal_idempotency": 0, "subject": 0}


async def test_unregistered_sending_organisation_is_refused(world: World, db_url: str) -> None:
    r = await post_signal(world.client, world.h("onbekend-bureau", "melder"))
    assert_problem(r, 403)
    assert await count(db_url, "signaal") == 0
    [denied] = await audit_rows(db_url, action="signal:create", outcome="denied")
    assert denied.detail == {"reason": "unknown organisation"}
