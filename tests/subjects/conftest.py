"""A world for data-subject requests: one person (P) recorded twice under one BSN, by a case on the household
address and by a police signal, beside a housemate (Q) in the same household with a case of their own."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from app.config import Settings
from app.signals.models import Signal
from tests.conftest import make_settings
from tests.signals.conftest import post_signal
from tests.world import World

BSN_P = "111222333"
BSN_Q = "123456782"  # elfproef: 9+16+21+24+25+24+21+16-2 = 154 = 14 * 11
P = {"name": "Bewoner Een", "birth_date": "1980-04-01"}
Q = {"name": "Huisgenoot Twee", "birth_date": "1982-02-02"}


@dataclass
class People:
    world: World
    household_case: dict[str, Any]  # woonoverlast on the address: head, P (row 1) and Q
    q_case: dict[str, Any]  # ex_gedetineerde about Q alone
    p_rows: list[str]  # P's subject rows: in the household case, in the police signal
    q_row: str
    head: str
    signal_id: str

    @property
    def auditor(self) -> dict[str, str]:
        return self.world.h("zvh-mh", "auditor", sub="fg-1")


@pytest.fixture(params=["inline", "deferred"])
def settings(db_url: str, request: pytest.FixtureRequest) -> Settings:
    """Entries chained in the request (inline), or staged and not yet chained (deferred: no chainer runs here), so
    that a data-subject request is seen to include the entries still waiting for the chainer."""
    return make_settings(db_url, audit_chaining=request.param)


async def signal_subject(db_url: str, signal_id: str) -> str:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            stmt = select(Signal.subject_id).where(Signal.id == uuid.UUID(signal_id))
            return str((await conn.execute(stmt)).scalar_one())
    finally:
        await engine.dispose()


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Any) -> World:
    return await World(client, auth).setup()


@pytest.fixture
async def people(world: World, db_url: str) -> People:
    client = world.client
    r = await client.post("/v1/cases", headers=world.regisseur, json={
        "case_type": "woonoverlast", "title": "Overlast Voorbeeldstraat",
        "subjects": [{"type": "adres", "postcode": "6211 AB", "house_number": "12",
                      "persons": [{**P, "bsn": BSN_P}, {**Q, "bsn": BSN_Q}]}]})
    assert r.status_code == 201, r.text
    household = r.json()
    by_name = {s.get("name"): s["id"] for s in household["subjects"]}
    head = next(s["id"] for s in household["subjects"] if s["type"] == "adres")
    q = await client.post("/v1/cases", headers=world.regisseur, json={
        "case_type": "ex_gedetineerde", "title": "Terugkeer", "subjects": [{"type": "persoon", **Q, "bsn": BSN_Q}]})
    assert q.status_code == 201, q.text
    sent = await post_signal(client, world.h("politie", "melder"), {
        "case_type_hint": "woonoverlast", "category": "politie", "description": "Melding burengerucht",
        "subject": {"type": "persoon", **P, "bsn": BSN_P}})
    assert sent.status_code == 201, sent.text
    signal = sent.json()
    return People(world=world, household_case=household, q_case=q.json(),
                  p_rows=[by_name[P["name"]], await signal_subject(db_url, signal["id"])],
                  q_row=by_name[Q["name"]], head=head, signal_id=signal["id"])
