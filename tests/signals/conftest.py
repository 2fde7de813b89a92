"""A ZVH world for signal tests, a body factory and direct reads of the database."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.world import World

PROBLEM_JSON = "application/problem+json"

ADDRESS = {"type": "adres", "postcode": "6211 ab", "house_number": "12"}

EXAMPLE: dict[str, Any] = {
    "case_type_hint": "woonoverlast",
    "subject": ADDRESS,
    "description": "Aanhoudende geluidsoverlast en vervuiling rond de woning",
    "category": "wonen",
    "observed_at": "2025-03-01T10:00:00Z",
    "external_ref": "CRM-123",
}

# Elfproef: 9*1 + 8*1 + 7*1 + 6*2 + 5*2 + 4*2 + 3*3 + 2*3 - 1*3 = 66, divisible by 11; the last digit off by one is not.
VALID_BSN = "111222333"
INVALID_BSN = "111222334"


def signal_body(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLE)
    body.update(changes)
    return body


def person(bsn: str | None = VALID_BSN, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "persoon", "name": "Persoon Een", "birth_date": "1990-05-05", **extra}
    if bsn is not None:
        out["bsn"] = bsn
    return out


def new_key() -> str:
    return str(uuid.uuid4())


async def post_signal(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any] | None = None,
                      key: str | None = None) -> httpx.Response:
    return await client.post("/v1/signals", json=body if body is not None else signal_body(),
                             headers=headers | {"Idempotency-Key": key or new_key()})


def assert_problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON), r.headers
    body = r.json()
    assert body["status"] == status and body["type"].startswith("urn:casusregie:problem:")
    return body


async def count(db_url: str, table: str) -> int:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(text(table)))).scalar_one())
    finally:
        await engine.dispose()


async def dump_database(db_url: str) -> str:
    """Every value of every column of every table, as text: what a copy of the database would show."""
    engine = create_async_engine(db_url)
    parts: list[str] = []
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
            assert "signaal" in tables and "signaal_idempotency" in tables
            for table in tables:
                for row in (await conn.execute(text(f'SELECT * FROM "{table}"'))).all():
                    parts.extend(str(v) for v in row)
    finally:
        await engine.dispose()
    return "\n".join(parts)


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Any) -> World:
    return await World(client, auth).setup()
