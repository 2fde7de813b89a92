"""The access matrix: each role x each organisation situation x each action -> the expected outcome.

One world per situation. Organisation X (`woonpunt`, a housing corporation) is the caller; under its
convenant C_x it may see `identificatie` and `wonen`. The ZVH (zvh-mh) opens the case and stays able
to work through a second convenant (C_main). The tables below are literal: a row of expectations per
role for the situation where X may see the case, and one where it may not; the situations table
says which applies. Zero unexpected allows.

`procesregisseur` and `bestuurder` are roles of municipal (and ZVH) staff (policies/roles.yaml
`organisation_kinds`): X's tokens claiming them act as if without them. Those two roles are taken
through every situation by G (`gemeente-buur`, a neighbouring municipality), which stands where X
stands: party to C_x with the same categories and invited with it.

A second table (OTHER_CALLERS) takes other callers through the same actions on one case whose regie
lies with ggz: the opening ZVH, the regie holder, a gemeente taking part, a party that does not, and
tokens with two roles. `create_case` (POST /v1/cases) is in both: it needs the role and an active
convenant covering the case type, not participation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from app.kit import clock
from tests.world import ALL_CATEGORIES, ORGANISATIONS, SUBJECTS, World

X = "woonpunt"
G = "gemeente-buur"
X_CATEGORIES = ["identificatie", "wonen"]
ROLES = ["melder", "beheerder", "auditor", "medewerker", "bestuurder", "casusregisseur", "procesregisseur"]
# The callers of the situation matrix, as (organisation, role); the table rows are keyed "role@organisation".
# G's procesregisseur last: its writes succeed and change the case.
CALLERS = [(X, r) for r in ROLES] + [(G, "bestuurder"), (G, "procesregisseur")]

# Outcomes: an HTTP status, or for lists "listed"/"absent", for note reads "shown"/"hidden".
NOTE_ACTIONS = [f"read_notes_{c}" for c in ALL_CATEGORIES]
READ_ACTIONS = [
    "read_case",
    "list_cases",
    "list_participants",
    "read_history",
    "list_transitions",
    "read_plan",
    "plan_versions",
    *NOTE_ACTIONS,
]
WRITE_ACTIONS = [
    "write_note_wonen",
    "write_note_zorg",
    "write_plan",
    "patch_case",
    "fire_trigger",
    "invite_participant",
    "remove_participant",
    "create_case",
]


def _notes(outcome: str, shown: list[str]) -> dict[str, Any]:
    return {
        f"read_notes_{c}": ("shown" if c in shown else "hidden") if outcome == "ok" else outcome for c in ALL_CATEGORIES
    }


# X may see the case (party to a valid convenant covering the type, and a participant).
VISIBLE: dict[str, dict[str, Any]] = {
    f"melder@{X}": {
        "read_plan": 404,
        "plan_versions": 404,
        "write_plan": 404,
        "remove_participant": 404,
        "read_case": 404,
        "list_cases": 403,
        "list_participants": 404,
        "read_history": 404,
        "list_transitions": 404,
        **_notes(404, []),
        "write_note_wonen": 404,
        "write_note_zorg": 404,
        "patch_case": 404,
        "fire_trigger": 404,
        "invite_participant": 404,
        "create_case": 403,
    },
    f"beheerder@{X}": {
        "read_plan": 404,
        "plan_versions": 404,
        "write_plan": 404,
        "remove_participant": 404,
        "read_case": 404,
        "list_cases": 403,
        "list_participants": 404,
        "read_history": 404,
        "list_transitions": 404,
        **_notes(404, []),
        "write_note_wonen": 404,
        "write_note_zorg": 404,
        "patch_case": 404,
        "fire_trigger": 404,
        "invite_participant": 404,
        "create_case": 403,
    },
    f"auditor@{X}": {
        "read_plan": 404,
        "plan_versions": 404,
        "write_plan": 404,
        "remove_participant": 404,
        "read_case": 404,
        "list_cases": 403,
        "list_participants": 404,
        "read_history": 404,
        "list_transitions": 404,
        **_notes(404, []),
        "write_note_wonen": 404,
        "write_note_zorg": 404,
        "patch_case": 404,
        "fire_trigger": 404,
        "invite_participant": 404,
        "create_case": 403,
    },
    f"medewerker@{X}": {
        "read_plan": 200,
        "plan_versions": 200,
        "write_plan": 403,
        "remove_participant": 403,
        "read_case": 200,
        "list_cases": "listed",
        "list_participants": 200,
        "read_history": 200,
        "list_transitions": 200,
        **_notes("ok", X_CATEGORIES),
        "write_note_wonen": 201,
        "write_note_zorg": 403,
        "patch_case": 403,
        "fire_trigger": 403,
        "invite_participant": 403,
        "create_case": 403,
    },
    f"bestuurder@{G}": {
        "read_plan": 200,
        "plan_versions": 200,
        "write_plan": 403,
        "remove_participant": 403,
        "read_case": 200,
        "list_cases": "listed",
        "list_participants": 200,
        "read_history": 200,
        "list_transitions": 200,
        **_notes(403, []),
        "write_note_wonen": 403,
        "write_note_zorg": 403,
        "patch_case": 403,
        "fire_trigger": 403,
        "invite_participant": 403,
        "create_case": 403,
    },
    # X does not hold regie, so its casusregisseur may not change the case or fire its triggers.
    f"casusregisseur@{X}": {
        "read_plan": 200,
        "plan_versions": 200,
        "write_plan": 403,
        "remove_participant": 403,
        "read_case": 200,
        "list_cases": "listed",
        "list_participants": 200,
        "read_history": 200,
        "list_transitions": 200,
        **_notes("ok", X_CATEGORIES),
        "write_note_wonen": 201,
        "write_note_zorg": 403,
        "patch_case": 403,
        "fire_trigger": 403,
        "invite_participant": 403,
        "create_case": 403,
    },
    f"procesregisseur@{G}": {
        "read_plan": 200,
        "plan_versions": 200,
        "write_plan": 200,
        "remove_participant": 204,
        "read_case": 200,
        "list_cases": "listed",
        "list_participants": 200,
        "read_history": 200,
        "list_transitions": 200,
        **_notes("ok", X_CATEGORIES),
        "write_note_wonen": 201,
        "write_note_zorg": 403,
        "patch_case": 200,
        "fire_trigger": 200,
        "invite_participant": 201,
        "create_case": 201,
    },
}

# A role the caller's organisation may not hold counts for nothing: X's procesregisseur and bestuurder claims
# act as a token without a case role (the melder's row: the case does not exist for them, lists and POST 403).
VISIBLE[f"procesregisseur@{X}"] = VISIBLE[f"bestuurder@{X}"] = VISIBLE[f"melder@{X}"]

# X may not see the case: it does not exist for X (404), and lists leave it out.
HIDDEN: dict[str, dict[str, Any]] = {
    caller: {
        "read_case": 404,
        "list_cases": "absent" if caller in {f"medewerker@{X}", f"casusregisseur@{X}", f"bestuurder@{G}",
                                             f"procesregisseur@{G}"} else 403,
        "list_participants": 404,
        "read_history": 404,
        "list_transitions": 404,
        **_notes(404, []),
        "write_note_wonen": 404,
        "write_note_zorg": 404,
        "patch_case": 404,
        "fire_trigger": 404,
        "invite_participant": 404,
        "read_plan": 404,
        "plan_versions": 404,
        "write_plan": 404,
        "remove_participant": 404,
        "create_case": 403,
    }
    for caller in [f"{r}@{o}" for o, r in CALLERS]
}

# POST /v1/cases by G's procesregisseur, per situation: a party to an active, valid convenant covering ijam
# may open one whether or not it takes part in this case. (Other roles: 403, they lack case:create.)
CREATE_CASE = {
    "party_and_participant": 201,
    "party_not_participant": 201,
    "participant_no_longer_party": 403,
    "no_convenant_at_all": 403,
    "convenant_terminated": 403,
    "convenant_expired": 403,
    "convenant_not_yet_valid": 403,
    "convenant_covers_other_case_type": 403,
}

SITUATIONS: dict[str, bool] = {
    "party_and_participant": True,
    "party_not_participant": False,
    "participant_no_longer_party": False,
    "no_convenant_at_all": False,
    "convenant_terminated": False,
    "convenant_expired": False,
    "convenant_not_yet_valid": False,
    "convenant_covers_other_case_type": False,
}


async def _build(world: World, situation: str) -> dict[str, Any]:
    """The world for one situation; returns the case (opened by the ZVH) and the note ids per category."""
    await world.organisations({**ORGANISATIONS, G: "gemeente"})
    await world.convenant(
        "c-main", parties={"zvh-mh": ALL_CATEGORIES, "gemeente": ["identificatie"], "ggz": ["identificatie", "zorg"]}
    )
    c_x: str | None = None
    frozen_at: datetime | None = None
    valid = {"valid_from": "2020-01-01", "valid_until": "2099-12-31"}
    if situation == "convenant_expired":
        valid, frozen_at = {"valid_from": "2021-01-01", "valid_until": "2024-12-31"}, datetime(2024, 6, 1, tzinfo=UTC)
    elif situation == "convenant_not_yet_valid":
        valid, frozen_at = {"valid_from": "2030-01-01", "valid_until": "2035-12-31"}, datetime(2031, 6, 1, tzinfo=UTC)
    invite = situation not in {"party_not_participant", "no_convenant_at_all"}

    async def setup() -> dict[str, Any]:
        nonlocal c_x
        if situation != "no_convenant_at_all":
            c_x = await world.convenant(
                "c-x",
                case_types=["ijam", "woonoverlast"],
                parties={"zvh-mh": ["identificatie"], X: X_CATEGORIES, G: X_CATEGORIES},
                **valid,
            )
        case = await world.case("ijam", participants=("gemeente", X, G) if invite else ("gemeente",))
        r = await world.client.put(
            f"/v1/cases/{case['id']}/plan",
            headers=world.regisseur,
            json={"summary": "plan", "actions": [{"description": "Huisbezoek", "organisation": "zvh-mh"}]},
        )
        assert r.status_code == 200, r.text
        return case

    if frozen_at is not None:
        # Build at a moment when C_x is valid; the checks run at the real date, outside its period.
        with clock.frozen(frozen_at):
            case = await setup()
    else:
        case = await setup()
    notes = {}
    for category in ALL_CATEGORIES:
        r = await world.client.post(
            f"/v1/cases/{case['id']}/notes", json={"category": category, "text": "x"}, headers=world.regisseur
        )
        assert r.status_code == 201, r.text
        notes[category] = r.json()["id"]
    if situation == "convenant_terminated":
        r = await world.client.post(
            f"/v1/convenants/{c_x}/terminate", json={"reason": "beëindigd"}, headers=world.beheerder
        )
        assert r.status_code == 200, r.text
    elif situation in {"participant_no_longer_party", "convenant_covers_other_case_type"}:
        change: dict[str, Any] = (
            {
                "parties": [
                    {"organisation": "zvh-mh", "role": "kernpartner", "data_categories": ["identificatie"]},
                    {"organisation": "gemeente", "role": "casuspartner", "data_categories": ["identificatie"]},
                ]
            }
            if situation == "participant_no_longer_party"
            else {"case_types": ["woonoverlast"]}
        )
        r = await world.client.patch(f"/v1/convenants/{c_x}", json=change, headers=world.beheerder)
        assert r.status_code == 200, r.text
        r = await world.client.post(f"/v1/convenants/{c_x}/activate", headers=world.beheerder)
        assert r.status_code == 200, r.text
    return {"case": case, "notes": notes}


def _actions(
    world: World, built: dict[str, Any], *, invitee: str = "ggz", removed: str = "gemeente"
) -> dict[str, Callable[[dict[str, str]], Awaitable[Any]]]:
    c = world.client
    cid = built["case"]["id"]
    base = f"/v1/cases/{cid}"

    async def status_of(resp: Awaitable[httpx.Response]) -> int:
        return (await resp).status_code

    async def listed(h: dict[str, str]) -> Any:
        r = await c.get("/v1/cases", headers=h)
        if r.status_code != 200:
            return r.status_code
        return "listed" if any(i["id"] == cid for i in r.json()["items"]) else "absent"

    def note_reader(category: str) -> Callable[[dict[str, str]], Awaitable[Any]]:
        async def read(h: dict[str, str]) -> Any:
            r = await c.get(f"{base}/notes", headers=h)
            if r.status_code != 200:
                return r.status_code
            ids = {n["id"] for n in r.json()["items"]}
            return "shown" if built["notes"][category] in ids else "hidden"

        return read

    return {
        "read_case": lambda h: status_of(c.get(base, headers=h)),
        "list_cases": listed,
        "list_participants": lambda h: status_of(c.get(f"{base}/participants", headers=h)),
        "read_history": lambda h: status_of(c.get(f"{base}/history", headers=h)),
        "list_transitions": lambda h: status_of(c.get(f"{base}/transitions", headers=h)),
        **{f"read_notes_{cat}": note_reader(cat) for cat in ALL_CATEGORIES},
        "write_note_wonen": lambda h: status_of(
            c.post(f"{base}/notes", json={"category": "wonen", "text": "n"}, headers=h)
        ),
        "write_note_zorg": lambda h: status_of(
            c.post(f"{base}/notes", json={"category": "zorg", "text": "n"}, headers=h)
        ),
        "patch_case": lambda h: status_of(c.patch(base, json={"title": "Nieuwe titel"}, headers=h)),
        "fire_trigger": lambda h: status_of(
            c.post(
                f"{base}/transitions",
                headers=h,
                json={"trigger": "opschalen", "reason": "zorgen nemen toe", "data": {}},
            )
        ),
        "invite_participant": lambda h: status_of(
            c.post(f"{base}/participants", json={"organisation": invitee}, headers=h)
        ),
        "read_plan": lambda h: status_of(c.get(f"{base}/plan", headers=h)),
        "plan_versions": lambda h: status_of(c.get(f"{base}/plan/versions", headers=h)),
        "write_plan": lambda h: status_of(
            c.put(
                f"{base}/plan",
                headers=h,
                json={"summary": "nieuw", "actions": [{"description": "Gesprek", "organisation": "zvh-mh"}]},
            )
        ),
        "remove_participant": lambda h: status_of(c.delete(f"{base}/participants/{removed}", headers=h)),
        "create_case": lambda h: status_of(
            c.post("/v1/cases", json={"case_type": "ijam", "title": "Nieuwe casus", "subjects": [SUBJECTS["ijam"]]},
                   headers=h)
        ),
    }


@pytest.mark.parametrize("situation", list(SITUATIONS))
async def test_case_access_matrix(client: httpx.AsyncClient, auth: Any, situation: str) -> None:
    world = World(client, auth)
    built = await _build(world, situation)
    actions = _actions(world, built)
    expected_table = VISIBLE if SITUATIONS[situation] else HIDDEN
    mismatches = []
    for org, role in CALLERS:
        caller = f"{role}@{org}"
        headers = auth(org, role, sub=caller)
        for action in READ_ACTIONS + WRITE_ACTIONS:
            got = await actions[action](headers)
            want = expected_table[caller][action]
            if action == "create_case" and caller == f"procesregisseur@{G}":
                want = CREATE_CASE[situation]
            if got != want:
                mismatches.append(f"{situation} / {caller} / {action}: expected {want}, got {got}")
    assert not mismatches, "\n".join(mismatches)


async def test_decisions_are_audited_with_the_convenant_version(
    client: httpx.AsyncClient, auth: Any, db_url: str
) -> None:
    from tests.audit_helpers import audit_rows

    world = World(client, auth)
    built = await _build(world, "party_and_participant")
    cid = built["case"]["id"]
    c_x = world.convenants["c-x"]
    await client.get(f"/v1/cases/{cid}", headers=auth(X, "medewerker", sub="mw-x"))
    await client.patch(f"/v1/cases/{cid}", json={"title": "t"}, headers=auth(X, "medewerker", sub="mw-x"))
    await client.get(f"/v1/cases/{cid}", headers=auth("politie", "medewerker", sub="mw-pol"))
    rows = await audit_rows(db_url)
    read = [r for r in rows if r.actor_sub == "mw-x" and r.action == "case:read"]
    assert len(read) == 1 and read[0].outcome == "allowed"
    assert str(read[0].convenant_id) == c_x and read[0].convenant_version == 1
    assert read[0].legal_basis == "Wgs - PGA complexe casuistiek"
    assert [str(s) for s in read[0].subject_ids] and str(read[0].case_id) == cid
    denied = [r for r in rows if r.actor_sub == "mw-x" and r.action == "case:update"]
    assert len(denied) == 1 and denied[0].outcome == "denied" and denied[0].convenant_id is None
    hidden = [r for r in rows if r.actor_sub == "mw-pol"]
    assert len(hidden) == 1 and hidden[0].outcome == "denied" and hidden[0].convenant_id is None


async def test_ending_access_takes_effect_on_the_next_request(client: httpx.AsyncClient, auth: Any) -> None:
    world = World(client, auth)
    built = await _build(world, "party_and_participant")
    cid = built["case"]["id"]
    reader = auth(X, "medewerker")
    assert (await client.get(f"/v1/cases/{cid}", headers=reader)).status_code == 200
    r = await client.delete(f"/v1/cases/{cid}/participants/{X}", headers=world.regisseur)
    assert r.status_code == 204
    assert (await client.get(f"/v1/cases/{cid}", headers=reader)).status_code == 404
    r = await client.post(f"/v1/cases/{cid}/participants", json={"organisation": X}, headers=world.regisseur)
    assert r.status_code == 201
    assert (await client.get(f"/v1/cases/{cid}", headers=reader)).status_code == 200
    # Passing valid_until: no restart, no job; the next request is refused.
    with clock.frozen(datetime(2100, 1, 2, tzinfo=UTC)):
        assert (await client.get(f"/v1/cases/{cid}", headers=reader)).status_code == 404
    assert (await client.get(f"/v1/cases/{cid}", headers=reader)).status_code == 200


# --- other callers ---------------------------------------------------------------------------------
# One case of type ijam opened by the ZVH, regie with ggz, gemeente taking part; politie is a party to the
# convenant but not a participant. What each caller's organisation may see under C_main:
O_CATEGORIES = {
    "zvh-mh": ALL_CATEGORIES,
    "gemeente": ["identificatie", "sociaal_domein"],
    "ggz": ["identificatie", "zorg"],
    "politie": ["identificatie", "politie"],
}
REGIE = "ggz"
NOT_PARTICIPATING = "politie"


def _row(*, reads: Any, notes: Any, writes: dict[str, Any], create: int, listed: str = "listed") -> dict[str, Any]:
    """A caller's expected outcomes: `reads` for the case's read endpoints, `notes` as for _notes."""
    read_actions = ["read_case", "list_participants", "read_history", "list_transitions", "read_plan", "plan_versions"]
    return {**dict.fromkeys(read_actions, reads), "list_cases": listed, **notes, **writes, "create_case": create}


def _writes(note_wonen: Any, note_zorg: Any, plan: Any, patch: Any, fire: Any, invite: Any, remove: Any
            ) -> dict[str, Any]:
    return {"write_note_wonen": note_wonen, "write_note_zorg": note_zorg, "write_plan": plan, "patch_case": patch,
            "fire_trigger": fire, "invite_participant": invite, "remove_participant": remove}


NO_CASE_ROLE = _row(reads=404, notes=_notes(404, []), writes=_writes(*[404] * 7), create=403, listed=403)
NOT_A_PARTICIPANT = _row(reads=404, notes=_notes(404, []), writes=_writes(*[404] * 7), create=403, listed="absent")

# caller: (organisation, roles, expected outcome per action). Procesregisseurs invite politie, then remove it.
OTHER_CALLERS: dict[str, tuple[str, tuple[str, ...], dict[str, Any]]] = {
    "opener procesregisseur": ("zvh-mh", ("procesregisseur",), _row(
        reads=200, notes=_notes("ok", ALL_CATEGORIES), writes=_writes(201, 201, 200, 200, 200, 201, 204),
        create=201)),
    "opener medewerker": ("zvh-mh", ("medewerker",), _row(
        reads=200, notes=_notes("ok", ALL_CATEGORIES), writes=_writes(201, 201, 403, 403, 403, 403, 403),
        create=403)),
    # A casusregisseur of the opening organisation, which does not hold regie: notes yes, changes no.
    "opener casusregisseur": ("zvh-mh", ("casusregisseur",), _row(
        reads=200, notes=_notes("ok", ALL_CATEGORIES), writes=_writes(201, 201, 403, 403, 403, 403, 403),
        create=403)),
    # The regie holder's casusregisseur changes the case, its plan and fires its content triggers.
    "regie holder casusregisseur": (REGIE, ("casusregisseur",), _row(
        reads=200, notes=_notes("ok", O_CATEGORIES[REGIE]), writes=_writes(403, 201, 200, 200, 200, 403, 403),
        create=403)),
    "regie holder medewerker": (REGIE, ("medewerker",), _row(
        reads=200, notes=_notes("ok", O_CATEGORIES[REGIE]), writes=_writes(403, 201, 403, 403, 403, 403, 403),
        create=403)),
    "gemeente procesregisseur": ("gemeente", ("procesregisseur",), _row(
        reads=200, notes=_notes("ok", O_CATEGORIES["gemeente"]), writes=_writes(403, 403, 200, 200, 200, 201, 204),
        create=201)),
    "gemeente medewerker": ("gemeente", ("medewerker",), _row(
        reads=200, notes=_notes("ok", O_CATEGORIES["gemeente"]), writes=_writes(403, 403, 403, 403, 403, 403, 403),
        create=403)),
    "gemeente bestuurder": ("gemeente", ("bestuurder",), _row(
        reads=200, notes=_notes(403, []), writes=_writes(403, 403, 403, 403, 403, 403, 403), create=403)),
    "party not participating, medewerker": (NOT_PARTICIPATING, ("medewerker",), NOT_A_PARTICIPANT),
    # Roles the organisation's kind may not hold (procesregisseur: zvh/gemeente, bestuurder: gemeente) count for
    # nothing, participating or not; next to another role, that role's rights stay. (A procesregisseur of a party
    # that does not take part: G in the situation matrix.)
    "party not participating, claims procesregisseur": (NOT_PARTICIPATING, ("procesregisseur",), NO_CASE_ROLE),
    "regie holder claims procesregisseur": (REGIE, ("procesregisseur",), NO_CASE_ROLE),
    "regie holder claims bestuurder": (REGIE, ("bestuurder",), NO_CASE_ROLE),
    "regie holder claims procesregisseur, and casusregisseur": (REGIE, ("procesregisseur", "casusregisseur"), _row(
        reads=200, notes=_notes("ok", O_CATEGORIES[REGIE]), writes=_writes(403, 201, 200, 200, 200, 403, 403),
        create=403)),
    # Two roles: what either allows (the first that allows an action decides it), never less.
    "two roles: regie holder medewerker and casusregisseur": (REGIE, ("medewerker", "casusregisseur"), _row(
        reads=200, notes=_notes("ok", O_CATEGORIES[REGIE]), writes=_writes(403, 201, 200, 200, 200, 403, 403),
        create=403)),
    "two roles: auditor and medewerker": ("zvh-mh", ("auditor", "medewerker"), _row(
        reads=200, notes=_notes("ok", ALL_CATEGORIES), writes=_writes(201, 201, 403, 403, 403, 403, 403),
        create=403)),
    "two roles: gemeente bestuurder and medewerker": ("gemeente", ("bestuurder", "medewerker"), _row(
        reads=200, notes=_notes("ok", O_CATEGORIES["gemeente"]), writes=_writes(403, 403, 403, 403, 403, 403, 403),
        create=403)),
    "two roles, neither with case access": ("zvh-mh", ("melder", "beheerder"), NO_CASE_ROLE),
}


async def _build_other(world: World) -> dict[str, Any]:
    await world.organisations()
    await world.convenant("c-main", parties=O_CATEGORIES)
    case = await world.case("ijam", participants=("gemeente",), regie_organisation=REGIE)
    assert case["regie_organisation"] == REGIE
    r = await world.client.get(f"/v1/cases/{case['id']}/participants", headers=world.regisseur)
    assert {p["organisation"] for p in r.json()["items"]} == {"zvh-mh", REGIE, "gemeente"}
    r = await world.client.put(
        f"/v1/cases/{case['id']}/plan",
        headers=world.regisseur,
        json={"summary": "plan", "actions": [{"description": "Huisbezoek", "organisation": "zvh-mh"}]},
    )
    assert r.status_code == 200, r.text
    notes = {}
    for category in ALL_CATEGORIES:
        r = await world.client.post(
            f"/v1/cases/{case['id']}/notes", json={"category": category, "text": "x"}, headers=world.regisseur
        )
        assert r.status_code == 201, r.text
        notes[category] = r.json()["id"]
    return {"case": case, "notes": notes}


def test_other_callers_table_is_complete() -> None:
    for caller, (_, _, expected) in OTHER_CALLERS.items():
        assert set(expected) == set(READ_ACTIONS + WRITE_ACTIONS), caller


@pytest.mark.parametrize("caller", list(OTHER_CALLERS))
async def test_case_access_matrix_other_callers(client: httpx.AsyncClient, auth: Any, caller: str) -> None:
    world = World(client, auth)
    built = await _build_other(world)
    actions = _actions(world, built, invitee=NOT_PARTICIPATING, removed=NOT_PARTICIPATING)
    org, roles, expected = OTHER_CALLERS[caller]
    headers = auth(org, *roles, sub=f"{caller}@{org}")
    mismatches = []
    for action in READ_ACTIONS + WRITE_ACTIONS:
        got = await actions[action](headers)
        if got != expected[action]:
            mismatches.append(f"{caller} / {action}: expected {expected[action]}, got {got}")
    assert not mismatches, "\n".join(mismatches)
