"""Who serves a data-subject request (app/access/subjects.py): the care and safety house's auditor (the Wgs
contactpunt), nobody else, and a partner's auditor neither (a request answers for every partner). The access
matrix of the three endpoints, every refusal audited as denied; bad input is a 422 naming the fields."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from app.config import Settings
from tests.audit_helpers import audit_rows
from tests.conftest import make_settings
from tests.subjects.conftest import BSN_P, P, People

OPERATIONS = ("search", "access-log", "access-log csv", "export", "unknown id", "address id")
SERVED = {"search": 200, "access-log": 200, "access-log csv": 200, "export": 200, "unknown id": 404,
          "address id": 404}
REFUSED = dict.fromkeys(OPERATIONS, 403)  # decided before any look-up: a refusal tells nothing about the person
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("zvh-mh", "auditor"): SERVED,
    ("politie", "auditor"): REFUSED,  # a partner's auditor: its own staff's entries in GET /v1/audit only
    ("gemeente", "auditor"): REFUSED,
    ("woonpunt", "auditor"): REFUSED,
    ("nergens", "auditor"): REFUSED,  # an organisation that is not registered
    ("zvh-mh", "procesregisseur"): REFUSED,
    ("zvh-mh", "beheerder"): REFUSED,
    ("gemeente", "bestuurder"): REFUSED,
    ("politie", "casusregisseur"): REFUSED,
    ("politie", "medewerker"): REFUSED,
    ("politie", "melder"): REFUSED,
}


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url)


@pytest.mark.parametrize(("org", "role"), list(MATRIX), ids=[f"{o}-{r}" for o, r in MATRIX])
async def test_subject_request_matrix(people: People, db_url: str, org: str, role: str) -> None:
    client, h = people.world.client, people.world.h(org, role, sub=f"caller@{org}")
    person = people.p_rows[0]
    got = {
        "search": await client.post("/v1/subjects/search", json={"bsn": BSN_P}, headers=h),
        "access-log": await client.get(f"/v1/subjects/{person}/access-log", headers=h),
        "access-log csv": await client.get(f"/v1/subjects/{person}/access-log", headers=h | {"Accept": "text/csv"}),
        "export": await client.get(f"/v1/subjects/{person}/export", headers=h),
        "unknown id": await client.get(f"/v1/subjects/{uuid.uuid4()}/export", headers=h),
        "address id": await client.get(f"/v1/subjects/{people.head}/access-log", headers=h),
    }
    assert {name: r.status_code for name, r in got.items()} == MATRIX[(org, role)]
    for r in got.values():
        if r.status_code >= 400:
            assert r.headers["content-type"].startswith("application/problem+json")
            assert BSN_P not in r.text and P["name"] not in r.text
    entries = [e for e in await audit_rows(db_url) if e.actor_sub == f"caller@{org}"]
    denied = [e for e in entries if e.outcome == "denied"]
    assert len(denied) == sum(1 for r in got.values() if r.status_code >= 400)
    assert {e.action for e in denied} <= {"subject:access_log", "subject:export"}
    allowed = sorted(e.action for e in entries if e.outcome == "allowed")
    assert allowed == (sorted(["subject:search", "subject:access_log", "subject:access_log", "subject:export"])
                       if MATRIX[(org, role)] is SERVED else [])


async def test_without_a_token_it_is_401(people: People) -> None:
    client = people.world.client
    assert (await client.post("/v1/subjects/search", json={"bsn": BSN_P})).status_code == 401
    assert (await client.get(f"/v1/subjects/{people.p_rows[0]}/access-log")).status_code == 401
    assert (await client.get(f"/v1/subjects/{people.p_rows[0]}/export")).status_code == 401


@pytest.mark.parametrize(("body", "locs"), [
    ({}, [["body", "name"], ["body", "birth_date"]]),
    ({"bsn": "111222334"}, [["body", "bsn"]]),  # the elfproef fails
    ({"bsn": "12345678"}, [["body", "bsn"]]),
    ({"bsn": BSN_P, "name": P["name"]}, [["body", "name"]]),
    ({"name": P["name"]}, [["body", "birth_date"]]),
    ({"birth_date": P["birth_date"]}, [["body", "name"]]),
    ({"name": P["name"], "birth_date": "1 april"}, [["body", "birth_date"]]),
    ({"name": " ", "birth_date": P["birth_date"]}, [["body", "name"]]),
    ({"bsn": BSN_P, "colour": "blue"}, [["body", "colour"]]),
])
async def test_a_bad_search_is_422_naming_the_fields(people: People, db_url: str, body: dict[str, Any],
                                                     locs: list[list[str]]) -> None:
    r = await people.world.client.post("/v1/subjects/search", json=body, headers=people.auditor)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["loc"] for e in r.json()["errors"]] == locs
    if "bsn" in body:
        assert body["bsn"] not in r.text  # never echoed back
    written = str([(e.detail, e.object_id, e.subject_ids) for e in await audit_rows(db_url)])
    assert BSN_P not in written and "111222334" not in written and P["name"] not in written


@pytest.mark.parametrize(("path", "params", "loc"), [
    ("/v1/subjects/not-an-id/access-log", {}, ["path", "subject_id"]),
    ("/v1/subjects/not-an-id/export", {}, ["path", "subject_id"]),
    ("/v1/subjects/{person}/access-log", {"limit": "0"}, ["query", "limit"]),
    ("/v1/subjects/{person}/access-log", {"cursor": "nonsense"}, ["query", "cursor"]),
    ("/v1/subjects/{person}/access-log", {"subject_id": "x"}, ["query", "subject_id"]),
    ("/v1/subjects/{person}/export", {"limit": "5"}, ["query", "limit"]),
])
async def test_bad_reads_are_422_naming_the_field(people: People, path: str, params: dict[str, str],
                                                  loc: list[str]) -> None:
    r = await people.world.client.get(path.format(person=people.p_rows[0]), params=params, headers=people.auditor)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert loc in [e["loc"] for e in r.json()["errors"]]
