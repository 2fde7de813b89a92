"""Who may read the monitor report (REPORTS-SPEC.md): every role x organisation kind -> status, each answer audited.

`report:read` is held by `procesregisseur` (honoured for kinds zvh and gemeente) and `bestuurder` (gemeente only,
policies/roles.yaml). A role claimed for an organisation of another kind is not honoured, so bestuurder@zvh,
bestuurder@politie, procesregisseur@politie (and @woningcorporatie) are refused like any role without
`report:read`.
"""

from __future__ import annotations

import httpx
import pytest

from tests.audit_helpers import audit_rows
from tests.conftest import TokenFactory
from tests.world import World

PATH = "/v1/reports/monitor"
ORGANISATIONS = {"zvh": "zvh-mh", "gemeente": "gemeente-mh", "politie": "politie-lb", "woningcorporatie": "woonpunt"}
ROLES = ("melder", "beheerder", "auditor", "medewerker", "casusregisseur", "procesregisseur", "bestuurder")
ALLOWED = {("procesregisseur", "zvh"), ("procesregisseur", "gemeente"), ("bestuurder", "gemeente")}
MATRIX = {(role, kind): 200 if (role, kind) in ALLOWED else 403 for role in ROLES for kind in ORGANISATIONS}
CASES = sorted(MATRIX)
PARAMS = {"from": "2026-01-01", "to": "2026-03-31", "group_by": "month"}


async def _organisations(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    await World(client, auth).organisations({code: kind for kind, code in ORGANISATIONS.items()})


@pytest.mark.parametrize(("role", "kind"), CASES, ids=[f"{r}@{k}" for r, k in CASES])
async def test_report_access_matrix(client: httpx.AsyncClient, auth: TokenFactory, db_url: str, role: str,
                                    kind: str) -> None:
    await _organisations(client, auth)
    org = ORGANISATIONS[kind]
    r = await client.get(PATH, params=PARAMS, headers=auth(org, role))
    assert r.status_code == MATRIX[(role, kind)], r.text
    entries = [e for e in await audit_rows(db_url, actor_sub=f"{role}@{org}") if e.action == "report:read"]
    assert len(entries) == 1, [(e.action, e.outcome) for e in entries]
    (entry,) = entries
    assert entry.object_type == "report"
    assert entry.actor_org == org
    assert list(entry.subject_ids or []) == []
    assert entry.case_id is None
    if r.status_code == 200:
        assert r.headers["content-type"].startswith("application/json")
        assert entry.outcome == "allowed"
        # The period and grouping (exactly these keys: test_audit_detail_is_the_period below).
        assert {k: (entry.detail or {}).get(k) for k in ("from", "to", "group_by")} == {
            "from": "2026-01-01", "to": "2026-03-31", "group_by": "month"}
    else:
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["status"] == 403
        assert entry.outcome == "denied"


@pytest.mark.parametrize("group_by", [None, "month"])
async def test_audit_detail_is_the_period(client: httpx.AsyncClient, auth: TokenFactory, db_url: str,
                                          group_by: str | None) -> None:
    """REPORTS-SPEC.md: detail `{"from": "...", "to": "...", "group_by": "month" | null}`, no subject ids."""
    await _organisations(client, auth)
    params = {"from": "2025-02-03", "to": "2025-02-03"} | ({"group_by": group_by} if group_by else {})
    r = await client.get(PATH, params=params, headers=auth("zvh-mh", "procesregisseur"))
    assert r.status_code == 200, r.text
    (entry,) = [e for e in await audit_rows(db_url, actor_sub="procesregisseur@zvh-mh") if e.action == "report:read"]
    assert (entry.outcome, entry.object_type, list(entry.subject_ids or [])) == ("allowed", "report", [])
    assert entry.detail == {"from": "2025-02-03", "to": "2025-02-03", "group_by": group_by}


@pytest.mark.parametrize("role", ["procesregisseur", "bestuurder"])
async def test_unregistered_organisation_is_refused(client: httpx.AsyncClient, auth: TokenFactory, db_url: str,
                                                    role: str) -> None:
    """A token of an organisation Casusregie does not know: no kind, so the role is not honoured."""
    await _organisations(client, auth)
    r = await client.get(PATH, params=PARAMS, headers=auth("onbekend-org", role))
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    entries = [e for e in await audit_rows(db_url, actor_sub=f"{role}@onbekend-org") if e.action == "report:read"]
    assert [(e.outcome, e.object_type) for e in entries] == [("denied", "report")]


async def test_no_token_is_401(client: httpx.AsyncClient, auth: TokenFactory, db_url: str) -> None:
    await _organisations(client, auth)
    r = await client.get(PATH, params=PARAMS)
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert not [e for e in await audit_rows(db_url) if e.action == "report:read" and e.outcome == "allowed"]
