"""Who reads the ledger's two new resources: GET /v1/audit/checkpoints and GET /v1/audit/public-key.

A matrix: each role x organisation situation -> status, written out literally. The situations: the care and
safety house (zvh-mh, kind `zvh`), a partner organisation (politie) and an organisation that is not registered
(a token from the identity provider for an organisation this ZVH does not know).

- The checkpoints are for auditors only (audit:read), wherever they work: a checkpoint is {seq, hash, time}
  and names no person, so a partner's auditor reads the same list as the ZVH's (as GET /v1/audit/verify:
  `audit_scope` narrows the entries an auditor reads, not the chain's integrity). Each call, allowed or
  refused, leaves one audit entry (action audit:read, object_type audit_checkpoint).
- The public key is public (README, DESIGN: anyone; a third party checks the checkpoints offline with it):
  every caller gets it, with or without a token, and it is neither access-checked nor audited.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.audit.checkpoints import CHECKPOINT_FORMAT, Checkpoint, DirectorySink, public_key_from_pem, signature_valid
from app.config import Settings
from tests.audit_helpers import audit_rows
from tests.conftest import TokenFactory
from tests.world import World

ROLES = ["procesregisseur", "casusregisseur", "medewerker", "melder", "bestuurder", "beheerder", "auditor"]
SITUATIONS = {"zvh-mh": "the ZVH", "politie": "a partner organisation", "onbekend": "an unregistered organisation"}
ORGS = list(SITUATIONS)

# role -> status per situation, in the order of SITUATIONS (the ZVH, a partner, an unregistered organisation)
CHECKPOINTS: dict[str, tuple[int, int, int]] = {
    "procesregisseur": (403, 403, 403),
    "casusregisseur": (403, 403, 403),
    "medewerker": (403, 403, 403),
    "melder": (403, 403, 403),
    "bestuurder": (403, 403, 403),
    "beheerder": (403, 403, 403),
    "auditor": (200, 200, 200),
}
PUBLIC_KEY: dict[str, tuple[int, int, int]] = {
    "procesregisseur": (200, 200, 200),
    "casusregisseur": (200, 200, 200),
    "medewerker": (200, 200, 200),
    "melder": (200, 200, 200),
    "bestuurder": (200, 200, 200),
    "beheerder": (200, 200, 200),
    "auditor": (200, 200, 200),
}


@pytest.fixture
async def signed(app: Any, client: httpx.AsyncClient, auth: TokenFactory, settings: Settings) -> list[dict[str, Any]]:
    """A registered world whose log the ledger has signed (its final checkpoint at stop): the checkpoints as
    GET /v1/audit/checkpoints should list them, newest first."""
    await app.state.ledger.start()
    try:
        await World(client, auth).organisations()
    finally:
        await app.state.ledger.stop()
    directory = settings.effective_checkpoint_dir
    assert directory is not None
    found, unreadable = DirectorySink(directory).read_all()
    assert found and not unreadable
    return [{k: v for k, v in cp.as_json().items() if k != "format"} for _, cp in reversed(found)]


def test_the_tables_cover_every_role_and_situation() -> None:
    assert list(CHECKPOINTS) == list(PUBLIC_KEY) == ROLES
    assert len(ORGS) == 3


@pytest.mark.parametrize("role", ROLES)
async def test_checkpoints_matrix(client: httpx.AsyncClient, auth: TokenFactory, db_url: str,
                                  signed: list[dict[str, Any]], role: str) -> None:
    for org, expected in zip(ORGS, CHECKPOINTS[role], strict=True):
        sub = f"{role}@{org}"
        r = await client.get("/v1/audit/checkpoints", headers=auth(org, role, sub=sub))
        assert r.status_code == expected, (SITUATIONS[org], r.text)
        entries = await audit_rows(db_url, actor_sub=sub)
        assert [(e.actor_org, e.action, e.object_type) for e in entries] == [
            (org, "audit:read", "audit_checkpoint")], SITUATIONS[org]
        [entry] = entries
        if expected == 200:
            assert r.json() == {"items": signed, "next_cursor": None}, SITUATIONS[org]
            assert (entry.outcome, entry.actor_role, entry.detail) == (
                "allowed", "auditor", {"checkpoints": len(signed)}), SITUATIONS[org]
        else:
            assert r.json()["status"] == 403
            assert entry.outcome == "denied", SITUATIONS[org]


@pytest.mark.parametrize("role", ROLES)
async def test_public_key_matrix(client: httpx.AsyncClient, auth: TokenFactory, db_url: str, settings: Settings,
                                 signed: list[dict[str, Any]], role: str) -> None:
    before = len(await audit_rows(db_url))
    for org, expected in zip(ORGS, PUBLIC_KEY[role], strict=True):
        r = await client.get("/v1/audit/public-key", headers=auth(org, role, sub=f"{role}@{org}"))
        assert r.status_code == expected, (SITUATIONS[org], r.text)
        body = r.json()
        assert (body["algorithm"], body["key_id"]) == ("Ed25519", signed[0]["key_id"]), SITUATIONS[org]
    # Not audited: a public key names no one (and a caller without a token could not be named either).
    assert len(await audit_rows(db_url)) == before


async def test_without_a_token(client: httpx.AsyncClient, db_url: str, signed: list[dict[str, Any]]) -> None:
    before = len(await audit_rows(db_url))
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic dXNlcjpwdw=="}):
        r = await client.get("/v1/audit/checkpoints", headers=headers)
        assert r.status_code == 401, (headers, r.text)
        assert "items" not in r.json()
    r = await client.get("/v1/audit/public-key")
    assert r.status_code == 200, r.text
    assert public_key_from_pem(r.json()["public_key_pem"])  # the key a third party checks the checkpoints with
    assert len(await audit_rows(db_url)) == before  # no principal, no entry


async def test_the_public_key_checks_the_listed_checkpoints(client: httpx.AsyncClient, auth: TokenFactory,
                                                            signed: list[dict[str, Any]]) -> None:
    """What the two resources are for, together: the listed checkpoints verify with the published key."""
    key = public_key_from_pem((await client.get("/v1/audit/public-key")).json()["public_key_pem"])
    listed = (await client.get("/v1/audit/checkpoints", headers=auth("politie", "auditor"))).json()["items"]
    assert listed == signed
    for item in listed:
        assert signature_valid(Checkpoint.from_json({**item, "format": CHECKPOINT_FORMAT}), key)
