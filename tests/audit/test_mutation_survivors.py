"""What the audit log holds and what its filters return, where a mutation run (issue 10, item 0) found that
a change passed every test: the role an entry names, and GET /v1/audit's case, subject and organisation
filters and the record of the auditor's own reading. Each filter must return exactly the entries it
names, checked against the log as stored.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.audit_helpers import audit_rows
from tests.world import World


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Any) -> World:
    return await World(client, auth).setup()


async def _audit(world: World, **params: str) -> list[dict[str, Any]]:
    r = await world.client.get("/v1/audit", params={"limit": 200, **params}, headers=world.h("zvh-mh", "auditor"))
    assert r.status_code == 200, r.text
    assert r.json()["next_cursor"] is None
    return r.json()["items"]


async def test_an_entry_names_the_role_that_allowed_it(world: World, db_url: str) -> None:
    case = await world.case("ijam")
    two_roles = world.h("zvh-mh", "melder", "procesregisseur", sub="twee-rollen")
    assert (await world.client.get(f"/v1/cases/{case['id']}", headers=two_roles)).status_code == 200
    reads = await audit_rows(db_url, actor_sub="twee-rollen")
    assert [(e.action, e.outcome, e.actor_role) for e in reads] == [("case:read", "allowed", "procesregisseur")]


async def test_a_refusal_names_every_role_of_the_token(world: World, db_url: str) -> None:
    two_roles = world.h("zvh-mh", "melder", "auditor", sub="twee-rollen")
    assert (await world.client.get("/v1/cases", headers=two_roles)).status_code == 403
    denied = await audit_rows(db_url, actor_sub="twee-rollen")
    assert [(e.action, e.outcome, e.actor_role) for e in denied] == [("case:list", "denied", "melder,auditor")]


@pytest.fixture
async def two_cases(world: World) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two cases on different subjects, each read by the partner taking part in it."""
    a = await world.case("ijam", participants=("politie",))
    b = await world.case("woonoverlast", participants=("gemeente",))
    for case, org in ((a, "politie"), (b, "gemeente")):
        r = await world.client.get(f"/v1/cases/{case['id']}", headers=world.h(org, "medewerker"))
        assert r.status_code == 200, r.text
    return a, b


async def test_case_filter_returns_exactly_that_cases_entries(
    world: World, db_url: str, two_cases: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    for case in two_cases:
        expected = [e.seq for e in await audit_rows(db_url, case_id=uuid.UUID(case["id"]))]
        assert len(expected) >= 3  # opening, inviting, the partner's read
        got = await _audit(world, case_id=case["id"])
        assert [e["seq"] for e in got] == expected[::-1]  # newest first
        assert {e["case_id"] for e in got} == {case["id"]}


async def test_subject_filter_returns_exactly_the_entries_about_that_subject(
    world: World, db_url: str, two_cases: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    for case in two_cases:
        subject = case["subjects"][0]["id"]
        expected = [e.seq for e in await audit_rows(db_url) if subject in e.subject_ids]
        assert len(expected) >= 3
        got = await _audit(world, subject_id=subject)
        assert [e["seq"] for e in got] == expected[::-1]


async def test_organisation_filter_returns_exactly_that_organisations_entries(
    world: World, db_url: str, two_cases: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    for org in ("gemeente", "politie", "zvh-mh"):  # the auditor's own reads are zvh-mh's entries too
        expected = [e.seq for e in await audit_rows(db_url) if e.actor_org == org]
        assert expected
        got = await _audit(world, organisation=org)
        assert [e["seq"] for e in got] == expected[::-1]


async def test_the_auditors_reading_records_exactly_the_filters_given(world: World, db_url: str) -> None:
    await _audit(world, actor="beheerder-1", action="organisation:create")
    [entry] = await audit_rows(db_url, action="audit:read")
    assert entry.detail == {"filters": {"actor": "beheerder-1", "action": "organisation:create"}}
