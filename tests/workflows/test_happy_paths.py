"""Each ladder walked through engine.fire to afgesloten and back with heropenen."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from app.workflows.engine import FireResult, WorkflowEngine
from app.workflows.model import PlanInfo

# A plausible expected release date today (app/workflows/release_dates.py).
RELEASE = (date.today() + timedelta(days=200)).isoformat()

Fire = Callable[..., FireResult]

CONCEPT_PLAN = PlanInfo(version=1, action_count=0, status="concept")
PLAN_WITH_ACTION = PlanInfo(version=2, action_count=1, status="concept")
TEXT = "Toelichting"
# (trigger, data, plan, expected destination)
Step = tuple[str, dict[str, Any], PlanInfo | None, str]


def walk(fire: Fire, case_type: str, state: str, steps: list[Step], details: dict[str, Any] | None = None) -> dict:
    details = details or {}
    for trigger, data, plan, dest in steps:
        result = fire(case_type, state, trigger, data=data, details=details, plan=plan)
        assert (result.source, result.dest) == (state, dest), trigger
        json.dumps(result.data)
        json.dumps(result.details)
        state, details = result.dest, result.details
    return details


def test_jeugdgroep(fire: Fire) -> None:
    walk(
        fire,
        "jeugdgroep",
        "signalering",
        [
            ("start_verkenning", {}, None, "verkenning"),
            ("namenlijst_opstellen", {"noodzaak": "Groep veroorzaakt structureel overlast"}, None, "groepsscan"),
            ("groepsscan_afronden", {"groepsscan_datum": "2025-04-01"}, None, "groepsduiding"),
            (
                "duiding_afronden",
                {"groepsduiding": {"dynamiek": "hecht", "rollen": "twee kopstukken", "problematiek": "vernieling"}},
                CONCEPT_PLAN,
                "prioritering",
            ),
            ("prioriteren", {"besluit_driehoek_datum": "2025-05-01"}, CONCEPT_PLAN, "planvorming"),
            ("plan_vaststellen", {}, PLAN_WITH_ACTION, "uitvoering"),
            ("bijstellen_plan", {}, None, "planvorming"),
            ("plan_vaststellen", {}, PLAN_WITH_ACTION, "uitvoering"),
            ("afschalen", {}, None, "afschaling"),
            ("afschalen_niet_mogelijk", {}, None, "uitvoering"),
            ("afschalen", {}, None, "afschaling"),
            ("afsluiten", {"evaluatie": "Groep uiteengevallen"}, None, "afgesloten"),
            ("heropenen", {}, None, "signalering"),
        ],
    )


def test_jeugdgroep_not_prioritised(fire: Fire) -> None:
    walk(
        fire,
        "jeugdgroep",
        "prioritering",
        [
            ("niet_prioriteren", {"besluit_driehoek_datum": "2025-05-01"}, None, "niet_geprioriteerd"),
            ("heroverwegen", {}, None, "verkenning"),
            ("geen_groepsaanpak", {}, None, "afgesloten"),
        ],
    )
    # From niet_geprioriteerd afsluiten needs no evaluatie.
    assert fire("jeugdgroep", "niet_geprioriteerd", "afsluiten").dest == "afgesloten"


def test_woonoverlast(fire: Fire) -> None:
    details = walk(
        fire,
        "woonoverlast",
        "melding",
        [
            ("triage_starten", {}, None, "triage"),
            (
                "oppakken",
                {
                    "ave_fase": 2,
                    "regie_organisation": "woonpunt",
                    "criteria": {"a": True, "b": True, "c": True, "d": False},
                },
                None,
                "casusniveau",
            ),
            ("escaleren", {"escalatiereden": "oneenigheid"}, None, "procesniveau"),
            ("escaleren", {"escalatiereden": "veiligheid_in_geding"}, None, "managementniveau"),
            ("escaleren", {"escalatiereden": "complexiteit_toegenomen"}, None, "bestuurlijk_niveau"),
            ("deescaleren", {}, None, "managementniveau"),
            ("escaleren", {"escalatiereden": "stagnatie_samenwerking"}, None, "bestuurlijk_niveau"),
            ("doorzettingsbesluit", {"besluit": "Corporatie zet huurovereenkomst voort"}, None, "procesniveau"),
            ("deescaleren", {}, None, "casusniveau"),
            ("ave_fase_wijzigen", {"ave_fase": 3}, None, "casusniveau"),
            ("afschalen", {}, None, "monitoring"),
            ("heropschalen", {}, None, "casusniveau"),
            ("afschalen", {}, None, "monitoring"),
            ("afsluiten", {}, None, "afgesloten"),
            ("heropenen", {}, None, "melding"),
        ],
    )
    # The doorzettingsbesluit stays on the case (DOMAIN.md woonoverlast).
    assert details == {"ave_fase": 3, "criteria": {"a": True, "b": True, "c": True, "d": False},
                       "doorzettingsbesluit": {"besluit": "Corporatie zet huurovereenkomst voort"}}


def test_woonoverlast_not_taken_up(fire: Fire) -> None:
    assert fire("woonoverlast", "triage", "niet_in_behandeling").dest == "afgesloten"


def test_woonoverlast_stagnation_rule_fires(fire: Fire, engine: WorkflowEngine) -> None:
    rule = engine.ladder("woonoverlast").stagnation
    assert rule.trigger is not None
    dests = [fire("woonoverlast", state, rule.trigger, data=dict(rule.data)) for state in rule.from_states]
    assert [r.dest for r in dests] == ["procesniveau", "managementniveau", "bestuurlijk_niveau"]
    assert all(r.data == {"escalatiereden": "stagnatie_samenwerking"} for r in dests)


def test_ex_gedetineerde(fire: Fire) -> None:
    details = walk(
        fire,
        "ex_gedetineerde",
        "aangemeld",
        [
            ("screenen", {"verwachte_invrijheidstelling": RELEASE}, None, "in_detentie"),
            ("terugkeer_voorbereiden", {}, None, "voorbereiding_terugkeer"),
            ("invrijheidstelling", {"invrijheidstelling_datum": "2025-09-03"}, None, "nazorg"),
            ("opschalen_pga", {}, None, "pga"),
            ("melding_18b_registreren", {"delictcategorie": "geweld", "ontvangen_op": "2025-10-01"}, None, "pga"),
            ("beheersmaatregel_registreren", {"maatregel": "Gebiedsverbod"}, None, "pga"),
            ("afschalen", {}, None, "nazorg"),
        ],
    )
    assert details == {
        "verwachte_invrijheidstelling": RELEASE,
        "invrijheidstelling_datum": "2025-09-03",
        "meldingen_18b": [{"delictcategorie": "geweld", "ontvangen_op": "2025-10-01"}],
        "beheersmaatregelen": [{"maatregel": "Gebiedsverbod"}],
    }
    # What PATCH /v1/cases/{id} would do before closing.
    details["basisvoorwaarden"] = {
        "identiteitsbewijs": "geregeld",
        "onderdak": "in_behandeling",
        "inkomen": "geregeld",
        "schulden": "niet_geregeld",
        "zorgverzekering": "geregeld",
    }
    walk(
        fire,
        "ex_gedetineerde",
        "nazorg",
        [("afsluiten", {}, None, "afgesloten"), ("heropenen", {}, None, "aangemeld")],
        details=details,
    )


def test_radicalisering(fire: Fire) -> None:
    details = walk(
        fire,
        "radicalisering",
        "signaal",
        [
            ("voorwegen", {}, None, "voorweging"),
            ("naar_weegtafel", {}, None, "weegtafel"),
            ("besluit_meer_informatie", {"motivering": TEXT}, None, "voorweging"),
            ("naar_weegtafel", {}, None, "weegtafel"),
            (
                "besluit_pga",
                {"weegcriteria": {"ideologie": "sterk", "geweld": False}, "motivering": TEXT},
                None,
                "casusoverleg",
            ),
            ("plan_vaststellen", {}, PLAN_WITH_ACTION, "monitoring"),
            ("bijstellen", {}, None, "casusoverleg"),
            ("plan_vaststellen", {}, PLAN_WITH_ACTION, "monitoring"),
            ("afsluiten", {}, None, "afgesloten"),
            ("heropenen", {}, None, "signaal"),
        ],
    )
    assert details == {"weegcriteria": {"ideologie": "sterk", "geweld": False}, "weegtafel_besluit": "pga"}


@pytest.mark.parametrize(
    ("trigger", "data", "besluit"),
    [
        ("besluit_geen_actie", {"weegcriteria": {"risico": 1}, "motivering": TEXT}, "geen_actie"),
        ("besluit_strafrechtelijk", {"motivering": TEXT}, "strafrechtelijk"),
    ],
)
def test_radicalisering_weegtafel_closes(fire: Fire, trigger: str, data: dict[str, Any], besluit: str) -> None:
    result = fire("radicalisering", "weegtafel", trigger, data=data)
    assert result.dest == "afgesloten"
    assert result.details["weegtafel_besluit"] == besluit
    assert fire("radicalisering", "voorweging", "geen_zorgen").dest == "afgesloten"


def test_ijam(fire: Fire) -> None:
    details = walk(
        fire,
        "ijam",
        "knooppunt_school",
        [
            ("opschalen", {}, None, "netwerkoverleg"),
            ("opschalen", {}, None, "jonge_aanwas"),
            ("opschalen", {"criteria": {"a": False, "b": False, "c": False, "d": True}}, None, "pga"),
            ("afschalen", {}, None, "jonge_aanwas"),
            ("afschalen", {}, None, "netwerkoverleg"),
            ("afschalen", {}, None, "knooppunt_school"),
            ("afsluiten", {}, None, "afgesloten"),
            ("heropenen", {}, None, "knooppunt_school"),
        ],
    )
    assert details == {}  # afschalen below pga cleared the criteria (DOMAIN.md ijam)


@pytest.mark.parametrize("tier", ["knooppunt_school", "netwerkoverleg", "jonge_aanwas", "pga"])
def test_ijam_closes_from_every_tier(fire: Fire, engine: WorkflowEngine, tier: str) -> None:
    assert tier in engine.ladder("ijam").initial_states
    assert fire("ijam", tier, "afsluiten").dest == "afgesloten"
