"""The convenant API: happy paths, roles, validation, states."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from app.vocabulary import Role
from tests.convenants.conftest import Create, TokenFactory, convenant_body

pytestmark = pytest.mark.usefixtures("orgs")

PROBLEM_JSON = "application/problem+json"
RANDOM_ID = "00000000-0000-4000-8000-000000000000"

# (name, method, path with {id}, json body or None): every convenant endpoint, for the tables below.
ENDPOINTS: list[tuple[str, str, str, dict[str, Any] | None]] = [
    ("create", "POST", "/v1/convenants", convenant_body(code="ander-convenant")),
    ("list", "GET", "/v1/convenants", None),
    ("get", "GET", "/v1/convenants/{id}", None),
    ("update", "PATCH", "/v1/convenants/{id}", {"title": "Nieuwe titel"}),
    ("activate", "POST", "/v1/convenants/{id}/activate", None),
    ("terminate", "POST", "/v1/convenants/{id}/terminate", {"reason": "einde samenwerking"}),
    ("versions", "GET", "/v1/convenants/{id}/versions", None),
]


async def call(client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None,
               headers: dict[str, str] | None = None) -> httpx.Response:
    return await client.request(method, path, json=body, headers=headers or {})


# --- happy paths ------------------------------------------------------------------------------


async def test_create_returns_version_1_as_concept(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    r = await client.post("/v1/convenants", json=convenant_body(), headers=admin)
    assert r.status_code == 201, r.text
    body = r.json()
    uuid.UUID(body["id"])
    assert r.headers["location"] == f"/v1/convenants/{body['id']}"
    assert body | {"id": None, "created_at": None} == {
        "id": None, "code": "pga-mh-2025", "version": 1, "status": "concept",
        "title": "Convenant PGA Maastricht-Heuvelland",
        "case_types": ["woonoverlast", "ex_gedetineerde", "radicalisering"],
        "purposes": ["voorkomen van escalatie en recidive"], "legal_basis": "Wgs - PGA complexe casuistiek",
        "valid_from": "2025-01-01", "valid_until": "2027-12-31", "retention_months": 24,
        "parties": [
            {"organisation": "woonpunt", "role": "casuspartner", "data_categories": ["identificatie", "wonen"]},
            {"organisation": "zvh-mh", "role": "kernpartner",
             "data_categories": ["identificatie", "wonen", "zorg", "politie"]},
        ],
        "created_at": None, "activated_at": None, "ended_at": None, "termination_reason": None,
        "pending_version": None,
        # The DESIGN.md example lets the ZVH (regie at ex_gedetineerde `pga`) go without veiligheid.
        "warnings": [{"code": "regie_zonder_categorie", "case_type": "ex_gedetineerde", "organisation": "zvh-mh",
                      "category": "veiligheid",
                      "message": "zvh-mh may hold regie on ex_gedetineerde cases but is not granted veiligheid"}],
    }
    assert body["created_at"].endswith("Z")


async def test_duplicate_code_is_a_conflict(client: httpx.AsyncClient, admin: dict[str, str], create: Create) -> None:
    await create()
    r = await client.post("/v1/convenants", json=convenant_body(title="Ander"), headers=admin)
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert r.json()["type"] == "urn:casusregie:problem:conflict"


async def test_get_list_and_filters(client: httpx.AsyncClient, admin: dict[str, str], create: Create) -> None:
    active = await create(activate=True)
    concept = await create(code="jeugd-mh", case_types=["jeugdgroep"], parties=[
        {"organisation": "zvh-mh", "role": "kernpartner", "data_categories": ["identificatie"]},
        {"organisation": "politie-limburg", "role": "kernpartner", "data_categories": ["politie"]},
    ])

    r = await client.get(f"/v1/convenants/{active['id']}", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == active

    r = await client.get("/v1/convenants", headers=admin)
    assert r.status_code == 200, r.text
    assert [(c["code"], c["status"]) for c in r.json()["items"]] == [("jeugd-mh", "concept"),
                                                                     ("pga-mh-2025", "actief")]
    assert r.json()["next_cursor"] is None

    async def codes(**params: str) -> list[str]:
        r = await client.get("/v1/convenants", params=params, headers=admin)
        assert r.status_code == 200, r.text
        return [c["code"] for c in r.json()["items"]]

    assert await codes(status="actief") == ["pga-mh-2025"]
    assert await codes(status="concept") == ["jeugd-mh"]
    assert await codes(status="beeindigd") == []
    assert await codes(organisation="zvh-mh") == ["jeugd-mh", "pga-mh-2025"]
    assert await codes(organisation="politie-limburg") == ["jeugd-mh"]
    assert await codes(organisation="mondriaan") == []
    assert await codes(case_type="jeugdgroep") == ["jeugd-mh"]
    assert await codes(case_type="radicalisering", organisation="woonpunt", status="actief") == ["pga-mh-2025"]
    assert await codes(case_type="ijam") == []

    # Cursor pagination.
    r = await client.get("/v1/convenants", params={"limit": 1}, headers=admin)
    page1 = r.json()
    assert [c["id"] for c in page1["items"]] == [concept["id"]] and page1["next_cursor"]
    r = await client.get("/v1/convenants", params={"limit": 1, "cursor": page1["next_cursor"]}, headers=admin)
    assert [c["id"] for c in r.json()["items"]] == [active["id"]] and r.json()["next_cursor"] is None


async def test_list_shows_current_version_and_filters_on_it(
    client: httpx.AsyncClient, admin: dict[str, str], create: Create
) -> None:
    active = await create(activate=True)
    r = await client.patch(f"/v1/convenants/{active['id']}", headers=admin, json={"parties": [
        {"organisation": "zvh-mh", "role": "kernpartner", "data_categories": ["identificatie"]},
        {"organisation": "mondriaan", "role": "casuspartner", "data_categories": ["zorg"]},
    ]})
    assert r.status_code == 200, r.text
    r = await client.get("/v1/convenants", headers=admin)
    (item,) = r.json()["items"]
    assert (item["version"], item["status"], item["pending_version"]) == (1, "actief", 2)
    # The concept's new party is not yet a party of the current version.
    r = await client.get("/v1/convenants", params={"organisation": "mondriaan"}, headers=admin)
    assert r.json()["items"] == []
    r = await client.get("/v1/convenants", params={"organisation": "woonpunt"}, headers=admin)
    assert [c["id"] for c in r.json()["items"]] == [active["id"]]


async def test_patch_on_concept_edits_in_place(
    client: httpx.AsyncClient, admin: dict[str, str], create: Create
) -> None:
    c = await create()
    r = await client.patch(f"/v1/convenants/{c['id']}", headers=admin, json={
        "title": "  Convenant PGA MH  ", "retention_months": 36, "case_types": ["ijam"],
        "purposes": ["zicht op elkaar", "samenhangende aanpak"], "legal_basis": "Wgs",
        "valid_from": "2026-01-01", "valid_until": "2026-12-31",
        "parties": [{"organisation": "zvh-mh", "role": "kernpartner", "data_categories": ["zorg", "identificatie"]},
                    {"organisation": "mondriaan", "role": "casuspartner", "data_categories": ["zorg"]}],
    })
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["id"], body["version"], body["status"]) == (c["id"], 1, "concept")
    assert body["title"] == "Convenant PGA MH"
    assert body["retention_months"] == 36 and body["case_types"] == ["ijam"] and body["legal_basis"] == "Wgs"
    assert body["purposes"] == ["zicht op elkaar", "samenhangende aanpak"]
    assert (body["valid_from"], body["valid_until"]) == ("2026-01-01", "2026-12-31")
    assert body["parties"] == [
        {"organisation": "mondriaan", "role": "casuspartner", "data_categories": ["zorg"]},
        {"organisation": "zvh-mh", "role": "kernpartner", "data_categories": ["identificatie", "zorg"]},
    ]
    r = await client.get(f"/v1/convenants/{c['id']}/versions", headers=admin)
    assert r.json()["items"] == [body]
    # A partial PATCH keeps the other fields.
    r = await client.patch(f"/v1/convenants/{c['id']}", headers=admin, json={"retention_months": 12})
    assert r.json() == body | {"retention_months": 12}


async def test_activate_and_terminate(client: httpx.AsyncClient, admin: dict[str, str], create: Create) -> None:
    c = await create()
    r = await client.post(f"/v1/convenants/{c['id']}/activate", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "actief" and r.json()["activated_at"] and r.json()["version"] == 1
    r = await client.post(f"/v1/convenants/{c['id']}/activate", headers=admin)
    assert r.status_code == 409, r.text  # nothing left to activate

    r = await client.post(f"/v1/convenants/{c['id']}/terminate", json={"reason": "  samenwerking beëindigd "},
                          headers=admin)
    assert r.status_code == 200, r.text
    ended = r.json()
    assert (ended["status"], ended["termination_reason"], ended["version"]) == ("beeindigd",
                                                                                "samenwerking beëindigd", 1)
    assert ended["ended_at"]
    r = await client.get(f"/v1/convenants/{c['id']}", headers=admin)
    assert r.json() == ended

    for method, path, body in [
        ("POST", "/terminate", {"reason": "nogmaals"}),
        ("POST", "/activate", None),
        ("PATCH", "", {"title": "Herleven"}),
    ]:
        r = await call(client, method, f"/v1/convenants/{c['id']}{path}", body, admin)
        assert r.status_code == 409, (path, r.text)
        assert r.headers["content-type"].startswith(PROBLEM_JSON)


async def test_terminate_needs_an_active_version(client: httpx.AsyncClient, admin: dict[str, str],
                                                 create: Create) -> None:
    c = await create()
    r = await client.post(f"/v1/convenants/{c['id']}/terminate", json={"reason": "nooit actief"}, headers=admin)
    assert r.status_code == 409, r.text
    r = await client.get(f"/v1/convenants/{c['id']}", headers=admin)
    assert r.json()["status"] == "concept"


async def test_terminate_also_ends_a_pending_concept(client: httpx.AsyncClient, admin: dict[str, str],
                                                     create: Create) -> None:
    c = await create(activate=True)
    r = await client.patch(f"/v1/convenants/{c['id']}", json={"title": "Versie 2"}, headers=admin)
    assert r.json()["version"] == 2
    r = await client.post(f"/v1/convenants/{c['id']}/terminate", json={"reason": "gestopt"}, headers=admin)
    assert r.status_code == 200 and r.json()["version"] == 1
    r = await client.get(f"/v1/convenants/{c['id']}/versions", headers=admin)
    assert [(v["version"], v["status"]) for v in r.json()["items"]] == [(1, "beeindigd"), (2, "beeindigd")]
    r = await client.post(f"/v1/convenants/{c['id']}/activate", headers=admin)
    assert r.status_code == 409, r.text


async def test_activation_needs_two_parties(client: httpx.AsyncClient, admin: dict[str, str], create: Create) -> None:
    c = await create(parties=[{"organisation": "zvh-mh", "role": "kernpartner", "data_categories": ["wonen"]}])
    r = await client.post(f"/v1/convenants/{c['id']}/activate", headers=admin)
    assert r.status_code == 409, r.text
    problem = r.json()
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert problem["status"] == 409 and "two parties" in problem["detail"]
    assert problem["errors"][0]["loc"] == ["parties"]
    r = await client.get(f"/v1/convenants/{c['id']}", headers=admin)
    assert r.json()["status"] == "concept"


async def test_activation_needs_a_period_that_is_not_over(client: httpx.AsyncClient, admin: dict[str, str],
                                                          create: Create) -> None:
    c = await create(valid_from="2020-01-01", valid_until="2020-12-31")
    r = await client.post(f"/v1/convenants/{c['id']}/activate", headers=admin)
    assert r.status_code == 409, r.text
    assert r.json()["errors"][0]["loc"] == ["valid_until"]


@pytest.mark.parametrize(("name", "method", "path", "body"), [e for e in ENDPOINTS if "{id}" in e[2]],
                         ids=[e[0] for e in ENDPOINTS if "{id}" in e[2]])
async def test_unknown_id_is_404(client: httpx.AsyncClient, admin: dict[str, str], name: str, method: str,
                                 path: str, body: dict[str, Any] | None) -> None:
    r = await call(client, method, path.format(id=RANDOM_ID), body, admin)
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)


# --- authentication and roles -----------------------------------------------------------------


@pytest.mark.parametrize(("name", "method", "path", "body"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
async def test_without_token_401(client: httpx.AsyncClient, create: Create, name: str, method: str, path: str,
                                 body: dict[str, Any] | None) -> None:
    c = await create(activate=True)
    r = await call(client, method, path.format(id=c["id"]), body)
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)


OTHER_ROLES = [r.value for r in Role if r is not Role.beheerder]


@pytest.mark.parametrize(("name", "method", "path", "body"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
async def test_only_beheerder_may(client: httpx.AsyncClient, auth: TokenFactory, create: Create, name: str,
                                  method: str, path: str, body: dict[str, Any] | None) -> None:
    c = await create(activate=name != "activate")  # activation needs a concept to activate
    url = path.format(id=c["id"])
    statuses = {role: (await call(client, method, url, body, auth("zvh-mh", role))).status_code
                for role in OTHER_ROLES}
    assert statuses == dict.fromkeys(OTHER_ROLES, 403)
    # Nothing changed: the convenant is still as it was, and the only one.
    admin = auth("zvh-mh", "beheerder")
    r = await client.get(f"/v1/convenants/{c['id']}/versions", headers=admin)
    assert r.json()["items"] == [c]
    r = await client.get("/v1/convenants", headers=admin)
    assert [x["id"] for x in r.json()["items"]] == [c["id"]]
    # And the beheerder may.
    r = await call(client, method, url, body, admin)
    assert r.status_code == (201 if name == "create" else 200), r.text


# --- validation -------------------------------------------------------------------------------

BAD_PARTY = {"organisation": "onbekend", "role": "casuspartner", "data_categories": ["wonen"]}
ZVH = {"organisation": "zvh-mh", "role": "kernpartner", "data_categories": ["identificatie"]}
WOONPUNT = {"organisation": "woonpunt", "role": "casuspartner", "data_categories": ["wonen"]}

# (name, body changes, expected loc in `errors`). Used for POST (merged into a valid body) and PATCH.
BAD_FIELDS: list[tuple[str, dict[str, Any], list[Any]]] = [
    ("unknown organisation", {"parties": [ZVH, BAD_PARTY]}, ["body", "parties", 1, "organisation"]),
    ("duplicate party", {"parties": [ZVH, WOONPUNT, ZVH | {"role": "casuspartner"}]},
     ["body", "parties", 2, "organisation"]),
    ("unknown category", {"parties": [ZVH, WOONPUNT | {"data_categories": ["wonen", "bsn"]}]},
     ["body", "parties", 1, "data_categories", 1]),
    ("duplicate category", {"parties": [ZVH, WOONPUNT | {"data_categories": ["wonen", "wonen"]}]},
     ["body", "parties", 1, "data_categories", 1]),
    ("no categories", {"parties": [ZVH, WOONPUNT | {"data_categories": []}]},
     ["body", "parties", 1, "data_categories"]),
    ("unknown party role", {"parties": [ZVH | {"role": "meelezer"}, WOONPUNT]}, ["body", "parties", 0, "role"]),
    ("extra field in party", {"parties": [ZVH | {"bsn": "1"}, WOONPUNT]}, ["body", "parties", 0, "bsn"]),
    ("unknown case type", {"case_types": ["woonoverlast", "onbekend"]}, ["body", "case_types", 1]),
    ("duplicate case type", {"case_types": ["ijam", "ijam"]}, ["body", "case_types", 1]),
    ("no case types", {"case_types": []}, ["body", "case_types"]),
    ("valid_until before valid_from", {"valid_from": "2025-06-01", "valid_until": "2025-05-31"},
     ["body", "valid_until"]),
    ("valid_until equals valid_from", {"valid_from": "2025-06-01", "valid_until": "2025-06-01"},
     ["body", "valid_until"]),
    ("not a date", {"valid_from": "1 januari"}, ["body", "valid_from"]),
    ("retention 0", {"retention_months": 0}, ["body", "retention_months"]),
    ("retention 601", {"retention_months": 601}, ["body", "retention_months"]),
    ("no purposes", {"purposes": []}, ["body", "purposes"]),
    ("empty purpose", {"purposes": ["  "]}, ["body", "purposes", 0]),
    ("empty title", {"title": " "}, ["body", "title"]),
    ("empty legal basis", {"legal_basis": ""}, ["body", "legal_basis"]),
    ("extra field", {"bsn": "123456782"}, ["body", "bsn"]),
]


def assert_422(r: httpx.Response, loc: list[Any]) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    problem = r.json()
    assert problem["type"] == "urn:casusregie:problem:validation-error"
    assert loc in [e["loc"] for e in problem["errors"]], problem["errors"]


CREATE_CASES = [
    *BAD_FIELDS,
    ("code not a slug", {"code": "PGA 2025"}, ["body", "code"]),
    ("missing title", {"title": None}, ["body", "title"]),
]


@pytest.mark.parametrize(("case", "changes", "loc"), CREATE_CASES, ids=[c[0] for c in CREATE_CASES])
async def test_create_422(client: httpx.AsyncClient, admin: dict[str, str], case: str, changes: dict[str, Any],
                          loc: list[Any]) -> None:
    body = convenant_body(**changes)
    body = {k: v for k, v in body.items() if v is not None}
    r = await client.post("/v1/convenants", json=body, headers=admin)
    assert_422(r, loc)
    r = await client.get("/v1/convenants", headers=admin)
    assert r.json()["items"] == []


PATCH_CASES = [
    *BAD_FIELDS,
    ("code may not change", {"code": "nieuw"}, ["body", "code"]),
    ("null title", {"title": None}, ["body", "title"]),
    ("valid_until before the existing valid_from", {"valid_until": "2024-12-31"}, ["body", "valid_until"]),
    ("valid_from after the existing valid_until", {"valid_from": "2028-01-01"}, ["body", "valid_until"]),
    ("nothing to change", {}, ["body"]),
]


@pytest.mark.parametrize("activate", [False, True], ids=["concept", "active"])
@pytest.mark.parametrize(("case", "changes", "loc"), PATCH_CASES, ids=[c[0] for c in PATCH_CASES])
async def test_patch_422(client: httpx.AsyncClient, admin: dict[str, str], create: Create, activate: bool,
                         case: str, changes: dict[str, Any], loc: list[Any]) -> None:
    c = await create(activate=activate)
    r = await client.patch(f"/v1/convenants/{c['id']}", json=changes, headers=admin)
    assert_422(r, loc)
    r = await client.get(f"/v1/convenants/{c['id']}/versions", headers=admin)
    assert r.json()["items"] == [c]


@pytest.mark.parametrize(("case", "body", "loc"), [
    ("missing reason", {}, ["body", "reason"]),
    ("empty reason", {"reason": ""}, ["body", "reason"]),
    ("blank reason", {"reason": "   "}, ["body", "reason"]),
    ("reason not a string", {"reason": 12}, ["body", "reason"]),
    ("extra field", {"reason": "klaar", "per": "2026-01-01"}, ["body", "per"]),
    ("no body", None, ["body"]),
])
async def test_terminate_422(client: httpx.AsyncClient, admin: dict[str, str], create: Create, case: str,
                             body: dict[str, Any] | None, loc: list[Any]) -> None:
    c = await create(activate=True)
    r = await client.post(f"/v1/convenants/{c['id']}/terminate", json=body, headers=admin)
    assert_422(r, loc)
    r = await client.get(f"/v1/convenants/{c['id']}", headers=admin)
    assert r.json()["status"] == "actief"


@pytest.mark.parametrize(("params", "loc"), [
    ({"status": "geldig"}, ["query", "status"]),
    ({"case_type": "onbekend"}, ["query", "case_type"]),
    ({"limit": 0}, ["query", "limit"]),
    ({"cursor": "!!"}, ["query", "cursor"]),
])
async def test_list_422(client: httpx.AsyncClient, admin: dict[str, str], params: dict[str, Any],
                        loc: list[Any]) -> None:
    assert_422(await client.get("/v1/convenants", params=params, headers=admin), loc)


async def test_malformed_id_422(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    assert_422(await client.get("/v1/convenants/not-a-uuid", headers=admin), ["path", "convenant_id"])
