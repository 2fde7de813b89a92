"""Guard readiness (issue 15 item 5): each trigger on offer in GET /v1/cases/{id}/transitions says whether the case
lets it fire (`ready`) and, if not, what it lacks (`missing`), by the guards firing runs; only what the caller may
see is named. The request's own data is the caller's to send: a trigger that only needs data in its body is ready.

The acceptance test is a table over the demo data: every offered trigger, for every demo user that can list cases,
is fired (in a transaction rolled back afterwards) with minimal valid data for its `required_data`, and succeeds
exactly when it was offered as ready.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.audit import record as audit
from app.auth.principal import Principal
from app.auth.tokens import issue_dev_token
from app.cases import transitions
from app.cases.schemas import TransitionRequest
from app.demo import DEMO_USERS, prepare_demo
from app.kit.database import Database
from app.kit.errors import DomainError, GuardFailed, ValidationFailed
from app.main import create_app
from app.unit_of_work import unit_of_work
from app.workflows.engine import LADDERS, get_engine
from app.workflows.model import GuardContext
from tests.cases.test_level_owners import ESCALATIE, _ave_at, _without_gemeente_for_ave
from tests.conftest import make_settings
from tests.world import World

# A plausible expected release date today (app/workflows/release_dates.py).
RELEASE = (date.today() + timedelta(days=90)).isoformat()

# A valid value for every required data key of the demo's triggers, as a client would send it; where one key means
# different things on different ladders, (case_type, trigger, key) decides.
VALUES: dict[str, Any] = {
    "noodzaak": "Toename van incidenten",
    "groepsscan_datum": "2026-11-01",
    "groepsduiding": {"dynamiek": "hecht", "rollen": "twee leiders", "problematiek": "intimidatie"},
    "besluit_driehoek_datum": "2026-11-01",
    "evaluatie": "Doelen gehaald",
    "uitstroomreden": "verhuisd",
    "ave_fase": 3,
    "regie_organisation": "woonpunt",
    "criteria": {"a": True, "b": True, "c": True, "d": False},
    "escalatiereden": "oneenigheid",
    "besluit": "De corporatie zet de huur op",
    "datum": "2026-11-01",
    "status": "opgelegd",
    "verwachte_invrijheidstelling": RELEASE,
    "invrijheidstelling_datum": "2027-03-01",
    "delictcategorie": "geweld",
    "ontvangen_op": "2026-11-01",
    "maatregel": "Contactverbod",
    "weegcriteria": {"ideologie": "zorgelijk"},
    "motivering": "Besproken aan de weegtafel",
}
SPECIFIC: dict[tuple[str, str, str], Any] = {
    ("woonoverlast", "maatregel_registreren", "maatregel"): "gedragsaanwijzing",
}


def minimal_data(case_type: str, trigger: str, required: list[str]) -> dict[str, Any]:
    missing = [k for k in required if k not in VALUES and (case_type, trigger, k) not in SPECIFIC]
    assert not missing, f"no test value for {case_type}.{trigger} data {missing}"
    return {k: SPECIFIC.get((case_type, trigger, k), VALUES.get(k)) for k in required}


class _Undo(Exception):
    """Raised to roll a fired transition back: the next trigger is tried on the demo data as it was."""


async def _fire_and_undo(db: Database, principal: Principal, case_id: str, trigger: str,
                         data: dict[str, Any]) -> DomainError | None:
    """Fire as the API does (the service, then the unit of work's final writes), then roll everything back; the
    domain error firing raised, None when it succeeded."""
    try:
        async with unit_of_work(db) as session:
            await transitions.fire(session, principal, uuid.UUID(case_id),
                                   TransitionRequest(trigger=trigger, reason="readiness test", data=data), None)
            await audit.flush_pending(session, deferred=db.deferred_audit)  # the deferred case and history writes
            raise _Undo
    except _Undo:
        return None
    except DomainError as exc:
        return exc


async def test_ready_agrees_with_firing_for_every_trigger_in_the_demo(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}")
    await asyncio.to_thread(prepare_demo, settings)
    app = create_app(settings)
    seen: dict[tuple[str, str], set[bool]] = {}
    not_ready: dict[tuple[str, str], list[str]] = {}
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            for label, org, roles, sub in DEMO_USERS:
                headers = {"Authorization": f"Bearer {issue_dev_token(settings, org=org, roles=roles, sub=sub)}"}
                listed = await client.get("/v1/cases", params={"limit": 100}, headers=headers)
                if listed.status_code == 403:  # melder, beheerder, auditor: no case content
                    continue
                assert listed.status_code == 200, listed.text
                principal = Principal(sub=sub, org=org, roles=tuple(roles))
                for case in listed.json()["items"]:
                    offered = await client.get(f"/v1/cases/{case['id']}/transitions", headers=headers)
                    assert offered.status_code == 200, offered.text
                    for t in offered.json():
                        where = (label, case["case_type"], case["state"], t["trigger"])
                        assert t["ready"] == (t["missing"] == []), where
                        data = minimal_data(case["case_type"], t["trigger"], t["required_data"])
                        failure = await _fire_and_undo(app.state.db, principal, case["id"], t["trigger"], data)
                        assert (failure is None) == t["ready"], (where, t["missing"], repr(failure))
                        if isinstance(failure, GuardFailed):  # named alike: the same guards, the same filter
                            assert failure.missing == t["missing"], where
                        elif failure is not None:  # a level owner missing: a 422 of the case, not of the request
                            assert isinstance(failure, ValidationFailed), where
                        seen.setdefault((case["case_type"], t["trigger"]), set()).add(t["ready"])
                        if not t["ready"]:
                            not_ready[(case["case_type"], t["trigger"])] = t["missing"]
    finally:
        await app.state.db.dispose()
    assert {case_type for case_type, _ in seen} == {lad.case_type for lad in LADDERS}
    # The demo holds cases waiting on themselves, so that the table above cannot pass by offering only ready triggers.
    assert not_ready == {("jeugdgroep", "duiding_afronden"): ["plan"],
                         ("radicalisering", "plan_vaststellen"): ["plan"],
                         ("ex_gedetineerde", "afsluiten"): ["basisvoorwaarden.inkomen", "basisvoorwaarden.schulden",
                                                            "basisvoorwaarden.zorgverzekering"]}
    assert True in seen[("woonoverlast", "oppakken")]  # its criteria are request data: ready


async def _offered(world: World, case_id: str, headers: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    r = await world.client.get(f"/v1/cases/{case_id}/transitions", headers=headers or world.regisseur)
    assert r.status_code == 200, r.text
    return {t["trigger"]: t for t in r.json()}


async def test_duiding_afronden_waits_for_the_concept_plan(world: World) -> None:
    case = await world.case("jeugdgroep", participants=("politie",))
    for trigger, data in (("start_verkenning", {}), ("namenlijst_opstellen", {"noodzaak": "overlast"}),
                          ("groepsscan_afronden", {"groepsscan_datum": "2026-11-01"})):
        assert (await world.fire(case["id"], trigger, data)).status_code == 200
    duiding = (await _offered(world, case["id"]))["duiding_afronden"]
    assert (duiding["ready"], duiding["missing"], duiding["required_data"]) == (False, ["plan"], ["groepsduiding"])
    plan = {"summary": "concept", "actions": [{"description": "gesprek", "organisation": "politie"}]}
    assert (await world.client.put(f"/v1/cases/{case['id']}/plan", json=plan, headers=world.regisseur)).status_code \
        == 200
    duiding = (await _offered(world, case["id"]))["duiding_afronden"]
    assert (duiding["ready"], duiding["missing"]) == (True, [])
    r = await world.fire(case["id"], "duiding_afronden", {"groepsduiding": VALUES["groepsduiding"]})
    assert r.status_code == 200, r.text


async def test_a_trigger_needing_only_request_data_is_ready(world: World) -> None:
    # IJAM's step up into the pga checks its criteria in the request's data, not on the case.
    case = await world.case("ijam", initial_state="jonge_aanwas")
    opschalen = (await _offered(world, case["id"]))["opschalen"]
    assert (opschalen["ready"], opschalen["missing"], opschalen["required_data"]) == (True, [], ["criteria"])
    refused = await world.fire(case["id"], "opschalen", {"criteria": {"a": False, "b": True, "c": True, "d": False}})
    assert refused.status_code == 422 and refused.json()["missing"] == ["criteria"]  # the request's own fault


async def test_missing_names_no_details_the_caller_may_not_read(client: httpx.AsyncClient, auth: Any) -> None:
    # As tests/cases/test_withheld_decisions.py: a neighbouring municipality's procesregisseur lacks sociaal_domein.
    world = await World(client, auth).setup()
    await world.organisations({"buur": "gemeente"})
    await world.convenant("c-buur", case_types=["ex_gedetineerde"],
                          parties={"zvh-mh": ["identificatie"], "buur": ["identificatie", "justitie"]})
    case = await world.case("ex_gedetineerde", participants=("buur",),
                            details={"basisvoorwaarden": {"identiteitsbewijs": "geregeld", "onderdak": "geregeld",
                                                          "inkomen": "geregeld", "schulden": "geregeld"}})
    for trigger, data in (("screenen", {"verwachte_invrijheidstelling": RELEASE}), ("terugkeer_voorbereiden", {}),
                          ("invrijheidstelling", {"invrijheidstelling_datum": "2027-03-02"})):
        assert (await world.fire(case["id"], trigger, data)).status_code == 200
    buur = world.h("buur", "procesregisseur")
    hidden = (await _offered(world, case["id"], buur))["afsluiten"]
    assert (hidden["ready"], hidden["missing"]) == (False, ["withheld"])
    named = (await _offered(world, case["id"]))["afsluiten"]
    assert (named["ready"], named["missing"]) == (False, ["basisvoorwaarden.zorgverzekering"])
    assert (await world.fire(case["id"], "afsluiten", {}, headers=buur)).json()["missing"] == ["withheld"]


async def test_an_escalation_without_its_required_level_owner_is_not_ready(
    client: httpx.AsyncClient, auth: Any
) -> None:
    world = World(client, auth)
    await _without_gemeente_for_ave(world)
    case = await _ave_at(world, "managementniveau")
    offered = await _offered(world, case["id"])
    assert (offered["escaleren"]["ready"], offered["escaleren"]["missing"]) == (False, ["level_owner.gemeente"])
    assert (offered["deescaleren"]["ready"], offered["deescaleren"]["missing"]) == (True, [])
    assert (await world.fire(case["id"], "escaleren", ESCALATIE)).status_code == 422


@pytest.mark.parametrize("ladder", LADDERS, ids=lambda lad: lad.case_type)
def test_every_guard_can_be_judged_before_any_data_is_sent(ladder: Any) -> None:
    # Readiness runs the guards with empty request data (and here an empty case): none may fail on an absent key.
    engine = get_engine()
    for t in ladder.transitions:
        failed = engine.readiness(ladder.case_type, t, GuardContext())
        data_fields = set(t.data_model.model_fields) if t.data_model is not None else set()
        assert failed is None or not any(m.split(".")[0] in data_fields for m in failed.missing), t.trigger
