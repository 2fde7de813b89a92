"""Case writes are safe by default (issue 13 item 7): without If-Match a write is 428 and changes nothing;
`If-Match: *` overwrites deliberately; a stale ETag is 412. Through a client without the tests' overwrite hook,
as an integrator's client is."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.world import World

PLAN = {"summary": "plan", "actions": [{"description": "Huisbezoek", "organisation": "zvh-mh"}]}


@pytest.fixture
async def bare(app: object) -> Any:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def _writes(cid: str) -> dict[str, tuple[str, str, Any]]:
    return {
        "patch": ("PATCH", f"/v1/cases/{cid}", {"title": "Nieuwe titel"}),
        "transition": ("POST", f"/v1/cases/{cid}/transitions", {"trigger": "opschalen", "reason": "r", "data": {}}),
        "plan": ("PUT", f"/v1/cases/{cid}/plan", PLAN),
        "invite": ("POST", f"/v1/cases/{cid}/participants", {"organisation": "politie"}),
        "remove": ("DELETE", f"/v1/cases/{cid}/participants/gemeente", None),
    }


@pytest.mark.parametrize("write", ["patch", "transition", "plan", "invite", "remove"])
async def test_a_case_write_without_if_match_is_428_and_changes_nothing(
    client: httpx.AsyncClient, bare: httpx.AsyncClient, auth: Any, write: str
) -> None:
    world = await World(client, auth).setup()
    case = await world.case("ijam", participants=("gemeente",))
    before = await bare.get(f"/v1/cases/{case['id']}", headers=world.regisseur)
    method, path, body = _writes(case["id"])[write]
    r = await bare.request(method, path, json=body, headers=world.regisseur)
    assert r.status_code == 428, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"] == "urn:casusregie:problem:precondition-required" and "If-Match" in r.json()["detail"]
    after = await bare.get(f"/v1/cases/{case['id']}", headers=world.regisseur)
    assert after.headers["etag"] == before.headers["etag"] and after.json() == before.json()
    # With the ETag just read it succeeds and hands back the next one; the old one is then stale (412).
    ok = await bare.request(method, path, json=body, headers=world.regisseur | {"If-Match": before.headers["etag"]})
    assert ok.status_code in (200, 201, 204), ok.text
    assert ok.headers["etag"] == f'"{int(before.headers["etag"].strip(chr(34))) + 1}"'
    stale = await bare.patch(f"/v1/cases/{case['id']}", json={"title": "t"},
                             headers=world.regisseur | {"If-Match": before.headers["etag"]})
    assert stale.status_code == 412, stale.text


async def test_if_match_star_overwrites_whatever_version_is_current(
    client: httpx.AsyncClient, bare: httpx.AsyncClient, auth: Any
) -> None:
    world = await World(client, auth).setup()
    case = await world.case("ijam")
    for title in ("een", "twee"):
        r = await bare.patch(f"/v1/cases/{case['id']}", json={"title": title},
                             headers=world.regisseur | {"If-Match": "*"})
        assert r.status_code == 200 and r.json()["title"] == title


async def test_a_note_is_no_case_write_and_answers_with_its_location(
    client: httpx.AsyncClient, bare: httpx.AsyncClient, auth: Any
) -> None:
    world = await World(client, auth).setup()
    case = await world.case("ijam")
    r = await bare.post(f"/v1/cases/{case['id']}/notes", json={"category": "wonen", "text": "n"},
                        headers=world.regisseur)
    assert r.status_code == 201, r.text
    listed = await bare.get(r.headers["location"], headers=world.regisseur)
    assert r.json()["id"] in {n["id"] for n in listed.json()["items"]}


async def test_the_history_pages_like_every_list(client: httpx.AsyncClient, auth: Any) -> None:
    world = await World(client, auth).setup()
    case = await world.case("ijam")
    for trigger in ("opschalen", "afschalen", "opschalen"):
        assert (await world.fire(case["id"], trigger, {})).status_code == 200, trigger
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        r = await client.get(f"/v1/cases/{case['id']}/history", params=params, headers=world.regisseur)
        assert r.status_code == 200, r.text
        seen += [e["version"] for e in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) >= 3
    bad = await client.get(f"/v1/cases/{case['id']}/history", params={"cursor": "eyJjb2RlIjoxfQ"},
                           headers=world.regisseur)
    assert bad.status_code == 422
