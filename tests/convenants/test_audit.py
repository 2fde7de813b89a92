"""Every convenant endpoint leaves exactly one audit entry naming the convenant (id and version)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.convenants.conftest import Create, TokenFactory, convenant_body

pytestmark = pytest.mark.usefixtures("orgs")

LEGAL_BASIS = "Wgs - PGA complexe casuistiek"


@pytest.fixture
def entries_of(client: httpx.AsyncClient, auditor: dict[str, str]) -> Any:
    async def read(response: httpx.Response) -> list[dict[str, Any]]:
        """The audit entries written by the request that gave `response`."""
        r = await client.get("/v1/audit", params={"limit": 200}, headers=auditor)
        assert r.status_code == 200, r.text
        request_id = response.headers["x-request-id"]
        return [e for e in r.json()["items"] if e["request_id"] == request_id]

    return read


async def test_every_endpoint_leaves_one_entry(
    client: httpx.AsyncClient, admin: dict[str, str], create: Create, entries_of: Any
) -> None:
    async def one(response: httpx.Response, action: str, version: int, convenant_id: str) -> dict[str, Any]:
        assert response.status_code == (201 if action == "convenant:create" else 200), response.text
        (entry,) = await entries_of(response)
        assert (entry["action"], entry["outcome"], entry["object_type"]) == (action, "allowed", "convenant")
        assert (entry["object_id"], entry["convenant_id"]) == (convenant_id, convenant_id)
        assert (entry["convenant_version"], entry["legal_basis"]) == (version, LEGAL_BASIS)
        assert (entry["actor_sub"], entry["actor_org"], entry["actor_role"]) == ("beheerder@zvh-mh", "zvh-mh",
                                                                                 "beheerder")
        return entry

    r = await client.post("/v1/convenants", json=convenant_body(), headers=admin)
    cid = r.json()["id"]
    await one(r, "convenant:create", 1, cid)
    await one(await client.get(f"/v1/convenants/{cid}", headers=admin), "convenant:read", 1, cid)
    entry = await one(await client.patch(f"/v1/convenants/{cid}", json={"title": "t"}, headers=admin),
                      "convenant:update", 1, cid)
    assert entry["detail"] == {"fields": ["title"], "new_version": False}
    await one(await client.post(f"/v1/convenants/{cid}/activate", headers=admin), "convenant:activate", 1, cid)
    entry = await one(await client.patch(f"/v1/convenants/{cid}", json={"retention_months": 12}, headers=admin),
                      "convenant:update", 2, cid)
    assert entry["detail"] == {"fields": ["retention_months"], "new_version": True}
    await one(await client.get(f"/v1/convenants/{cid}/versions", headers=admin), "convenant:versions", 1, cid)
    entry = await one(await client.post(f"/v1/convenants/{cid}/activate", headers=admin), "convenant:activate", 2,
                      cid)
    assert entry["detail"] == {"replaced_version": 1}
    await one(await client.post(f"/v1/convenants/{cid}/terminate", json={"reason": "einde"}, headers=admin),
              "convenant:terminate", 2, cid)

    # A list names each convenant it showed, with the version shown.
    r = await client.get("/v1/convenants", headers=admin)
    assert r.status_code == 200
    (entry,) = await entries_of(r)
    assert (entry["action"], entry["outcome"]) == ("convenant:list", "allowed")
    assert entry["detail"] == {"convenants": [{"id": cid, "version": 2}]}


async def test_register_read_leaves_one_entry(
    client: httpx.AsyncClient, auditor: dict[str, str], create: Create, entries_of: Any
) -> None:
    c = await create(activate=True)
    r = await client.get("/v1/processing-register", headers={**auditor, "Accept": "text/markdown"})
    assert r.status_code == 200
    (entry,) = await entries_of(r)
    assert (entry["action"], entry["outcome"], entry["actor_role"]) == ("processing_register:read", "allowed",
                                                                        "auditor")
    assert entry["detail"] == {"convenants": [{"id": c["id"], "version": 1}]}


async def test_denials_are_audited(
    client: httpx.AsyncClient, auth: TokenFactory, create: Create, entries_of: Any
) -> None:
    c = await create(activate=True)
    r = await client.post(f"/v1/convenants/{c['id']}/terminate", json={"reason": "x"},
                          headers=auth("politie-limburg", "procesregisseur"))
    assert r.status_code == 403
    (entry,) = await entries_of(r)
    assert (entry["action"], entry["outcome"], entry["object_id"]) == ("convenant:terminate", "denied", c["id"])
    assert entry["convenant_version"] is None  # a denial uses no convenant


async def test_failed_writes_leave_no_allowed_entry(
    client: httpx.AsyncClient, admin: dict[str, str], create: Create, entries_of: Any
) -> None:
    c = await create(parties=[{"organisation": "zvh-mh", "role": "kernpartner", "data_categories": ["wonen"]}])
    r = await client.post(f"/v1/convenants/{c['id']}/activate", headers=admin)
    assert r.status_code == 409
    assert await entries_of(r) == []
