"""The headers the OpenAPI document declares are the headers sent (issue 13 item 4), in both directions: for each
response of a walk through the API, the contract headers it carries are exactly those its operation and status
declare. Plus the API-Version header of the Logius ADR on every answer, errors and non-/v1 paths included."""

from __future__ import annotations

import re
from typing import Any

import httpx

from app import API_VERSION
from app.api.contract_headers import RESPONSE_HEADERS
from app.main import create_app
from tests.signals.conftest import new_key, signal_body
from tests.world import World


def _operations(document: dict[str, Any]) -> list[tuple[str, re.Pattern[str], dict[str, Any]]]:
    out = []
    for path, item in document["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")
        for method, operation in item.items():
            out.append((method.upper(), pattern, operation))
    return out


def _declared(operations: list[Any], response: httpx.Response) -> set[str]:
    request = response.request
    for method, pattern, operation in operations:
        if method == request.method and pattern.match(request.url.path):
            declared = operation["responses"].get(str(response.status_code))
            assert declared is not None, (request.method, request.url.path, response.status_code)
            return set(declared.get("headers", {}))
    raise AssertionError(f"no operation for {request.method} {request.url.path}")


async def test_declared_headers_are_the_sent_headers(client: httpx.AsyncClient, auth: Any, settings: Any) -> None:
    document = create_app(settings).openapi()
    operations = _operations(document)
    world = await World(client, auth).setup()
    seen: list[httpx.Response] = []

    async def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
        r = await client.request(method, path, **kwargs)
        seen.append(r)
        return r

    reg = world.regisseur
    case = (await call("POST", "/v1/cases", json={"case_type": "ijam", "title": "t", "subjects": [
        {"type": "persoon", "name": "Jongere Een", "birth_date": "2009-03-03"}]}, headers=reg)).json()
    cid = case["id"]
    etag = (await call("GET", f"/v1/cases/{cid}", headers=reg)).headers["etag"]
    etag = (await call("PATCH", f"/v1/cases/{cid}", json={"title": "u"}, headers=reg | {"If-Match": etag})
            ).headers["etag"]
    etag = (await call("POST", f"/v1/cases/{cid}/transitions", json={"trigger": "opschalen", "reason": "r",
                                                                      "data": {}}, headers=reg | {"If-Match": etag})
            ).headers["etag"]
    etag = (await call("POST", f"/v1/cases/{cid}/participants", json={"organisation": "politie"},
                       headers=reg | {"If-Match": etag})).headers["etag"]
    etag = (await call("PUT", f"/v1/cases/{cid}/plan", json={"summary": "p", "actions": [
        {"description": "Gesprek", "organisation": "zvh-mh"}]}, headers=reg | {"If-Match": etag})).headers["etag"]
    await call("DELETE", f"/v1/cases/{cid}/participants/politie", headers=reg | {"If-Match": etag})
    await call("PATCH", f"/v1/cases/{cid}", json={"title": "v"}, headers=reg | {"If-Match": etag})  # stale: 412
    await call("POST", f"/v1/cases/{cid}/notes", json={"category": "wonen", "text": "n"}, headers=reg)
    for path in ("/notes", "/history", "/participants", "/transitions", "/plan", "/plan/versions"):
        await call("GET", f"/v1/cases/{cid}{path}", headers=reg)
    mid = (await call("POST", "/v1/meetings", json={"meeting_type": "casusoverleg", "title": "m",
                                                    "scheduled_at": "2026-12-10T09:00:00Z"}, headers=reg)).json()["id"]
    item = (await call("POST", f"/v1/meetings/{mid}/agenda", json={"case_id": cid}, headers=reg)).json()["id"]
    await call("POST", f"/v1/meetings/{mid}/agenda/{item}/decisions", headers=reg,
               json={"text": "b", "data_category": "wonen", "attendees": ["zvh-mh"]})
    for path in ("", "/besluitenlijst"):
        await call("GET", f"/v1/meetings/{mid}{path}", headers=reg)
    await call("GET", "/v1/meetings", headers=reg)
    await call("PATCH", f"/v1/meetings/{mid}", json={"status": "vastgesteld"}, headers=reg | {"If-Match": "*"})
    await call("GET", "/v1/cases", headers=reg)
    group = (await call("POST", "/v1/cases", json={"case_type": "jeugdgroep", "title": "g", "subjects": [
        {"type": "groep", "name": "De Hoek"}]}, headers=reg)).json()["id"]
    member = (await call("POST", f"/v1/cases/{group}/members", json={"name": "Lid"},
                         headers=reg | {"If-Match": "*"})).json()["id"]
    await call("DELETE", f"/v1/cases/{group}/members/{member}", headers=reg | {"If-Match": "*"})
    await call("GET", "/v1/cases/00000000-0000-0000-0000-000000000000", headers=reg)  # 404
    await call("GET", "/v1/cases", headers={"Authorization": "Bearer nonsense"})  # 401
    await call("GET", "/v1/cases", params={"limit": 0}, headers=reg)  # 422
    await call("POST", "/v1/organisations", json={"code": "buur", "name": "Buur", "kind": "gemeente"},
               headers=world.beheerder)
    await call("GET", "/v1/organisations/buur", headers=world.beheerder)
    await call("POST", "/v1/convenants", json={
        "code": "c2", "title": "C", "case_types": ["ijam"], "purposes": ["p"], "legal_basis": "Wgs",
        "valid_from": "2025-01-01", "valid_until": "2030-01-01", "retention_months": 12,
        "parties": [{"organisation": "zvh-mh", "role": "kernpartner", "data_categories": ["identificatie"]}]},
        headers=world.beheerder)
    melder = world.h("politie", "melder")
    key = new_key()
    for _ in range(2):  # a new signal, then its replay
        await call("POST", "/v1/signals", json=signal_body(), headers=melder | {"Idempotency-Key": key})
    await call("GET", "/v1/workflows", headers=reg)
    await call("GET", "/v1/audit", headers=world.h("zvh-mh", "auditor"))
    await call("GET", "/healthz")
    await call("GET", "/v1/audit/public-key")

    contract = {name.lower() for name in RESPONSE_HEADERS}
    statuses = {r.status_code for r in seen}
    assert {200, 201, 204, 401, 404, 412, 422} <= statuses
    for r in seen:
        assert r.headers["api-version"] == API_VERSION, r.request.url
        sent = {name for name in r.headers if name in contract}
        declared = {name.lower() for name in _declared(operations, r)}
        assert sent == declared, (r.request.method, r.request.url.path, r.status_code, sent, declared)


async def test_api_version_is_the_documents_version_and_on_answers_outside_the_routes(
    client: httpx.AsyncClient, settings: Any
) -> None:
    assert create_app(settings).openapi()["info"]["version"] == API_VERSION
    assert API_VERSION.split(".")[0] == "1"  # the major is the /v1 of the paths
    for r in (await client.get("/nowhere"), await client.get("/openapi.json")):
        assert r.headers["api-version"] == API_VERSION


def test_every_case_and_meeting_write_requires_if_match_in_the_document(settings: Any) -> None:
    document = create_app(settings).openapi()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if_match = [p for p in operation.get("parameters", []) if p.get("name") == "If-Match"]
            write = (path.startswith("/v1/cases/{case_id}") and method in {"patch", "put", "delete"}) or (
                method == "post" and path.endswith(("/transitions", "/participants", "/members",
                                                          "/retention-extension"))) or (
                path == "/v1/meetings/{meeting_id}" and method == "patch")
            assert bool(if_match) == write, (method, path)
            if write:
                assert if_match[0]["required"] is True and "428" in operation["responses"]


async def test_the_document_is_public_and_readable_from_any_origin(client: httpx.AsyncClient, settings: Any) -> None:
    for path in ("/openapi.json", "/v1/openapi.json"):
        r = await client.get(path, headers={"Origin": "https://portal.other.example"})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
        assert r.json() == create_app(settings).openapi()
        assert r.json()["servers"] == [{"url": "/", "description": "The deployment serving this document"}]


def test_every_request_body_has_an_example(settings: Any) -> None:
    # Each example is checked against its schema by Redocly in scripts/lint-openapi (CI); here, that none is missing.
    document = create_app(settings).openapi()
    missing = [(method, path) for path, item in document["paths"].items() for method, op in item.items()
               if "requestBody" in op and not op["requestBody"]["content"]["application/json"].get("examples")]
    assert missing == []


def test_ladder_shapes_are_in_the_document(settings: Any) -> None:
    schemas = create_app(settings).openapi()["components"]["schemas"]
    fire = schemas["TransitionRequest"]["discriminator"]["mapping"]
    escaleren = schemas[fire["escaleren"].rsplit("/", 1)[1]]["properties"]["data"]
    assert escaleren == {"$ref": "#/components/schemas/Escaleren"}
    assert schemas["Escaleren"]["required"] == ["escalatiereden"]
    opschalen = schemas[fire["opschalen"].rsplit("/", 1)[1]]["properties"]["data"]["anyOf"]
    assert {"$ref": "#/components/schemas/NoData"} in opschalen  # lower tiers take none, to pga the criteria
    by_type = schemas["CaseOut"]["discriminator"]["mapping"]
    assert set(by_type) == {"jeugdgroep", "woonoverlast", "ex_gedetineerde", "radicalisering", "ijam"}
    woonoverlast = schemas[by_type["woonoverlast"].rsplit("/", 1)[1]]
    assert woonoverlast["properties"]["details"] == {"$ref": "#/components/schemas/WoonoverlastDetails"}
    assert "ave_fase" in schemas["WoonoverlastDetails"]["properties"]
