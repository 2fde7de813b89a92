"""Who may do what with a meeting (the access matrix): each role x each organisation situation x each endpoint.

The world: a casusoverleg chaired (and organised) by the ZVH, to which politie, woonpunt and the gemeente are
invited, with two cases on its agenda: A (woonoverlast; woonpunt and politie take part) and B (radicalisering;
politie and the gemeente take part, woonpunt not). ggz is a convenant party but not invited. Each invited
organisation sees only the items of the cases it may read; a meeting its organisation is not invited to is 404;
every refusal is a denied attempt in the audit log.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.audit_helpers import audit_rows
from tests.meetings.conftest import plan_meeting, put_on_agenda
from tests.world import World

OPS = ("list", "get", "besluitenlijst", "patch", "agenda", "decide", "create")
READER = {"list": 200, "get": 200, "besluitenlijst": 200, "patch": 403, "agenda": 403, "decide": 403, "create": 403}
MANAGER = {"list": 200, "get": 200, "besluitenlijst": 200, "patch": 200, "agenda": 201, "decide": 201,
           "create": 201}
# Sees the meeting, may plan its own, but does not manage this one (neither chair nor organiser).
INVITED_REGISSEUR = READER | {"create": 201}
NOT_INVITED = {"list": 200, "get": 404, "besluitenlijst": 404, "patch": 404, "agenda": 404, "decide": 404,
               "create": 403}
REFUSED = dict.fromkeys(OPS, 403)

# (organisation, role) -> (statuses, the cases whose items it sees: "A", "B").
MATRIX: dict[tuple[str, str], tuple[dict[str, int], set[str]]] = {
    # chair ZVH
    ("zvh-mh", "procesregisseur"): (MANAGER, {"A", "B"}),
    ("zvh-mh", "casusregisseur"): (READER, {"A", "B"}),
    ("zvh-mh", "medewerker"): (READER, {"A", "B"}),
    ("zvh-mh", "melder"): (REFUSED, set()),
    ("zvh-mh", "beheerder"): (REFUSED, set()),
    ("zvh-mh", "auditor"): (REFUSED, set()),
    # invited partner that may read case A but not case B
    ("woonpunt", "medewerker"): (READER, {"A"}),
    ("woonpunt", "casusregisseur"): (READER, {"A"}),
    # a housing corporation's claimed procesregisseur or bestuurder is not honoured (app/access/binding.py)
    ("woonpunt", "procesregisseur"): (REFUSED, set()),
    ("woonpunt", "bestuurder"): (REFUSED, set()),
    ("woonpunt", "melder"): (REFUSED, set()),
    # invited partner that may read both
    ("politie", "medewerker"): (READER, {"A", "B"}),
    # not invited
    ("ggz", "medewerker"): (NOT_INVITED, set()),
    ("ggz", "casusregisseur"): (NOT_INVITED, set()),
    ("ggz", "auditor"): (REFUSED, set()),
    # gemeente: invited, takes part in case B only
    ("gemeente", "procesregisseur"): (INVITED_REGISSEUR, {"B"}),
    ("gemeente", "bestuurder"): (READER, {"B"}),
    ("gemeente", "medewerker"): (READER, {"B"}),
    ("gemeente", "casusregisseur"): (READER, {"B"}),
}


async def _world(world: World) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, str], str]:
    case_a = await world.case("woonoverlast", participants=("woonpunt", "politie"))
    case_b = await world.case("radicalisering", participants=("politie",))
    case_c = await world.case("ijam")
    meeting = await plan_meeting(world, invited=["politie", "woonpunt", "gemeente"])
    items = {"A": await put_on_agenda(world, meeting["id"], case_a["id"]),
             "B": await put_on_agenda(world, meeting["id"], case_b["id"])}
    return meeting, {"A": case_a, "B": case_b}, items, case_c["id"]


@pytest.mark.parametrize(("org", "role"), list(MATRIX), ids=[f"{o}-{r}" for o, r in MATRIX])
async def test_meeting_matrix(world: World, db_url: str, org: str, role: str) -> None:
    expected, sees = MATRIX[(org, role)]
    meeting, opened, items, case_c = await _world(world)
    cases = {k: c["id"] for k, c in opened.items()}
    mid = meeting["id"]
    h = world.h(org, role)
    c = world.client
    got: dict[str, httpx.Response] = {
        "list": await c.get("/v1/meetings", headers=h),
        "get": await c.get(f"/v1/meetings/{mid}", headers=h),
        "besluitenlijst": await c.get(f"/v1/meetings/{mid}/besluitenlijst", headers=h),
        "patch": await c.patch(f"/v1/meetings/{mid}", json={"title": "Nieuwe titel"},
                               headers=h | {"If-Match": "*"}),
        "agenda": await c.post(f"/v1/meetings/{mid}/agenda", json={"case_id": case_c}, headers=h),
        "decide": await c.post(f"/v1/meetings/{mid}/agenda/{items['A']}/decisions", headers=h, json={
            "text": "Huisbezoek door de corporatie", "data_category": "wonen", "attendees": ["zvh-mh", "woonpunt"]}),
        "create": await c.post("/v1/meetings", headers=h, json={
            "meeting_type": "ave_overleg", "title": "AVE-overleg", "scheduled_at": "2026-12-11T13:00:00Z"}),
    }
    assert {op: r.status_code for op, r in got.items()} == expected
    for r in got.values():
        if r.status_code >= 400:
            assert r.headers["content-type"].startswith("application/problem+json")
    names = {v: k for k, v in cases.items()}
    if expected["get"] == 200:
        shown = got["get"].json()
        assert {names[i["case_id"]] for i in shown["agenda"] if i["case_id"] in names} == sees
        lijst = got["besluitenlijst"].json()
        assert {names[i["case_id"]] for i in lijst["items"] if i["case_id"] in names} == sees
        # Nothing about a case it may not read: not its id, not its question.
        hidden = [cases[k] for k in {"A", "B"} - sees]
        assert not any(h_id in got["get"].text or h_id in got["besluitenlijst"].text for h_id in hidden)
        md = await c.get(f"/v1/meetings/{mid}/besluitenlijst", headers=h | {"Accept": "text/markdown"})
        assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
        assert {k for k, case in opened.items() if case["reference"] in md.text} == sees
    if expected["list"] == 200:
        listed = [m["id"] for m in got["list"].json()["items"]]
        assert (mid in listed) == (expected["get"] == 200)
        assert "agenda" not in got["list"].text

    entries = await audit_rows(db_url, actor_sub=f"{role}@{org}")
    meeting_entries = [e for e in entries if e.action.startswith("meeting:")]
    denied = [e for e in meeting_entries if e.outcome == "denied"]
    assert len(denied) == sum(1 for r in got.values() if r.status_code in (403, 404))
    if expected["get"] == 200:
        (read,) = [e for e in meeting_entries if e.action == "meeting:read" and e.outcome == "allowed"]
        # The read names the cases it revealed, and their subjects: those of the cases this caller may read.
        assert set(read.detail["case_ids"]) == {cases[k] for k in sees}
        assert bool(read.subject_ids) == bool(sees)
        lijst_reads = [e for e in meeting_entries if e.action == "meeting:besluitenlijst"]
        # (the Markdown read came after the writes: for the manager, with the agenda's third case)
        assert len(lijst_reads) == 2 and lijst_reads[0].subject_ids == read.subject_ids


async def test_without_a_token_it_is_401(world: World) -> None:
    for method, path in (("GET", "/v1/meetings"), ("POST", "/v1/meetings")):
        r = await world.client.request(method, path, json={})
        assert r.status_code == 401
