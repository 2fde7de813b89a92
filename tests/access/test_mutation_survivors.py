"""Access rules that a mutation run (issue 10, item 0) could change without any test noticing.

Each test names the change it catches. Seen through the API: what a caller may see of a case or a
signal, that every refusal lands in the audit log, and that a policies file that does not match the
vocabulary refuses to start.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from app.access import PolicyError
from app.main import create_app
from tests.audit_helpers import audit_rows
from tests.conftest import make_settings
from tests.signals.conftest import person, post_signal, signal_body
from tests.world import ALL_CATEGORIES, SUBJECTS, World

POLICIES = Path(__file__).resolve().parents[2] / "policies"


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Any) -> World:
    return await World(client, auth).setup()


async def _status(world: World, path: str, headers: dict[str, str]) -> int:
    return (await world.client.get(path, headers=headers)).status_code


# --- which cases a caller sees ----------------------------------------------------------------------------


async def test_taking_part_in_one_case_shows_no_other_case_of_its_type(world: World) -> None:
    """Single-case access is decided for that case: not "takes part in some case of this type"."""
    mine = await world.case("ijam", participants=("politie",))
    other = await world.case("ijam")  # same type, same convenant; politie takes no part
    politie = world.h("politie", "medewerker")
    assert await _status(world, f"/v1/cases/{mine['id']}", politie) == 200
    for path in ("", "/history", "/participants", "/notes", "/plan"):
        assert await _status(world, f"/v1/cases/{other['id']}{path}", politie) == 404, path
    listed = (await world.client.get("/v1/cases", headers=politie)).json()["items"]
    assert [c["id"] for c in listed] == [mine["id"]]


async def test_matches_name_only_cases_the_caller_may_see(world: World) -> None:
    """A procesregisseur's signal receipt lists open cases on the same subject only where its organisation
    takes part (`readable_cases` limits the match query)."""
    case = await world.case("woonoverlast")  # the ZVH's case on the address of signal_body()
    gemeente = world.h("gemeente", "procesregisseur")

    def case_matches(r: httpx.Response) -> list[str]:
        assert r.status_code == 201, r.text
        return [m["id"] for m in r.json()["matches"] if m["kind"] == "casus"]

    assert case_matches(await post_signal(world.client, gemeente, signal_body())) == []
    assert case_matches(await post_signal(world.client, world.regisseur, signal_body())) == [case["id"]]

    r = await world.client.post(f"/v1/cases/{case['id']}/participants", json={"organisation": "gemeente"},
                                headers=world.regisseur)
    assert r.status_code == 201, r.text
    assert case_matches(await post_signal(world.client, gemeente, signal_body())) == [case["id"]]


async def test_a_related_case_must_be_one_the_opener_may_see(world: World) -> None:
    case = await world.case("woonoverlast")
    gemeente = world.h("gemeente", "procesregisseur")
    body = {"case_type": "woonoverlast", "title": "t", "subjects": [SUBJECTS["woonoverlast"]],
            "related_case_id": case["id"]}
    r = await world.client.post("/v1/cases", json=body, headers=gemeente)
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["errors"]] == [["body", "related_case_id"]]
    listed = (await world.client.get("/v1/cases", headers=world.regisseur)).json()["items"]
    assert [c["id"] for c in listed] == [case["id"]]  # nothing stored


# --- every refusal is audited ---------------------------------------------------------------------------


async def _denied(db_url: str) -> list[Any]:
    return await audit_rows(db_url, outcome="denied")


async def test_a_request_for_a_case_that_does_not_exist_is_audited(world: World, db_url: str) -> None:
    missing = uuid.uuid4()
    r = await world.client.get(f"/v1/cases/{missing}", headers=world.h("politie", "medewerker", sub="agent-1"))
    assert r.status_code == 404, r.text
    [entry] = await _denied(db_url)
    assert (entry.actor_sub, entry.action, entry.object_type, entry.object_id, entry.case_id, entry.detail) == (
        "agent-1", "case:read", "case", str(missing), missing, {"reason": "not found"})


async def test_a_trigger_not_for_the_callers_role_is_refused_and_audited(world: World, db_url: str) -> None:
    case = await world.case("ijam", participants=("politie",))
    subject_ids = sorted(s["id"] for s in case["subjects"])
    # ijam: only a procesregisseur closes a case; a medewerker may fire transitions, but not this one.
    r = await world.fire(case["id"], "afsluiten", headers=world.h("politie", "medewerker", sub="agent-1"))
    assert r.status_code == 403, r.text
    [entry] = await _denied(db_url)
    assert (entry.actor_sub, entry.actor_role, entry.action, entry.object_id, str(entry.case_id), entry.detail) == (
        "agent-1", "medewerker", "case:transition", case["id"], case["id"],
        {"reason": "trigger afsluiten not for your role"})
    assert sorted(entry.subject_ids) == subject_ids
    state = (await world.client.get(f"/v1/cases/{case['id']}", headers=world.regisseur)).json()["state"]
    assert state == case["state"]


async def test_a_note_in_a_category_the_convenant_does_not_grant_is_refused_and_audited(
    world: World, db_url: str
) -> None:
    case = await world.case("woonoverlast", participants=("woonpunt",))
    r = await world.client.post(f"/v1/cases/{case['id']}/notes", json={"category": "zorg", "text": "x"},
                                headers=world.h("woonpunt", "medewerker", sub="corp-1"))
    assert r.status_code == 403, r.text
    [entry] = await _denied(db_url)
    assert (entry.actor_sub, entry.action, entry.object_type, str(entry.case_id), entry.detail) == (
        "corp-1", "note:create", "note", case["id"], {"reason": "category zorg not covered"})
    assert sorted(entry.subject_ids) == sorted(s["id"] for s in case["subjects"])


async def test_opening_a_case_without_a_covering_convenant_is_audited(world: World, db_url: str) -> None:
    body = {"case_type": "ijam", "title": "t", "subjects": [SUBJECTS["ijam"]]}
    # A municipality that is party to no convenant: its kind may hold the role, the convenant is what is missing.
    r = await world.client.post("/v1/organisations", json={"code": "buur", "name": "Buur", "kind": "gemeente"},
                                headers=world.beheerder)
    assert r.status_code == 201, r.text
    r = await world.client.post("/v1/cases", json=body, headers=world.h("buur", "procesregisseur", sub="buur-1"))
    assert r.status_code == 403, r.text
    [entry] = await _denied(db_url)
    assert (entry.actor_sub, entry.actor_org, entry.action, entry.object_type, entry.detail) == (
        "buur-1", "buur", "case:create", "case", {"reason": "no convenant for case type"})


async def test_reading_the_policies_is_audited(client: httpx.AsyncClient, auth: Any, db_url: str) -> None:
    r = await client.get("/v1/policies", headers=auth("politie", "medewerker", sub="agent-1"))
    assert r.status_code == 200, r.text
    entries = await audit_rows(db_url, action="policy:read")
    assert [(e.actor_sub, e.actor_role, e.object_type, e.outcome) for e in entries] == [
        ("agent-1", "medewerker", "policy", "allowed")]


# --- which signals a care and safety house sees -----------------------------------------------------------


async def test_a_zvh_sees_partners_signals_only_for_case_types_a_convenant_covers(
    client: httpx.AsyncClient, auth: Any
) -> None:
    """One convenant, woonoverlast only. The ZVH sees politie's woonoverlast signal (a shared convenant covers
    it) and the school's (a sender bound by no convenant, the type covered for the ZVH), but neither's ijam
    signal: no convenant of the ZVH covers ijam."""
    world = World(client, auth)
    await world.organisations()
    await world.convenant("alleen-wo", case_types=["woonoverlast"],
                          parties={"zvh-mh": ALL_CATEGORIES, "politie": ["identificatie", "wonen", "politie"]})
    visible, hidden = [], []
    for org in ("politie", "school"):
        melder = world.h(org, "melder")
        visible.append((await post_signal(client, melder, signal_body())).json()["id"])
        hidden.append((await post_signal(client, melder, signal_body(case_type_hint="ijam",
                                                                     subject=person(None)))).json()["id"])
    for signal_id in visible:
        assert await _status(world, f"/v1/signals/{signal_id}", world.regisseur) == 200
    for signal_id in hidden:
        assert await _status(world, f"/v1/signals/{signal_id}", world.regisseur) == 404
    queue = (await client.get("/v1/signals", headers=world.regisseur)).json()["items"]
    assert sorted(s["id"] for s in queue) == sorted(visible)


# --- a policies file that does not match the vocabulary refuses to start ------------------------------------


def _drop_action(doc: dict[str, Any], action: str) -> None:
    doc["actions"].remove(action)
    for spec in doc["roles"].values():
        if action in spec["actions"]:
            spec["actions"].remove(action)


BAD_ROLES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    # nobody could ever be granted subject:export, silently
    ("an action of the vocabulary left out", lambda d: _drop_action(d, "subject:export"), "actions must be exactly"),
    ("a role the vocabulary does not know", lambda d: d["roles"].update(stagiair={"actions": ["case:read"]}),
     "roles mismatch"),
    ("a role naming an unknown action", lambda d: d["roles"]["medewerker"]["actions"].append("case:delete"),
     "unknown actions"),
    ("regie_bound naming an action the role does not have",
     lambda d: d["roles"]["casusregisseur"]["regie_bound"].append("case:create"), "not among its actions"),
]


@pytest.mark.parametrize(("name", "edit", "message"), BAD_ROLES, ids=[b[0] for b in BAD_ROLES])
def test_a_policies_file_that_does_not_match_the_vocabulary_refuses_to_start(
    tmp_path: Path, name: str, edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(POLICIES, policies)
    doc = yaml.safe_load((policies / "roles.yaml").read_text(encoding="utf-8"))
    edit(doc)
    (policies / "roles.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}", policies_dir=policies)
    with pytest.raises(PolicyError, match=message):
        create_app(settings)
