"""The audit log is a hash chain: any change, deletion or insertion is found and named."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.audit_helpers import audit_rows, drain_staging, tamper_sql

# The care and safety house first: its auditor reads every entry, an auditor elsewhere only its own.
ORGS = [{"code": "zvh-mh", "name": "ZVH", "kind": "zvh"},
        *({"code": f"org-{i}", "name": f"Organisatie {i}", "kind": "overig"} for i in range(3))]


async def _make_entries(client: httpx.AsyncClient, auth: Any) -> None:
    headers = auth("zvh-mh", "beheerder")
    for org in ORGS:
        assert (await client.post("/v1/organisations", json=org, headers=headers)).status_code == 201


async def _sql(db_url: str, statement: str, **params: Any) -> None:
    """As a database superuser would, past the append-only triggers."""
    await tamper_sql(db_url, statement, **params)



def _cli_verify(db_url: str) -> tuple[int, dict[str, Any]]:
    env = dict(os.environ, CASUSREGIE_DATABASE_URL=db_url)
    proc = subprocess.run([sys.executable, "-m", "app.cli", "verify-audit"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    return proc.returncode, json.loads(proc.stdout.strip().splitlines()[-1])


async def _api_verify(client: httpx.AsyncClient, auth: Any, db_url: str) -> dict[str, Any]:
    await drain_staging(db_url)  # what the chainer does within a second on PostgreSQL
    resp = await client.get("/v1/audit/verify", headers=auth("zvh-mh", "auditor"))
    assert resp.status_code == 200
    return resp.json()


async def test_intact_chain_verifies(client: httpx.AsyncClient, auth: Any, db_url: str) -> None:
    await _make_entries(client, auth)
    body = await _api_verify(client, auth, db_url)
    assert body["valid"] is True and body["entries"] == 4
    await drain_staging(db_url)
    code, out = _cli_verify(db_url)
    assert code == 0 and out["valid"] is True and out["entries"] == 5  # + the auditor's own verify entry


async def test_changed_entry_is_named(client: httpx.AsyncClient, auth: Any, db_url: str) -> None:
    await _make_entries(client, auth)
    target = (await audit_rows(db_url))[1]
    await _sql(db_url, "UPDATE audit_log SET actor_sub = 'someone-else' WHERE seq = :seq", seq=target.seq)
    body = await _api_verify(client, auth, db_url)
    assert body["valid"] is False and body["first_invalid_id"] == str(target.id)
    code, out = _cli_verify(db_url)
    assert code == 1 and out["first_invalid_id"] == str(target.id)


async def test_deleted_entry_is_found(client: httpx.AsyncClient, auth: Any, db_url: str) -> None:
    await _make_entries(client, auth)
    rows = await audit_rows(db_url)
    await _sql(db_url, "DELETE FROM audit_log WHERE seq = :seq", seq=rows[1].seq)
    body = await _api_verify(client, auth, db_url)
    # The entry after the gap is the first that no longer fits.
    assert body["valid"] is False and body["first_invalid_id"] == str(rows[2].id)
    code, out = _cli_verify(db_url)
    assert code == 1 and out["first_invalid_id"] == str(rows[2].id)


async def test_deleted_last_entry_is_found(client: httpx.AsyncClient, auth: Any, db_url: str) -> None:
    await _make_entries(client, auth)
    rows = await audit_rows(db_url)
    await _sql(db_url, "DELETE FROM audit_log WHERE seq = :seq", seq=rows[-1].seq)
    code, out = _cli_verify(db_url)
    assert code == 1 and out["valid"] is False and "head" in out["reason"]


async def test_inserted_entry_is_named(client: httpx.AsyncClient, auth: Any, db_url: str) -> None:
    await _make_entries(client, auth)
    rows = await audit_rows(db_url)
    # Renumber the tail to make room, then forge an entry in the middle with a plausible prev_hash.
    forged = uuid.uuid4()
    await _sql(db_url, "UPDATE audit_log SET seq = seq + 100 WHERE seq > :seq", seq=rows[1].seq)
    await _sql(
        db_url,
        "INSERT INTO audit_log (seq, id, created_at, actor_sub, actor_org, action, object_type, subject_ids, "
        "outcome, prev_hash, hash) VALUES (:seq, :id, :ts, 'intruder', 'x', 'case:read', 'case', '[]', "
        "'allowed', :prev, :hash)",
        seq=rows[1].seq + 1, id=forged if "postgresql" in db_url else forged.hex,
        ts=datetime.now(UTC), prev=rows[1].hash, hash="f" * 64,
    )
    body = await _api_verify(client, auth, db_url)
    assert body["valid"] is False and body["first_invalid_id"] == str(forged)
    code, out = _cli_verify(db_url)
    assert code == 1 and out["first_invalid_id"] == str(forged)


async def test_concurrent_requests_keep_one_chain(client: httpx.AsyncClient, auth: Any, db_url: str) -> None:
    headers = auth("zvh-mh", "beheerder")

    async def one(i: int) -> int:
        body = {"code": f"par-{i}", "name": f"Parallel {i}", "kind": "overig"}
        if i % 2:
            return (await client.post("/v1/organisations", json=body, headers=headers)).status_code
        return (await client.get("/v1/organisations", headers=auth("x", "melder"))).status_code

    statuses = await asyncio.gather(*(one(i) for i in range(50)))
    assert sorted(set(statuses)) == [201, 403]
    rows = await audit_rows(db_url)
    assert len(rows) == 50
    assert [r.seq for r in rows] == list(range(1, 51))
    for prev, cur in itertools.pairwise(rows):
        assert cur.prev_hash == prev.hash
    body = await _api_verify(client, auth, db_url)
    assert body["valid"] is True and body["entries"] == 50


@pytest.mark.parametrize("toelichting", ["Voorbereiding casusoverleg 12-3", "Opvraging i.v.m. weegtafel é"])
async def test_toelichting_and_request_id_are_recorded(
    client: httpx.AsyncClient, auth: Any, db_url: str, toelichting: str
) -> None:
    headers: dict[str, Any] = auth("zvh-mh", "beheerder") | {
        "X-Audit-Toelichting": toelichting.encode("utf-8"),
        "X-Request-ID": "req-123",
    }
    resp = await client.get("/v1/organisations", headers=headers)
    # The server's own request id, not the one the client chose (issue 12, finding 9).
    assert resp.headers["x-request-id"] != "req-123" and len(resp.headers["x-request-id"]) == 32
    row = (await audit_rows(db_url))[-1]
    assert row.toelichting == toelichting and row.request_id == resp.headers["x-request-id"]
    assert "req-123" not in {r.request_id for r in await audit_rows(db_url)}


async def test_audit_list_filters_and_pages(client: httpx.AsyncClient, auth: Any) -> None:
    await _make_entries(client, auth)
    await client.get("/v1/organisations", headers=auth("gemeente", "melder", sub="m1"))
    headers = auth("zvh-mh", "auditor")
    denied = (await client.get("/v1/audit", params={"actor": "m1"}, headers=headers)).json()["items"]
    assert [(e["action"], e["outcome"]) for e in denied] == [("organisation:read", "denied")]
    by_org = (await client.get("/v1/audit", params={"organisation": "zvh-mh", "action": "organisation:create"},
                               headers=headers)).json()["items"]
    assert len(by_org) == 4
    page1 = (await client.get("/v1/audit", params={"limit": 3}, headers=headers)).json()
    page2 = (await client.get("/v1/audit", params={"limit": 3, "cursor": page1["next_cursor"]},
                              headers=headers)).json()
    items = page1["items"] + page2["items"]
    ids = [e["id"] for e in items]
    # Newest first, nothing twice (staged entries on PostgreSQL, chained ones on SQLite, alike).
    assert [e["created_at"] for e in items] == sorted((e["created_at"] for e in items), reverse=True)
    assert len(set(ids)) == len(ids) == 6


@pytest.mark.parametrize("role", ["procesregisseur", "casusregisseur", "medewerker", "melder", "bestuurder",
                                  "beheerder"])
async def test_only_auditor_reads_the_log(client: httpx.AsyncClient, auth: Any, role: str) -> None:
    assert (await client.get("/v1/audit", headers=auth("zvh-mh", role))).status_code == 403
    assert (await client.get("/v1/audit/verify", headers=auth("zvh-mh", role))).status_code == 403
