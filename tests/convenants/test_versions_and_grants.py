"""Versioning (an active convenant is never edited in place) and what a convenant grants, when."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.convenants import grants as service
from app.convenants.models import ConvenantVersion
from app.kit import clock
from tests.convenants.conftest import Create

pytestmark = pytest.mark.usefixtures("orgs")

TODAY = date(2026, 6, 1)


def at(day: date) -> Any:
    return clock.frozen(datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC))


async def grants(app: FastAPI, organisation: str, case_type: str, today: date) -> list[service.Grant]:
    async with app.state.db.sessionmaker() as session:
        return await service.grants_for(session, organisation, case_type, today)


async def parties(app: FastAPI, case_type: str, today: date) -> set[str]:
    async with app.state.db.sessionmaker() as session:
        return await service.parties_for(session, case_type, today)


async def test_grants_for_names_party_case_type_and_categories(app: FastAPI, create: Create) -> None:
    c = await create(activate=True)
    (grant,) = await grants(app, "zvh-mh", "woonoverlast", TODAY)
    assert grant.convenant_id.hex == c["id"].replace("-", "")
    assert (grant.version, grant.role, grant.legal_basis) == (1, "kernpartner", "Wgs - PGA complexe casuistiek")
    assert grant.categories == frozenset({"identificatie", "wonen", "zorg", "politie"})
    (grant,) = await grants(app, "woonpunt", "radicalisering", TODAY)
    assert (grant.role, grant.categories) == ("casuspartner", frozenset({"identificatie", "wonen"}))
    assert await grants(app, "woonpunt", "jeugdgroep", TODAY) == []  # case type not covered
    assert await grants(app, "politie-limburg", "woonoverlast", TODAY) == []  # not a party
    assert await parties(app, "woonoverlast", TODAY) == {"zvh-mh", "woonpunt"}
    assert await parties(app, "ijam", TODAY) == set()


async def test_a_concept_grants_nothing(app: FastAPI, create: Create) -> None:
    await create()
    assert await grants(app, "zvh-mh", "woonoverlast", TODAY) == []
    assert await parties(app, "woonoverlast", TODAY) == set()


async def test_grants_from_several_convenants(app: FastAPI, create: Create) -> None:
    await create(activate=True)
    await create(activate=True, code="woonoverlast-mh", case_types=["woonoverlast"], parties=[
        {"organisation": "zvh-mh", "role": "kernpartner", "data_categories": ["sociaal_domein"]},
        {"organisation": "mondriaan", "role": "casuspartner", "data_categories": ["zorg"]},
    ])
    found = await grants(app, "zvh-mh", "woonoverlast", TODAY)
    assert {g.categories for g in found} == {frozenset({"identificatie", "wonen", "zorg", "politie"}),
                                             frozenset({"sociaal_domein"})}
    assert len(found) == 2 and len({g.convenant_id for g in found}) == 2
    assert await parties(app, "woonoverlast", TODAY) == {"zvh-mh", "woonpunt", "mondriaan"}


async def test_patch_on_active_makes_a_new_version_activated_atomically(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI, create: Create
) -> None:
    v1 = await create(activate=True)
    cid = v1["id"]
    new_parties = [
        {"organisation": "zvh-mh", "role": "kernpartner", "data_categories": ["identificatie", "veiligheid"]},
        {"organisation": "woonpunt", "role": "casuspartner", "data_categories": ["wonen"]},
        {"organisation": "politie-limburg", "role": "kernpartner", "data_categories": ["politie"]},
    ]
    r = await client.patch(f"/v1/convenants/{cid}", json={"parties": new_parties, "title": "PGA v2"}, headers=admin)
    assert r.status_code == 200, r.text
    v2 = r.json()
    assert (v2["id"], v2["version"], v2["status"], v2["title"]) == (cid, 2, "concept", "PGA v2")
    assert v2["case_types"] == v1["case_types"] and v2["legal_basis"] == v1["legal_basis"]  # copied
    assert v2["activated_at"] is None

    # A second PATCH edits the pending concept; it does not stack up versions.
    r = await client.patch(f"/v1/convenants/{cid}", json={"retention_months": 36}, headers=admin)
    v2 = r.json()
    assert (v2["version"], v2["status"], v2["retention_months"], v2["title"]) == (2, "concept", 36, "PGA v2")

    # Until activation, the active version is untouched, and it alone grants.
    r = await client.get(f"/v1/convenants/{cid}", headers=admin)
    assert r.json() == v1 | {"pending_version": 2}
    (grant,) = await grants(app, "zvh-mh", "woonoverlast", TODAY)
    assert (grant.version, grant.categories) == (1, frozenset({"identificatie", "wonen", "zorg", "politie"}))
    assert await grants(app, "politie-limburg", "woonoverlast", TODAY) == []

    r = await client.post(f"/v1/convenants/{cid}/activate", headers=admin)
    assert r.status_code == 200, r.text
    assert (r.json()["version"], r.json()["status"]) == (2, "actief")

    r = await client.get(f"/v1/convenants/{cid}/versions", headers=admin)
    old, new = r.json()["items"]
    assert (old["version"], old["status"], old["title"]) == (1, "vervangen", v1["title"])
    assert old["ended_at"] == new["activated_at"]  # one moment: the switch is one transaction
    assert old["parties"] == v1["parties"]  # the replaced version stays readable as it was
    assert (new["version"], new["status"], new["retention_months"]) == (2, "actief", 36)

    (grant,) = await grants(app, "zvh-mh", "woonoverlast", TODAY)
    assert (grant.version, grant.categories) == (2, frozenset({"identificatie", "veiligheid"}))
    (grant,) = await grants(app, "politie-limburg", "woonoverlast", TODAY)
    assert (grant.version, grant.role) == (2, "kernpartner")
    async with app.state.db.sessionmaker() as session:
        active = (await session.execute(service.active_versions(TODAY))).scalars().all()
    assert [(v.version, v.status) for v in active] == [(2, "actief")]


async def test_concurrent_activations_leave_one_active_version(
    client: httpx.AsyncClient, admin: dict[str, str], create: Create
) -> None:
    c = await create(activate=True)
    r = await client.patch(f"/v1/convenants/{c['id']}", json={"title": "v2"}, headers=admin)
    assert r.status_code == 200
    results = await asyncio.gather(*(client.post(f"/v1/convenants/{c['id']}/activate", headers=admin)
                                     for _ in range(3)))
    assert sorted(r.status_code for r in results) == [200, 409, 409], [r.text for r in results]
    r = await client.get(f"/v1/convenants/{c['id']}/versions", headers=admin)
    assert [(v["version"], v["status"]) for v in r.json()["items"]] == [(1, "vervangen"), (2, "actief")]


async def test_concurrent_patches_on_active_make_one_new_version(
    client: httpx.AsyncClient, admin: dict[str, str], create: Create
) -> None:
    c = await create(activate=True)
    results = await asyncio.gather(*(client.patch(f"/v1/convenants/{c['id']}", json={"retention_months": m},
                                                  headers=admin) for m in (12, 13, 14)))
    assert [r.status_code for r in results] == [200, 200, 200], [r.text for r in results]
    r = await client.get(f"/v1/convenants/{c['id']}/versions", headers=admin)
    assert [(v["version"], v["status"]) for v in r.json()["items"]] == [(1, "actief"), (2, "concept")]


async def test_database_refuses_a_second_active_version(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI, create: Create
) -> None:
    c = await create(activate=True)
    await client.patch(f"/v1/convenants/{c['id']}", json={"title": "v2"}, headers=admin)
    async with app.state.db.sessionmaker() as session:
        with pytest.raises(IntegrityError):
            await session.execute(update(ConvenantVersion).where(ConvenantVersion.version == 2)
                                  .values(status="actief"))
        await session.rollback()
        statuses = (await session.execute(select(ConvenantVersion.status).order_by(ConvenantVersion.version))).all()
    assert [s for (s,) in statuses] == ["actief", "concept"]


async def test_validity_is_evaluated_at_call_time(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI, create: Create
) -> None:
    with at(date(2026, 6, 1)):
        await create(activate=True, valid_from="2026-07-01", valid_until="2026-12-31")
    cases = [
        (date(2026, 6, 30), False),   # not yet valid
        (date(2026, 7, 1), True),     # first day
        (date(2026, 12, 31), True),   # last day (inclusive)
        (date(2027, 1, 1), False),    # expired
    ]
    for day, granted in cases:
        found = await grants(app, "woonpunt", "woonoverlast", day)
        assert bool(found) is granted, day
        assert (await parties(app, "woonoverlast", day) == {"zvh-mh", "woonpunt"}) is granted, day
        # The same through a request, with the application's clock moved: no restart, no job.
        with at(day):
            r = await client.get("/v1/processing-register", headers=admin)
        assert len(r.json()["records"]) == int(granted), day


async def test_terminate_stops_granting_at_once(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI, create: Create
) -> None:
    c = await create(activate=True)
    assert await grants(app, "woonpunt", "woonoverlast", TODAY)
    r = await client.post(f"/v1/convenants/{c['id']}/terminate", json={"reason": "einde"}, headers=admin)
    assert r.status_code == 200
    assert await grants(app, "woonpunt", "woonoverlast", TODAY) == []
    assert await grants(app, "zvh-mh", "woonoverlast", TODAY) == []
    assert await parties(app, "woonoverlast", TODAY) == set()
