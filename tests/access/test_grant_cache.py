"""The per-process grant cache (issue 11) never outlives a convenant change: the case statement reads the
convenant epoch, which triggers redraw on every change to the tables grants are read from, whoever makes it
(the API, or an administrator in the database)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.world import ALL_CATEGORIES, World


async def _sql(db_url: str, statement: str) -> list[Any]:
    engine = create_async_engine(db_url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(statement))
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def _token(db_url: str) -> str:
    [(token,)] = await _sql(db_url, "SELECT token FROM convenant_epoch WHERE id = 1")
    return str(token)


async def test_a_change_made_in_the_database_shows_on_the_next_request(
    client: httpx.AsyncClient, auth: Any, db_url: str
) -> None:
    world = World(client, auth)
    await world.organisations()
    await world.convenant("c-a", case_types=["ijam"], parties={"zvh-mh": ALL_CATEGORIES,
                                                              "politie": ["politie", "onderwijs"]})
    case = await world.case("ijam", participants=("politie",))
    politie = auth("politie", "medewerker")
    for _ in range(2):  # the second read is served from the cache
        seen = (await client.get(f"/v1/cases/{case['id']}", headers=politie)).json()
        assert seen["visible_categories"] == ["onderwijs", "politie"]
    before = await _token(db_url)
    await _sql(db_url, "DELETE FROM convenant_party_category WHERE organisation = 'politie' AND category = 'onderwijs'")
    assert await _token(db_url) != before
    seen = (await client.get(f"/v1/cases/{case['id']}", headers=politie)).json()
    assert seen["visible_categories"] == ["politie"]
    await _sql(db_url, "DELETE FROM convenant_party_category WHERE organisation = 'politie'")
    await _sql(db_url, "DELETE FROM convenant_party WHERE organisation = 'politie'")
    assert (await client.get(f"/v1/cases/{case['id']}", headers=politie)).status_code == 404


async def test_every_convenant_write_through_the_api_draws_a_new_token(
    client: httpx.AsyncClient, auth: Any, db_url: str
) -> None:
    world = World(client, auth)
    await world.organisations()
    first = await _token(db_url)
    cid = await world.convenant("c-b", case_types=["ijam"], parties={"zvh-mh": ALL_CATEGORIES, "politie": ["politie"]},
                                activate=False)
    drafted = await _token(db_url)
    assert drafted != first
    r = await client.post(f"/v1/convenants/{cid}/activate", headers=world.beheerder)
    assert r.status_code == 200, r.text
    activated = await _token(db_url)
    assert activated != drafted
    r = await client.post(f"/v1/convenants/{cid}/terminate", json={"reason": "einde"}, headers=world.beheerder)
    assert r.status_code == 200, r.text
    assert await _token(db_url) != activated
