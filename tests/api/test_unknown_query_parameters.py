"""A query parameter an operation does not declare is a 422 naming it, never silently ignored (issue 15 item 4):
`?case_id=` on a list without that filter, or a misspelt `?stauts=`, would otherwise answer an unfiltered list
that the client takes for a filtered one. Every list endpoint, from a table checked against the contract; and
every other /v1 read as well (app/api/query.py applies to every /v1 operation)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.config import Settings
from tests.conftest import make_settings
from tests.signals.conftest import post_signal
from tests.world import World

DOCUMENT = json.loads((Path(__file__).resolve().parents[2] / "openapi" / "openapi.json").read_text())

# list path -> who reads it (organisation, role)
REGISSEUR = ("zvh-mh", "procesregisseur")
LISTS: dict[str, tuple[str, str]] = {
    "/v1/organisations": ("zvh-mh", "beheerder"),
    "/v1/convenants": ("zvh-mh", "beheerder"),
    "/v1/convenants/{convenant_id}/versions": ("zvh-mh", "beheerder"),
    "/v1/audit": ("zvh-mh", "auditor"),
    "/v1/audit/checkpoints": ("zvh-mh", "auditor"),
    "/v1/workflows": REGISSEUR,
    "/v1/cases": REGISSEUR,
    "/v1/cases/{case_id}/transitions": REGISSEUR,
    "/v1/cases/{case_id}/history": REGISSEUR,
    "/v1/cases/{case_id}/participants": REGISSEUR,
    "/v1/cases/{case_id}/notes": REGISSEUR,
    "/v1/cases/{case_id}/plan/versions": REGISSEUR,
    "/v1/cases/{case_id}/signals": REGISSEUR,
    "/v1/signals": REGISSEUR,
    "/v1/subscriptions": ("politie", "melder"),
    "/v1/subscriptions/{subscription_id}/deliveries": ("politie", "melder"),
    "/v1/work/actions": ("zvh-mh", "medewerker"),
    "/v1/work/cases": REGISSEUR,
    "/v1/meetings": REGISSEUR,
    "/v1/meetings/{meeting_id}/besluitenlijst": REGISSEUR,
    "/v1/subjects/{subject_id}/access-log": ("zvh-mh", "auditor"),
}


def _is_list(operation: dict[str, Any]) -> bool:
    schema = operation["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if schema.get("type") == "array":
        return True
    ref = schema.get("$ref", "")
    component = DOCUMENT["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
    return "items" in component.get("properties", {})


def test_the_table_holds_every_list_endpoint_of_the_contract() -> None:
    lists = {path for path, item in DOCUMENT["paths"].items() if "get" in item and _is_list(item["get"])}
    assert lists == set(LISTS)


@pytest.fixture
def settings(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("CASUSREGIE_WEBHOOK_ALLOW", "127.0.0.1")
    return make_settings(db_url)


@pytest.fixture
async def ids(client: httpx.AsyncClient, auth: Any) -> dict[str, str]:
    world = await World(client, auth).setup()
    case = await world.case("ijam", initial_state="netwerkoverleg")
    sent = await post_signal(client, world.h("politie", "melder"))
    t = await client.post(f"/v1/signals/{sent.json()['id']}/triage", headers=world.regisseur,
                          json={"decision": "nieuwe_casus", "case_type": "woonoverlast", "reason": "x"})
    assert t.status_code == 200, t.text
    sub = await client.post("/v1/subscriptions", headers=world.h("politie", "melder"),
                            json={"url": "http://127.0.0.1:9/hook", "event_types": ["case.created"]})
    assert sub.status_code == 201, sub.text  # nothing listens there: the subscription needs an allowed URL only
    meeting = await client.post("/v1/meetings", headers=world.regisseur, json={
        "meeting_type": "casusoverleg", "title": "Casusoverleg", "scheduled_at": "2026-12-10T09:00:00Z"})
    assert meeting.status_code == 201, meeting.text
    return {"case_id": case["id"], "convenant_id": world.convenants["pga"], "subscription_id": sub.json()["id"],
            "signal_id": sent.json()["id"], "code": "zvh-mh", "case_type": "ijam", "meeting_id": meeting.json()["id"],
            "subject_id": case["subjects"][0]["id"]}


@pytest.mark.parametrize("path", list(LISTS))
async def test_every_list_refuses_an_unknown_query_parameter(
    client: httpx.AsyncClient, auth: Any, ids: dict[str, str], path: str
) -> None:
    url = path.format(**ids)
    headers = auth(*LISTS[path])
    assert (await client.get(url, headers=headers)).status_code == 200
    declared = {p["name"] for p in DOCUMENT["paths"][path]["get"]["parameters"] if p.get("in") == "query"}
    # Beside a parameter the operation does declare, only the unknown one is named.
    beside = {"limit": "1"} if "limit" in declared else {}
    for params, unknown in (({"colour": "blue"}, ["colour"]), ({**beside, "stauts": "x"}, ["stauts"]),
                            ({"b": "1", "a": "2"}, ["a", "b"]), ({"LIMIT": "1"}, ["LIMIT"])):
        r = await client.get(url, params=params, headers=headers)
        assert r.status_code == 422, (path, params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert body["type"] == "urn:casusregie:problem:validation-error"
        assert [e["loc"] for e in body["errors"]] == [["query", name] for name in unknown]
        assert all(name in body["detail"] for name in unknown)


_PATH_PARAM = re.compile(r"{([a-z_]+)}")


@pytest.mark.parametrize("path", [p for p, item in DOCUMENT["paths"].items() if p.startswith("/v1/") and "get" in item])
async def test_every_v1_read_refuses_an_unknown_query_parameter(
    client: httpx.AsyncClient, auth: Any, path: str
) -> None:
    fill = {"case_type": "ijam", "code": "zvh-mh"}
    url = _PATH_PARAM.sub(lambda m: fill.get(m.group(1), str(uuid.uuid4())), path)
    r = await client.get(url, params={"colour": "blue"}, headers=auth("zvh-mh", "procesregisseur"))
    assert r.status_code == 422, (path, r.text)
    assert [e["loc"] for e in r.json()["errors"]] == [["query", "colour"]]


async def test_declared_parameters_still_validate_as_before(client: httpx.AsyncClient, auth: Any) -> None:
    r = await client.get("/v1/cases", params={"limit": "0"}, headers=auth("zvh-mh", "procesregisseur"))
    assert r.status_code == 422 and ["query", "limit"] in [e["loc"] for e in r.json()["errors"]]
