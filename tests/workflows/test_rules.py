"""Wrong state, missing or malformed data, and every guard both ways."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from app.kit.errors import GuardFailed, InvalidTransition, NotFound
from app.workflows.engine import FireResult, WorkflowEngine
from app.workflows.model import GuardContext, PlanInfo

# A plausible expected release date today (app/workflows/release_dates.py).
RELEASE = (date.today() + timedelta(days=200)).isoformat()

Fire = Callable[..., FireResult]

OPPAKKEN = {"ave_fase": 2, "regie_organisation": "woonpunt"}
ALL_CRITERIA = [dict(zip("abcd", values, strict=True)) for values in itertools.product([False, True], repeat=4)]


# -- wrong state / unknown trigger ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("case_type", "state", "trigger", "allowed"),
    [
        # afsluiten is possible from every open state (DOMAIN.md "Closing a case").
        ("jeugdgroep", "signalering", "plan_vaststellen", ["afsluiten", "start_verkenning"]),
        ("jeugdgroep", "prioritering", "vliegen", ["afsluiten", "niet_prioriteren", "prioriteren"]),
        ("jeugdgroep", "afgesloten", "afsluiten", ["heropenen"]),
        ("woonoverlast", "casusniveau", "deescaleren", ["afschalen", "afsluiten", "ave_fase_wijzigen", "escaleren"]),
        ("woonoverlast", "afgesloten", "ave_fase_wijzigen", ["heropenen"]),
        (
            "ex_gedetineerde",
            "pga",
            "opschalen_pga",
            ["afschalen", "afsluiten", "beheersmaatregel_registreren", "melding_18b_registreren",
             "opnieuw_gedetineerd"],
        ),
        (
            "radicalisering",
            "weegtafel",
            "voorwegen",
            ["afsluiten", "besluit_geen_actie", "besluit_meer_informatie", "besluit_pga", "besluit_strafrechtelijk"],
        ),
        ("ijam", "pga", "opschalen", ["afschalen", "afsluiten"]),
        ("ijam", "knooppunt_school", "afschalen", ["afsluiten", "opschalen"]),
    ],
)
def test_wrong_state_lists_allowed(fire: Fire, case_type: str, state: str, trigger: str, allowed: list[str]) -> None:
    with pytest.raises(InvalidTransition) as exc:
        fire(case_type, state, trigger)
    assert exc.value.allowed == allowed
    assert exc.value.extra["allowed"] == allowed


def test_unknown_state_has_nothing_allowed(fire: Fire, engine: WorkflowEngine) -> None:
    with pytest.raises(InvalidTransition) as exc:
        fire("ijam", "nergens", "afsluiten")
    assert exc.value.allowed == []
    assert engine.available("ijam", "nergens") == []


def test_unknown_case_type_is_not_found(engine: WorkflowEngine) -> None:
    for call in (
        lambda: engine.ladder("schuldhulp"),
        lambda: engine.describe("schuldhulp"),
        lambda: engine.available("schuldhulp", "melding"),
        lambda: engine.transition("schuldhulp", "melding", "x"),
        lambda: engine.fire("schuldhulp", "melding", "x", GuardContext()),
    ):
        with pytest.raises(NotFound):
            call()


def test_transition_and_available(engine: WorkflowEngine) -> None:
    t = engine.transition("woonoverlast", "managementniveau", "escaleren")
    assert t is not None
    assert (t.dest, t.roles) == ("bestuurlijk_niveau", ("procesregisseur",))
    assert engine.transition("woonoverlast", "melding", "escaleren") is None
    assert [t.trigger for t in engine.available("jeugdgroep", "uitvoering")] == [
        "bijstellen_duiding",
        "bijstellen_plan",
        "afschalen",
        "afsluiten",
    ]


def test_permits_org_kind_role(engine: WorkflowEngine) -> None:
    t = engine.transition("jeugdgroep", "groepsscan", "groepsscan_afronden")
    assert t is not None
    assert t.permits(["procesregisseur"], "gemeente")
    assert t.permits(["medewerker"], "politie")
    assert not t.permits(["medewerker"], "gemeente")
    assert not t.permits(["casusregisseur"], "politie")


# -- data validation -----------------------------------------------------------------------------


def test_missing_data_names_keys(fire: Fire) -> None:
    with pytest.raises(GuardFailed) as exc:
        fire("woonoverlast", "triage", "oppakken", data={"ave_fase": 2})
    assert sorted(exc.value.missing) == ["criteria", "regie_organisation"]
    assert {tuple(e["loc"]) for e in exc.value.errors} == {
        ("body", "data", "regie_organisation"),
        ("body", "data", "criteria"),
    }


def test_missing_nested_data_names_keys(fire: Fire) -> None:
    with pytest.raises(GuardFailed) as exc:
        fire(
            "jeugdgroep",
            "groepsduiding",
            "duiding_afronden",
            data={"groepsduiding": {"dynamiek": "x"}},
            plan=PlanInfo(1, 0, "concept"),
        )
    assert exc.value.missing == ["groepsduiding.rollen", "groepsduiding.problematiek"]
    assert exc.value.errors[0]["loc"] == ["body", "data", "groepsduiding", "rollen"]


@pytest.mark.parametrize(
    ("case_type", "state", "trigger", "missing"),
    [
        ("jeugdgroep", "verkenning", "namenlijst_opstellen", ["noodzaak"]),
        ("jeugdgroep", "groepsscan", "groepsscan_afronden", ["groepsscan_datum"]),
        ("jeugdgroep", "prioritering", "prioriteren", ["besluit_driehoek_datum"]),
        ("jeugdgroep", "prioritering", "niet_prioriteren", ["besluit_driehoek_datum"]),
        ("jeugdgroep", "afschaling", "afsluiten", ["evaluatie"]),
        ("woonoverlast", "procesniveau", "escaleren", ["escalatiereden"]),
        ("woonoverlast", "bestuurlijk_niveau", "doorzettingsbesluit", ["besluit"]),
        ("woonoverlast", "monitoring", "ave_fase_wijzigen", ["ave_fase"]),
        ("ex_gedetineerde", "aangemeld", "screenen", ["verwachte_invrijheidstelling"]),
        ("ex_gedetineerde", "voorbereiding_terugkeer", "invrijheidstelling", ["invrijheidstelling_datum"]),
        ("ex_gedetineerde", "in_detentie", "melding_18b_registreren", ["delictcategorie", "ontvangen_op"]),
        ("ex_gedetineerde", "nazorg", "beheersmaatregel_registreren", ["maatregel"]),
        ("radicalisering", "weegtafel", "besluit_geen_actie", ["weegcriteria", "motivering"]),
        ("radicalisering", "weegtafel", "besluit_meer_informatie", ["motivering"]),
        ("radicalisering", "weegtafel", "besluit_strafrechtelijk", ["motivering"]),
        ("radicalisering", "weegtafel", "besluit_pga", ["weegcriteria", "motivering"]),
        ("ijam", "jonge_aanwas", "opschalen", ["criteria"]),
    ],
)
def test_every_need_is_required(fire: Fire, case_type: str, state: str, trigger: str, missing: list[str]) -> None:
    with pytest.raises(GuardFailed) as exc:
        fire(case_type, state, trigger, data={})
    assert exc.value.missing == missing


@pytest.mark.parametrize(
    ("case_type", "state", "trigger", "data", "loc"),
    [
        ("jeugdgroep", "signalering", "start_verkenning", {"onverwacht": 1}, ["onverwacht"]),
        ("jeugdgroep", "verkenning", "namenlijst_opstellen", {"noodzaak": "   "}, ["noodzaak"]),
        ("jeugdgroep", "verkenning", "namenlijst_opstellen", {"noodzaak": "x" * 10_001}, ["noodzaak"]),
        ("jeugdgroep", "groepsscan", "groepsscan_afronden", {"groepsscan_datum": "gisteren"}, ["groepsscan_datum"]),
        ("woonoverlast", "casusniveau", "ave_fase_wijzigen", {"ave_fase": 5}, ["ave_fase"]),
        ("woonoverlast", "casusniveau", "ave_fase_wijzigen", {"ave_fase": "2"}, ["ave_fase"]),
        ("woonoverlast", "casusniveau", "escaleren", {"escalatiereden": "ongeduld"}, ["escalatiereden"]),
        (
            "woonoverlast",
            "triage",
            "oppakken",
            {**OPPAKKEN, "regie_organisation": "Woonpunt BV", "criteria": ALL_CRITERIA[-1]},
            ["regie_organisation"],
        ),
        (
            "woonoverlast",
            "triage",
            "oppakken",
            {**OPPAKKEN, "criteria": {"a": True, "b": True, "c": True}},
            ["criteria", "d"],
        ),
        (
            "ex_gedetineerde",
            "nazorg",
            "melding_18b_registreren",
            {"delictcategorie": "diefstal", "ontvangen_op": "2025-01-01"},
            ["delictcategorie"],
        ),
        ("radicalisering", "weegtafel", "besluit_pga", {"weegcriteria": {}, "motivering": "m"}, ["weegcriteria"]),
    ],
)
def test_malformed_data(
    fire: Fire, case_type: str, state: str, trigger: str, data: dict[str, Any], loc: list[str]
) -> None:
    with pytest.raises(GuardFailed) as exc:
        fire(case_type, state, trigger, data=data)
    assert ["body", "data", *loc] in [e["loc"] for e in exc.value.errors]
    assert all(e["msg"] for e in exc.value.errors)


def test_data_is_returned_validated_and_json_shaped(fire: Fire) -> None:
    result = fire("jeugdgroep", "verkenning", "namenlijst_opstellen", data={"noodzaak": "  Overlast centrum  "})
    assert result.data == {"noodzaak": "Overlast centrum"}
    result = fire("ex_gedetineerde", "aangemeld", "screenen", data={"verwachte_invrijheidstelling": RELEASE})
    assert result.data == {"verwachte_invrijheidstelling": RELEASE}


# -- guards --------------------------------------------------------------------------------------


@pytest.mark.parametrize("criteria", ALL_CRITERIA, ids=lambda c: "".join("1" if v else "0" for v in c.values()))
def test_woonoverlast_oppakken_intake_criteria(fire: Fire, criteria: dict[str, bool]) -> None:
    ok = (criteria["a"] and criteria["b"] and criteria["c"]) or criteria["d"]
    data = {**OPPAKKEN, "criteria": criteria}
    if ok:
        assert fire("woonoverlast", "triage", "oppakken", data=data).dest == "casusniveau"
    else:
        with pytest.raises(GuardFailed) as exc:
            fire("woonoverlast", "triage", "oppakken", data=data)
        assert exc.value.missing == ["criteria"]
        assert exc.value.errors[0]["loc"] == ["body", "data", "criteria"]


@pytest.mark.parametrize("criteria", ALL_CRITERIA, ids=lambda c: "".join("1" if v else "0" for v in c.values()))
def test_ijam_opschalen_to_pga_criteria(fire: Fire, criteria: dict[str, bool]) -> None:
    ok = (criteria["a"] and criteria["b"] and criteria["c"]) or criteria["d"]
    if ok:
        assert fire("ijam", "jonge_aanwas", "opschalen", data={"criteria": criteria}).dest == "pga"
    else:
        with pytest.raises(GuardFailed) as exc:
            fire("ijam", "jonge_aanwas", "opschalen", data={"criteria": criteria})
        assert exc.value.missing == ["criteria"]


def test_ijam_lower_rungs_need_no_criteria(fire: Fire) -> None:
    assert fire("ijam", "knooppunt_school", "opschalen").dest == "netwerkoverleg"
    with pytest.raises(GuardFailed):
        fire("ijam", "knooppunt_school", "opschalen", data={"criteria": ALL_CRITERIA[-1]})


BASIS = ["identiteitsbewijs", "onderdak", "inkomen", "schulden", "zorgverzekering"]


def test_nazorg_afsluiten_needs_every_basisvoorwaarde(fire: Fire) -> None:
    with pytest.raises(GuardFailed) as exc:
        fire("ex_gedetineerde", "nazorg", "afsluiten", details={})
    assert exc.value.missing == [f"basisvoorwaarden.{k}" for k in BASIS]
    assert exc.value.errors[0]["loc"] == ["case", "details", "basisvoorwaarden", "identiteitsbewijs"]

    almost = dict.fromkeys(BASIS, "geregeld") | {"schulden": "onbekend"}
    with pytest.raises(GuardFailed) as exc:
        fire("ex_gedetineerde", "nazorg", "afsluiten", details={"basisvoorwaarden": almost})
    assert exc.value.missing == ["basisvoorwaarden.schulden"]

    # "niet_geregeld" is known, and known is what closing needs.
    done = dict.fromkeys(BASIS, "niet_geregeld") | {"onderdak": "geregeld", "inkomen": "in_behandeling"}
    assert fire("ex_gedetineerde", "nazorg", "afsluiten", details={"basisvoorwaarden": done}).dest == "afgesloten"


GROEPSDUIDING = {"groepsduiding": {"dynamiek": "d", "rollen": "r", "problematiek": "p"}}


def test_duiding_afronden_needs_concept_plan(fire: Fire) -> None:
    with pytest.raises(GuardFailed) as exc:
        fire("jeugdgroep", "groepsduiding", "duiding_afronden", data=GROEPSDUIDING, plan=None)
    assert exc.value.missing == ["plan"]
    assert exc.value.errors == [{"loc": ["case", "plan"], "msg": "A concept plan van aanpak must exist."}]
    plan = PlanInfo(version=1, action_count=0, status="concept")
    assert fire("jeugdgroep", "groepsduiding", "duiding_afronden", data=GROEPSDUIDING, plan=plan).dest == "prioritering"


@pytest.mark.parametrize(
    ("case_type", "state", "dest"),
    [("jeugdgroep", "planvorming", "uitvoering"), ("radicalisering", "casusoverleg", "monitoring")],
)
def test_plan_vaststellen_needs_an_action(fire: Fire, case_type: str, state: str, dest: str) -> None:
    with pytest.raises(GuardFailed) as exc:
        fire(case_type, state, "plan_vaststellen", plan=None)
    assert exc.value.missing == ["plan"]
    with pytest.raises(GuardFailed) as exc:
        fire(case_type, state, "plan_vaststellen", plan=PlanInfo(version=3, action_count=0, status="concept"))
    assert exc.value.missing == ["plan.actions"]
    result = fire(case_type, state, "plan_vaststellen", plan=PlanInfo(version=3, action_count=2, status="concept"))
    assert result.dest == dest
    assert result.transition.marks_plan_vastgesteld


def test_guards_run_after_data_validation(fire: Fire) -> None:
    # Missing data is reported as such, not as a failed guard on half-validated data.
    with pytest.raises(GuardFailed) as exc:
        fire("jeugdgroep", "groepsduiding", "duiding_afronden", data={}, plan=None)
    assert exc.value.missing == ["groepsduiding"]


# -- effects -------------------------------------------------------------------------------------


def test_effects_do_not_mutate_their_input(engine: WorkflowEngine) -> None:
    details = {
        "meldingen_18b": [{"delictcategorie": "zeden", "ontvangen_op": "2025-01-01"}],
        "beheersmaatregelen": [],
        "basisvoorwaarden": {"onderdak": "geregeld"},
    }
    before = copy.deepcopy(details)
    data = {"delictcategorie": "overig", "ontvangen_op": "2025-02-01"}
    result = engine.fire(
        "ex_gedetineerde", "nazorg", "melding_18b_registreren", GuardContext(details=details, data=data)
    )
    assert details == before
    assert result.details["meldingen_18b"] == [*before["meldingen_18b"], data]
    assert result.details["basisvoorwaarden"] == {"onderdak": "geregeld"}
    result.details["basisvoorwaarden"]["onderdak"] = "onbekend"
    assert details == before


def test_transition_without_effect_returns_details_unchanged_copy(fire: Fire) -> None:
    details = {"ave_fase": 2}
    result = fire("woonoverlast", "casusniveau", "afschalen", details=details)
    assert result.details == details
    assert result.details is not details


def test_oppakken_carries_regie_organisation(fire: Fire) -> None:
    result = fire("woonoverlast", "triage", "oppakken", data={**OPPAKKEN, "criteria": ALL_CRITERIA[1]})
    assert result.transition.sets_regie_from == "regie_organisation"
    assert result.data["regie_organisation"] == "woonpunt"
    assert result.details == {"ave_fase": 2, "criteria": {"a": False, "b": False, "c": False, "d": True}}


@pytest.mark.parametrize("case_type", ["jeugdgroep", "woonoverlast", "ex_gedetineerde", "radicalisering", "ijam"])
def test_case_can_be_created_with_empty_details(engine: WorkflowEngine, case_type: str) -> None:
    engine.ladder(case_type).details_model.model_validate({})
