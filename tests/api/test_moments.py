"""A moment or a day in a request body is the string its schema says, never a number read as Unix time
(Schemathesis ST201: `observed_at: 0` was stored as 1970-01-01)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.world import World

SIGNAL = {"case_type_hint": "ijam", "category": "onderwijs", "description": "verzuim",
          "subject": {"type": "persoon", "name": "Jongere", "birth_date": "2010-01-01"}}


@pytest.mark.parametrize(("change", "loc"), [
    ({"observed_at": 0}, ["body", "observed_at"]),
    ({"observed_at": 1700000000.5}, ["body", "observed_at"]),
    ({"observed_at": "2025-03-01"}, ["body", "observed_at"]),
    ({"observed_at": "2025-03-01T10:00:00"}, ["body", "observed_at"]),  # no offset: which moment?
    ({"subject": {"type": "persoon", "name": "Jongere", "birth_date": 0}}, ["body", "subject", "persoon",
                                                                              "birth_date"]),
])
async def test_numbers_and_zoneless_moments_are_422(client: httpx.AsyncClient, auth: Any, change: dict[str, Any],
                                                    loc: list[Any]) -> None:
    world = await World(client, auth).setup()
    r = await world.client.post("/v1/signals", json=SIGNAL | change,
                                headers=world.regisseur | {"Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 422, r.text
    assert [e["loc"][:len(loc)] for e in r.json()["errors"]] == [loc]


async def test_the_string_forms_are_accepted(client: httpx.AsyncClient, auth: Any) -> None:
    world = await World(client, auth).setup()
    r = await world.client.post("/v1/signals", json=SIGNAL | {"observed_at": "2025-03-01T10:00:00+01:00"},
                                headers=world.regisseur | {"Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 201, r.text
    assert r.json()["observed_at"] == "2025-03-01T09:00:00Z"


async def test_a_convenant_day_given_as_a_number_is_422(client: httpx.AsyncClient, auth: Any) -> None:
    world = World(client, auth)
    await world.organisations()
    body = {"code": "c-num", "title": "C", "case_types": ["ijam"], "purposes": ["p"], "legal_basis": "Wgs",
            "valid_from": 0, "valid_until": "2030-01-01", "retention_months": 12,
            "parties": [{"organisation": "zvh-mh", "role": "kernpartner", "data_categories": ["identificatie"]},
                        {"organisation": "school", "role": "casuspartner", "data_categories": ["onderwijs"]}]}
    r = await client.post("/v1/convenants", json=body, headers=world.beheerder)
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["errors"]] == [["body", "valid_from"]]
