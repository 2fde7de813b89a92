"""Central roles act only where the ZVH honours them (issue 12, finding 5): `beheerder` for the
administering organisations, `auditor` over every entry only at the care and safety house.

A matrix: (role, organisation situation, endpoint) -> status; then the auditor's scope by content.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.main import create_app
from tests.conftest import TokenFactory, make_settings, token_factory
from tests.world import World

# organisation -> its situation under the default setting (no CASUSREGIE_ADMIN_ORGANISATIONS)
SITUATIONS = {"zvh-mh": "the ZVH", "gemeente": "a municipality", "woonpunt": "a housing corporation"}


def _convenant_body() -> dict[str, Any]:
    return {"code": f"c-{uuid.uuid4().hex[:8]}", "title": "C", "case_types": ["ijam"], "purposes": ["p"],
            "legal_basis": "Wgs", "valid_from": "2025-01-01", "valid_until": "2030-01-01", "retention_months": 12,
            "parties": [{"organisation": "zvh-mh", "role": "kernpartner", "data_categories": ["identificatie"]},
                        {"organisation": "woonpunt", "role": "casuspartner",
                         "data_categories": ["identificatie", "wonen", "zorg", "politie", "justitie"]}]}


ENDPOINTS: dict[str, tuple[str, str, Any]] = {
    "create organisation": ("POST", "/v1/organisations", lambda: {"code": f"o-{uuid.uuid4().hex[:8]}",
                                                                  "name": "O", "kind": "overig"}),
    "create convenant": ("POST", "/v1/convenants", _convenant_body),
    "list convenants": ("GET", "/v1/convenants", None),
    "processing register": ("GET", "/v1/processing-register", None),
}
ALLOWED = {"create organisation": 201, "create convenant": 201, "list convenants": 200, "processing register": 200}

# (organisations configured as administrators, the caller's organisation) -> allowed?
BEHEERDER = [
    ((), "zvh-mh", True),
    ((), "gemeente", False),
    ((), "woonpunt", False),
    (("gemeente",), "gemeente", True),
    (("gemeente",), "zvh-mh", False),  # configured: only the named ones, the ZVH included or not
]


@pytest.fixture
async def configured(db_url: str) -> AsyncIterator[Any]:
    made: list[Any] = []

    async def make(admins: tuple[str, ...]) -> tuple[httpx.AsyncClient, TokenFactory]:
        settings = make_settings(db_url, admin_organisations=list(admins))
        app = create_app(settings)
        made.append(app)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        return client, token_factory(settings)

    yield make
    for app in made:
        await app.state.db.dispose()


@pytest.mark.parametrize(("admins", "org", "allowed"), BEHEERDER,
                         ids=[f"{','.join(a) or 'default'}-{o}" for a, o, _ in BEHEERDER])
async def test_beheerder_matrix(configured: Any, admins: tuple[str, ...], org: str, allowed: bool) -> None:
    client, auth = await configured(admins)
    async with client:
        setup = await configured(())  # the world is set up by the ZVH's beheerder under the default
        async with setup[0] as c:
            await World(c, setup[1]).organisations()
        for name, (method, path, body) in ENDPOINTS.items():
            r = await client.request(method, path, json=body() if body else None, headers=auth(org, "beheerder"))
            assert r.status_code == (ALLOWED[name] if allowed else 403), (name, r.text)
        audit = await client.get("/v1/audit", params={"actor": f"beheerder@{org}"},
                                 headers=auth("zvh-mh", "auditor"))
        outcomes = {e["outcome"] for e in audit.json()["items"]}
        assert outcomes == ({"allowed"} if allowed else {"denied"})
        assert {e["actor_role"] for e in audit.json()["items"]} == {"beheerder"}  # what the token claimed


async def test_the_first_beheerder_may_register_the_care_and_safety_house(client: httpx.AsyncClient,
                                                                          auth: Any) -> None:
    anyone = auth("woonpunt", "beheerder")
    r = await client.post("/v1/organisations", json={"code": "zvh-mh", "name": "ZVH", "kind": "zvh"}, headers=anyone)
    assert r.status_code == 201, r.text
    later = await client.post("/v1/organisations", json={"code": "xx", "name": "X", "kind": "overig"}, headers=anyone)
    assert later.status_code == 403
    assert (await client.post("/v1/organisations", json={"code": "xx", "name": "X", "kind": "overig"},
                              headers=auth("zvh-mh", "beheerder"))).status_code == 201


def test_admin_organisations_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("CASUSREGIE_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("CASUSREGIE_ADMIN_ORGANISATIONS", "zvh-mh, gemeente-maastricht")
    assert Settings().admin_organisations == ["zvh-mh", "gemeente-maastricht"]


async def test_a_partner_auditor_reads_its_own_organisations_entries_only(client: httpx.AsyncClient,
                                                                         auth: Any) -> None:
    world = await World(client, auth).setup()
    await world.case("ijam", participants=("politie",))
    for org in ("politie", "gemeente", "woonpunt"):
        assert (await client.get("/v1/cases", headers=world.h(org, "medewerker"))).status_code == 200

    async def orgs(org: str, **params: str) -> set[str]:
        r = await client.get("/v1/audit", params={"limit": 200, **params}, headers=world.h(org, "auditor"))
        assert r.status_code == 200, r.text
        return {e["actor_org"] for e in r.json()["items"]}

    assert {"zvh-mh", "politie", "gemeente", "woonpunt"} <= await orgs("zvh-mh")
    assert await orgs("politie") == {"politie"}
    assert await orgs("politie", organisation="gemeente") == set()
    assert await orgs("politie", organisation="politie") == {"politie"}
    r = await client.get("/v1/audit/verify", headers=world.h("politie", "auditor"))
    assert r.status_code == 200  # the chain's integrity is no one's personal data


# Case roles bound to organisation kinds (policies/roles.yaml `organisation_kinds`): (role, organisation) -> may it
# act in that role? A claim that does not fit is refused for that role's actions and audited as claimed.
CASE_ROLE_KINDS = [
    ("procesregisseur", "zvh-mh", True),
    ("procesregisseur", "gemeente", True),
    ("procesregisseur", "woonpunt", False),
    ("procesregisseur", "politie", False),
    ("bestuurder", "gemeente", True),
    ("bestuurder", "zvh-mh", False),
    ("bestuurder", "politie", False),
]


@pytest.mark.parametrize(("role", "org", "fits"), CASE_ROLE_KINDS, ids=[f"{r}-{o}" for r, o, _ in CASE_ROLE_KINDS])
async def test_case_roles_are_bound_to_organisation_kinds(client: httpx.AsyncClient, auth: Any, role: str, org: str,
                                                          fits: bool) -> None:
    world = await World(client, auth).setup()
    caller = world.h(org, role, sub=f"claim-{role}@{org}")
    r = await client.get("/v1/cases", headers=caller)
    assert r.status_code == (200 if fits else 403), r.text
    if role == "procesregisseur":
        body = {"case_type": "ijam", "title": "Casus", "subjects": [{"type": "persoon", "name": "Jongere Een"}]}
        r = await client.post("/v1/cases", json=body, headers=caller)
        assert r.status_code == (201 if fits else 403), r.text
    audit = await client.get("/v1/audit", params={"actor": f"claim-{role}@{org}"}, headers=world.h("zvh-mh", "auditor"))
    entries = audit.json()["items"]
    assert entries and {e["outcome"] for e in entries} == ({"allowed"} if fits else {"denied"})
    assert {e["actor_role"] for e in entries} == {role}  # what the token claimed


def test_organisation_kinds_are_validated_and_configurable() -> None:
    from app.access.policies import PolicyError, _load_yaml, parse_policies

    policies_dir = Settings(env="development").policies_dir
    roles = _load_yaml(policies_dir / "roles.yaml")
    categories = _load_yaml(policies_dir / "data_categories.yaml")
    shipped = parse_policies(roles, categories)
    assert shipped.organisation_kinds == {"procesregisseur": {"zvh", "gemeente"}, "bestuurder": {"gemeente"}}
    assert shipped.role_fits("medewerker", "woningcorporatie") and not shipped.role_fits("procesregisseur", None)
    # A region where the housing corporation's staff lead the process says so in its roles.yaml.
    roles["roles"]["procesregisseur"]["organisation_kinds"] = ["zvh", "gemeente", "woningcorporatie"]
    assert parse_policies(roles, categories).role_fits("procesregisseur", "woningcorporatie")
    for bad in (["woningbouw"], [], "gemeente"):
        roles["roles"]["procesregisseur"]["organisation_kinds"] = bad
        with pytest.raises(PolicyError, match="organisation_kinds"):
            parse_policies(roles, categories)


async def test_policies_name_the_organisation_kinds(client: httpx.AsyncClient, auth: Any) -> None:
    r = await client.get("/v1/policies", headers=auth("woonpunt", "medewerker"))
    assert r.status_code == 200, r.text
    kinds = {role["code"]: role["organisation_kinds"] for role in r.json()["roles"]}
    assert kinds["procesregisseur"] == ["gemeente", "zvh"] and kinds["bestuurder"] == ["gemeente"]
    assert kinds["medewerker"] is None
