"""A small world for convenant tests: organisations made through the API, a body factory, helpers."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

TokenFactory = Callable[..., dict[str, str]]


ORGANISATIONS = [
    ("zvh-mh", "Zorg- en Veiligheidshuis Maastricht-Heuvelland", "zvh"),
    ("woonpunt", "Woonpunt", "woningcorporatie"),
    ("politie-limburg", "Politie Limburg", "politie"),
    ("mondriaan", "Mondriaan", "ggz"),
]

# The DESIGN.md example.
EXAMPLE: dict[str, Any] = {
    "code": "pga-mh-2025",
    "title": "Convenant PGA Maastricht-Heuvelland",
    "case_types": ["woonoverlast", "ex_gedetineerde", "radicalisering"],
    "purposes": ["voorkomen van escalatie en recidive"],
    "legal_basis": "Wgs - PGA complexe casuistiek",
    "valid_from": "2025-01-01",
    "valid_until": "2027-12-31",
    "retention_months": 24,
    "parties": [
        {"organisation": "zvh-mh", "role": "kernpartner",
         "data_categories": ["identificatie", "wonen", "zorg", "politie"]},
        {"organisation": "woonpunt", "role": "casuspartner", "data_categories": ["identificatie", "wonen"]},
    ],
}


def convenant_body(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLE)
    body.update(changes)
    return body


@pytest.fixture
def admin(auth: TokenFactory) -> dict[str, str]:
    return auth("zvh-mh", "beheerder", sub="beheerder@zvh-mh")


@pytest.fixture
def auditor(auth: TokenFactory) -> dict[str, str]:
    return auth("zvh-mh", "auditor", sub="fg@zvh-mh")


@pytest.fixture
async def orgs(client: httpx.AsyncClient, admin: dict[str, str]) -> list[str]:
    for code, name, kind in ORGANISATIONS:
        r = await client.post("/v1/organisations", json={"code": code, "name": name, "kind": kind}, headers=admin)
        assert r.status_code == 201, r.text
    return [code for code, _, _ in ORGANISATIONS]


Create = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def create(client: httpx.AsyncClient, admin: dict[str, str], orgs: list[str]) -> Create:
    """create(activate=False, **changes) -> the convenant as the API returned it."""

    async def make(*, activate: bool = False, **changes: Any) -> dict[str, Any]:
        r = await client.post("/v1/convenants", json=convenant_body(**changes), headers=admin)
        assert r.status_code == 201, r.text
        if activate:
            r = await client.post(f"/v1/convenants/{r.json()['id']}/activate", headers=admin)
            assert r.status_code == 200, r.text
        return r.json()

    return make


AuditReader = Callable[..., Awaitable[list[dict[str, Any]]]]


@pytest.fixture
def audit_entries(client: httpx.AsyncClient, auditor: dict[str, str]) -> AuditReader:
    """audit_entries(action) -> the entries with that action, oldest first (read as the auditor)."""

    async def read(action: str) -> list[dict[str, Any]]:
        r = await client.get("/v1/audit", params={"action": action, "limit": 200}, headers=auditor)
        assert r.status_code == 200, r.text
        return list(reversed(r.json()["items"]))

    return read
