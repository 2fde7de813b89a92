"""Edges of the HTTP contract that fuzzing (tests/schemathesis) found: each answer is documented and 4xx.

- a body that is not even text is the same mistake as malformed JSON: 400 (unreadable; 422 is for read but invalid);
- a 405 names every method the path serves in `Allow`;
- a value PostgreSQL cannot store or compare (a NUL character, a number or date beyond its range) is a
  422, not a 500;
- what the schema promises is what validation checks: If-Match has a format, texts are measured as
  sent and whitespace alone is refused, periods are RFC 3339, optional parameters are not "nullable".
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.cli import openapi_document
from tests.conftest import IS_PG
from tests.world import World


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Any) -> World:
    return await World(client, auth).setup()


def _problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status
    return body


async def test_undecodable_body_is_400_like_malformed_json(world: World) -> None:
    r = await world.client.post("/v1/cases", content=b"\xff\xfe{\x00", headers=world.regisseur
                                | {"content-type": "application/json"})
    body = _problem(r, 400)
    assert body["errors"][0]["type"] == "json_invalid"


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("OPTIONS", "/v1/cases/3fa85f64-5717-4562-b3fc-2c963f66afa6", "GET, PATCH"),
    ("DELETE", "/v1/cases", "GET, POST"),
    ("PUT", "/v1/cases/3fa85f64-5717-4562-b3fc-2c963f66afa6/participants/politie", "DELETE"),
])
async def test_405_allows_every_method_of_the_path(client: httpx.AsyncClient, method: str, path: str,
                                                   allow: str) -> None:
    r = await client.request(method, path)
    _problem(r, 405)
    assert r.headers["allow"] == allow


# (query, status on SQLite, status on PostgreSQL): PostgreSQL stores no NUL, so it refuses it (422, never a
# 500); SQLite compares it as given and finds nothing (200). A bound that is year 0 in UTC is refused as
# input on both (a period is compared in UTC).
REFUSED_VALUES: list[tuple[dict[str, str], int, int]] = [
    ({"subject_id": "a\x00b"}, 200, 422),
    ({"actor": "\x00"}, 200, 422),
    ({"cursor": "eyJzZXEiOjF9" + "MDAw"}, 422, 422),
    ({"to": "0001-01-01T00:00:00+01:00"}, 422, 422),
]


@pytest.mark.parametrize(("query", "on_sqlite", "on_pg"), REFUSED_VALUES)
async def test_values_the_database_refuses_are_422_not_500(world: World, query: dict[str, str], on_sqlite: int,
                                                           on_pg: int) -> None:
    r = await world.client.get("/v1/audit", params=query, headers=world.h("zvh-mh", "auditor"))
    expected = on_pg if IS_PG else on_sqlite
    if expected == 200:
        assert r.status_code == 200, r.text
        assert r.json() == {"items": [], "next_cursor": None}
    else:
        _problem(r, expected)


async def test_audit_cursor_beyond_bigint_is_422(world: World) -> None:
    # {"seq": 99999999999999999999999999}
    r = await world.client.get("/v1/audit", params={"cursor": "eyJzZXEiOjk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5fQ"},
                               headers=world.h("zvh-mh", "auditor"))
    assert _problem(r, 422)["errors"][0]["loc"] == ["query", "cursor"]


async def test_plan_version_beyond_the_schema_is_422(world: World) -> None:
    case = await world.case("ijam")
    r = await world.client.get(f"/v1/cases/{case['id']}/plan", params={"version": 8370934209},
                               headers=world.regisseur)
    assert _problem(r, 422)["errors"][0]["loc"] == ["query", "version"]


@pytest.mark.parametrize(("if_match", "status"), [
    ('"1"', 200), ('W/"1"', 200), ("1", 200), ("*", 200), ('"2"', 412), ("", 422), ("null", 422), ('"1", "2"', 422),
])
async def test_if_match_has_the_format_the_schema_states(world: World, if_match: str, status: int) -> None:
    case = await world.case("ijam")
    r = await world.client.patch(f"/v1/cases/{case['id']}", json={"title": "nieuw"},
                                 headers=world.regisseur | {"If-Match": if_match})
    assert r.status_code == status, r.text
    if status == 422:
        assert _problem(r, 422)["errors"][0]["loc"] == ["header", "If-Match"]


async def test_text_is_measured_as_sent_and_stored_stripped(world: World) -> None:
    case = await world.case("ijam", title="  Casus met spaties  ")
    assert case["title"] == "Casus met spaties"
    r = await world.client.patch(f"/v1/cases/{case['id']}", json={"title": "   "}, headers=world.regisseur)
    assert _problem(r, 422)["errors"][0]["type"] == "value_error"
    r = await world.client.patch(f"/v1/cases/{case['id']}", json={"title": " " + "x" * 200},
                                 headers=world.regisseur)
    assert _problem(r, 422)["errors"][0]["type"] == "string_too_long"


@pytest.mark.parametrize(("value", "status"), [
    ("2020-01-01T10:00:00Z", 200), ("2020-01-01T10:00:00.5+02:00", 200),
    ("0.5", 422), ("1700000000", 422), ("2020-01-01", 422), ("2020-01-01T10:00:00", 422),
])
async def test_audit_period_is_rfc3339(world: World, value: str, status: int) -> None:
    r = await world.client.get("/v1/audit", params={"from": value}, headers=world.h("zvh-mh", "auditor"))
    assert r.status_code == status, r.text


def test_no_parameter_is_nullable_in_the_contract() -> None:
    nullable = [
        f"{method.upper()} {path} {p['name']}"
        for path, item in openapi_document()["paths"].items()
        for method, operation in item.items()
        for p in operation.get("parameters", [])
        if {"type": "null"} in p.get("schema", {}).get("anyOf", [])
    ]
    assert nullable == []
