"""Organisations (ketenpartners): beheerder creates; the audit log records every attempt."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.audit_helpers import audit_rows

ORG = {"code": "politie-limburg", "name": "Politie Limburg", "kind": "politie"}
ZVH = {"code": "zvh-mh", "name": "ZVH Maastricht-Heuvelland", "kind": "zvh"}
ROLES = ["procesregisseur", "casusregisseur", "medewerker", "melder", "bestuurder", "beheerder", "auditor"]


async def test_beheerder_creates_and_lists(client: httpx.AsyncClient, auth: Any, db_url: str) -> None:
    headers = auth("zvh-mh", "beheerder", sub="beheer-1")
    # The care and safety house first: a procesregisseur's role counts for staff of a zvh or gemeente.
    assert (await client.post("/v1/organisations", json=ZVH, headers=headers)).status_code == 201
    resp = await client.post("/v1/organisations", json=ORG, headers=headers)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["code"] == "politie-limburg" and body["kind"] == "politie"
    assert resp.headers["location"] == "/v1/organisations/politie-limburg"
    listed = await client.get("/v1/organisations", headers=headers)
    assert [o["code"] for o in listed.json()["items"]] == ["politie-limburg", "zvh-mh"]
    one = await client.get("/v1/organisations/politie-limburg", headers=auth("zvh-mh", "procesregisseur"))
    assert one.status_code == 200 and one.json()["name"] == "Politie Limburg"

    rows = await audit_rows(db_url)
    assert [(r.action, r.outcome, r.actor_sub, r.actor_org, r.actor_role) for r in rows] == [
        ("organisation:create", "allowed", "beheer-1", "zvh-mh", "beheerder"),
        ("organisation:create", "allowed", "beheer-1", "zvh-mh", "beheerder"),
        ("organisation:list", "allowed", "beheer-1", "zvh-mh", "beheerder"),
        ("organisation:read", "allowed", "procesregisseur@zvh-mh", "zvh-mh", "procesregisseur"),
    ]


@pytest.mark.parametrize("role", [r for r in ROLES if r != "beheerder"])
async def test_other_roles_may_not_create(client: httpx.AsyncClient, auth: Any, db_url: str, role: str) -> None:
    resp = await client.post("/v1/organisations", json=ORG, headers=auth("gemeente", role))
    assert resp.status_code == 403
    assert resp.headers["content-type"].startswith("application/problem+json")
    rows = await audit_rows(db_url)
    assert len(rows) == 1
    assert (rows[0].action, rows[0].outcome, rows[0].actor_org, rows[0].actor_role) == (
        "organisation:create", "denied", "gemeente", role)
    # Nothing was written besides the denial.
    listed = await client.get("/v1/organisations", headers=auth("zvh-mh", "beheerder"))
    assert listed.json()["items"] == []


@pytest.mark.parametrize(
    ("role", "status"),
    [("procesregisseur", 200), ("beheerder", 200), ("casusregisseur", 403), ("medewerker", 403),
     ("melder", 403), ("bestuurder", 403), ("auditor", 403)],
)
async def test_who_may_list(client: httpx.AsyncClient, auth: Any, role: str, status: int) -> None:
    assert (await client.post("/v1/organisations", json=ZVH, headers=auth("zvh-mh", "beheerder"))).status_code == 201
    assert (await client.get("/v1/organisations", headers=auth("zvh-mh", role))).status_code == status


async def test_no_token_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1/organisations", json=ORG)).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**ORG, "kind": "brandweer"}, "kind"),
        ({**ORG, "code": "Politie Limburg"}, "code"),
        ({**ORG, "code": "-x"}, "code"),
        ({"code": "x1", "kind": "politie"}, "name"),
        ({**ORG, "name": "   "}, "name"),
        ({**ORG, "extra": 1}, "extra"),
    ],
)
async def test_bad_bodies_are_422_naming_the_field(
    client: httpx.AsyncClient, auth: Any, body: dict[str, Any], field: str
) -> None:
    resp = await client.post("/v1/organisations", json=body, headers=auth("zvh-mh", "beheerder"))
    assert resp.status_code == 422, resp.text
    problem = resp.json()
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert any(field in err["loc"] for err in problem["errors"]), problem
    listed = await client.get("/v1/organisations", headers=auth("zvh-mh", "beheerder"))
    assert listed.json()["items"] == []


async def test_duplicate_code_is_409(client: httpx.AsyncClient, auth: Any, db_url: str) -> None:
    headers = auth("zvh-mh", "beheerder")
    assert (await client.post("/v1/organisations", json=ORG, headers=headers)).status_code == 201
    resp = await client.post("/v1/organisations", json={**ORG, "name": "Again"}, headers=headers)
    assert resp.status_code == 409
    assert resp.json()["type"].endswith("conflict")


async def test_unknown_organisation_is_404(client: httpx.AsyncClient, auth: Any) -> None:
    resp = await client.get("/v1/organisations/nope", headers=auth("zvh-mh", "beheerder"))
    assert resp.status_code == 404 and resp.json()["status"] == 404


async def test_pagination(client: httpx.AsyncClient, auth: Any) -> None:
    headers = auth("zvh-mh", "beheerder")
    for i in range(5):
        await client.post("/v1/organisations", json={"code": f"org-{i}", "name": f"Org {i}", "kind": "overig"},
                          headers=headers)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/organisations", params=params, headers=headers)).json()
        seen += [o["code"] for o in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"org-{i}" for i in range(5)]
    bad = await client.get("/v1/organisations", params={"cursor": "!!!"}, headers=headers)
    assert bad.status_code == 422
