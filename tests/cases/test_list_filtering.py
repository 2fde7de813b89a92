"""Lists are filtered in SQL: with 2 000 cases spread over organisations, each caller pages through exactly
what it may see, every page is full, and the list query itself carries the access filter."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, insert, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import create_async_engine

from app.cases import service
from app.cases.models import Case, CaseParticipant
from app.kit import clock
from tests.conftest import IS_PG
from tests.world import ALL_CATEGORIES, CASE_TYPES, World

PARTNERS = ["politie", "woonpunt", "ggz", "gemeente"]
# Which case types each partner's convenant covers (the ZVH's covers all).
COVERS = {"politie": ["ijam", "jeugdgroep", "woonoverlast"], "woonpunt": ["woonoverlast"],
          "ggz": ["ex_gedetineerde", "radicalisering", "ijam"], "gemeente": CASE_TYPES}


async def _seed(db_url: str, n: int) -> dict[str, set[str]]:
    rng = random.Random(7)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    cases, participants = [], []
    visible: dict[str, set[str]] = {org: set() for org in [*PARTNERS, "zvh-mh"]}
    for i in range(n):
        cid = uuid.uuid4()
        case_type = rng.choice(CASE_TYPES)
        at = base + timedelta(minutes=i)
        cases.append({"id": cid, "reference": f"T-{i:05d}", "case_type": case_type, "state": "afgesloten",
                      "title": f"c{i}", "details": {}, "opened_by_organisation": "zvh-mh", "version": 1,
                      "state_entered_at": at, "created_at": at, "updated_at": at, "created_by": "seed"})
        orgs = ["zvh-mh", *rng.sample(PARTNERS, rng.randint(0, 3))]
        for org in orgs:
            participants.append({"case_id": cid, "organisation": org, "basis": "opener" if org == "zvh-mh"
                                 else "deelnemer", "added_at": at, "added_by": "seed",
                                 "case_created_at": at})
            if org == "zvh-mh" or case_type in COVERS[org]:
                visible[org].add(str(cid))
    engine = create_async_engine(db_url)
    async with engine.begin() as conn:
        await conn.execute(insert(Case.__table__), cases)
        await conn.execute(insert(CaseParticipant.__table__), participants)
    await engine.dispose()
    return visible


@pytest.fixture
async def seeded(client: httpx.AsyncClient, auth: Any, db_url: str) -> dict[str, set[str]]:
    world = World(client, auth)
    await world.organisations()
    await world.convenant("zvh", parties={"zvh-mh": ALL_CATEGORIES, "gemeente": ["identificatie"]})
    for org, types in COVERS.items():
        await world.convenant(f"c-{org}", case_types=types, parties={"zvh-mh": ["identificatie"], org: ["wonen"]})
    return await _seed(db_url, 2000)


@pytest.mark.parametrize("org", ["zvh-mh", *PARTNERS, "om"])
async def test_each_caller_pages_through_exactly_what_it_may_see(
    app: Any, client: httpx.AsyncClient, auth: Any, seeded: dict[str, set[str]], org: str
) -> None:
    statements: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM casus_participant AS mine JOIN casus" in statement and "ORDER BY mine.case_created_at" in statement:
            statements.append(statement)

    event.listen(app.state.db.engine.sync_engine, "before_cursor_execute", capture)
    headers = auth(org, "procesregisseur" if org == "zvh-mh" else "medewerker")
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 200} | ({"cursor": cursor} if cursor else {})
        resp = await client.get("/v1/cases", params=params, headers=headers)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        seen += [c["id"] for c in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
        # A page is only short at the end: nothing was dropped after loading.
        assert len(page["items"]) == 200
    event.remove(app.state.db.engine.sync_engine, "before_cursor_execute", capture)
    expected = seeded.get(org, set())
    assert len(seen) == len(set(seen)), "a case appeared on two pages"
    assert set(seen) == expected
    assert pages == max(1, -(-len(expected) // 200))
    # The access filter is part of the query the database runs (participation and convenants).
    assert statements and all("casus_participant" in s and "convenant_party" in s for s in statements)


async def _all_pages(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        resp = await client.get("/v1/cases", params={"limit": 200, **params} | ({"cursor": cursor} if cursor else {}),
                                headers=headers)
        assert resp.status_code == 200, resp.text
        items += resp.json()["items"]
        cursor = resp.json()["next_cursor"]
        if not cursor:
            return items


async def test_filters_combine_with_access(client: httpx.AsyncClient, auth: Any, seeded: dict[str, set[str]]) -> None:
    headers = auth("woonpunt", "medewerker")
    assert await _all_pages(client, headers, case_type="ijam") == []  # woonpunt's convenant covers only woonoverlast
    # All it may see is of that type, so the type filter leaves exactly that set.
    listed = await _all_pages(client, headers, case_type="woonoverlast")
    assert seeded["woonpunt"] and {c["case_type"] for c in listed} == {"woonoverlast"}
    assert len(listed) == len(seeded["woonpunt"]) and {c["id"] for c in listed} == seeded["woonpunt"]
    # Politie covers three types: filtered on each, exactly the cases of that type among all it may see.
    politie = auth("politie", "medewerker")
    by_type = {case_type: {c["id"] for c in await _all_pages(client, politie, case_type=case_type)}
               for case_type in CASE_TYPES}
    everything = await _all_pages(client, politie)
    assert {c["id"] for c in everything} == seeded["politie"]
    assert by_type == {case_type: {c["id"] for c in everything if c["case_type"] == case_type}
                       for case_type in CASE_TYPES}
    assert by_type["ex_gedetineerde"] == by_type["radicalisering"] == set()  # not covered by its convenant
    assert all(by_type[t] for t in COVERS["politie"])


@pytest.mark.skipif(not IS_PG, reason="the plan checked is PostgreSQL's")
async def test_a_page_reads_the_callers_participations_in_order_not_every_case(
    seeded: dict[str, set[str]], db_url: str
) -> None:
    """The page statement as the app sends it: PostgreSQL walks the caller's participations by the index in the
    page's order and stops at LIMIT; no sort of the organisation's cases, no walk over every case."""
    stmt = service._PAGE_FIRST.params(readable_org="politie", readable_today=clock.today(), page_limit=51)
    sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            for table in ("casus", "casus_participant"):
                await conn.execute(text(f"ANALYZE {table}"))
            plan = "\n".join((await conn.execute(text(f"EXPLAIN {sql}"))).scalars())
    finally:
        await engine.dispose()
    assert "ix_casus_participant_organisation_case_created_at" in plan, plan
    assert "Sort" not in plan and "ix_casus_created_at_id" not in plan, plan
