"""Concurrency is real: partners firing the same trigger at once must not lose or double an update."""

from __future__ import annotations

import asyncio
import itertools

from tests.audit_helpers import audit_rows
from tests.world import World


async def _race(world: World, case_id: str, if_match: str | None) -> list[int]:
    async def one() -> int:
        r = await world.fire(case_id, "afsluiten", if_match=if_match)
        return r.status_code

    return list(await asyncio.gather(*(one() for _ in range(20))))


async def _assert_one_applied(world: World, db_url: str, case_id: str, statuses: list[int], losers: set[int]) -> None:
    assert statuses.count(200) == 1, statuses
    assert set(statuses) - {200} <= losers, statuses
    hist = (await world.client.get(f"/v1/cases/{case_id}/history", headers=world.regisseur)).json()["items"]
    assert [h["trigger"] for h in hist] == ["aanmaken", "afsluiten"]
    case = (await world.client.get(f"/v1/cases/{case_id}", headers=world.regisseur)).json()
    assert case["state"] == "afgesloten" and case["version"] == 2
    rows = await audit_rows(db_url)
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    applied = [r for r in rows if r.action == "case:transition" and r.outcome == "allowed"]
    assert len(applied) == 1
    verify = await world.client.get("/v1/audit/verify", headers=world.h("zvh-mh", "auditor"))
    assert verify.json()["valid"] is True


async def test_twenty_identical_triggers_apply_once(world: World, db_url: str) -> None:
    case = await world.case("ijam")
    statuses = await _race(world, case["id"], None)
    await _assert_one_applied(world, db_url, case["id"], statuses, {409})


async def test_twenty_identical_triggers_with_if_match(world: World, db_url: str) -> None:
    case = await world.case("ijam")
    statuses = await _race(world, case["id"], '"1"')
    await _assert_one_applied(world, db_url, case["id"], statuses, {412})


async def test_stale_if_match_is_412_and_changes_nothing(world: World) -> None:
    case = await world.case("ijam")
    r = await world.fire(case["id"], "opschalen", if_match='"7"')
    assert r.status_code == 412 and r.headers["content-type"].startswith("application/problem+json")
    r = await world.client.patch(f"/v1/cases/{case['id']}", json={"title": "x"},
                                 headers=world.regisseur | {"If-Match": '"0"'})
    assert r.status_code == 412
    again = (await world.client.get(f"/v1/cases/{case['id']}", headers=world.regisseur)).json()
    assert again["version"] == 1 and again["title"] == case["title"]


async def test_references_are_unique_under_concurrency(world: World) -> None:
    async def open_one() -> str:
        body = {"case_type": "ijam", "title": "t", "subjects": [{"type": "persoon", "name": "J"}]}
        r = await world.client.post("/v1/cases", json=body, headers=world.regisseur)
        assert r.status_code == 201, r.text
        return r.json()["reference"]

    refs = await asyncio.gather(*(open_one() for _ in range(15)))
    assert len(set(refs)) == 15
    year = refs[0].split("-")[1]
    assert sorted(refs) == [f"IJ-{year}-{n:04d}" for n in range(1, 16)]
