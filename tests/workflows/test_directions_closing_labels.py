"""Issue 16 items 2-4 in the ladder data: the direction of every transition, closing with an uitstroomreden, and
Dutch labels for every code; each checked at start-up (a ladder that breaks a rule is refused) and published."""

from __future__ import annotations

import re
import typing
from dataclasses import replace
from typing import Any

import pytest

from app.kit.errors import GuardFailed
from app.vocabulary import BestuurlijkeMaatregel, Direction, MaatregelStatus, Uitstroomreden
from app.workflows import ex_gedetineerde, ijam, jeugdgroep, radicalisering, woonoverlast
from app.workflows.engine import LadderError, WorkflowEngine, build_engine
from app.workflows.fields import Criteria, Delictcategorie, Escalatiereden
from app.workflows.model import Ladder, StateDef, TransitionDef
from tests.workflows.conftest import Fire

UP, DOWN, LATERAL, CLOSE, REOPEN = "up", "down", "lateral", "close", "reopen"

# Per ladder, trigger -> direction, transcribed by hand: up/down by the tiers where both states have one and by
# what the step does elsewhere (prioritising, weegtafel, monitoring); process steps and self transitions lateral.
DIRECTIONS: dict[str, dict[str, str]] = {
    "jeugdgroep": {
        "start_verkenning": LATERAL, "geen_groepsaanpak": CLOSE, "namenlijst_opstellen": LATERAL,
        "groepsscan_afronden": LATERAL, "duiding_afronden": LATERAL, "prioriteren": UP, "niet_prioriteren": DOWN,
        "heroverwegen": UP, "plan_vaststellen": LATERAL, "bijstellen_duiding": LATERAL, "bijstellen_plan": LATERAL,
        "afschalen": DOWN, "afschalen_niet_mogelijk": UP, "afsluiten": CLOSE, "heropenen": REOPEN,
    },
    "woonoverlast": {
        "triage_starten": LATERAL, "niet_in_behandeling": CLOSE, "oppakken": LATERAL, "escaleren": UP,
        "deescaleren": DOWN, "doorzettingsbesluit": DOWN, "afschalen": DOWN, "heropschalen": UP, "afsluiten": CLOSE,
        "ave_fase_wijzigen": LATERAL, "maatregel_registreren": LATERAL, "heropenen": REOPEN,
    },
    "ex_gedetineerde": {
        "screenen": LATERAL, "terugkeer_voorbereiden": LATERAL, "invrijheidstelling": LATERAL, "opschalen_pga": UP,
        "opnieuw_gedetineerd": LATERAL,
        "afschalen": DOWN, "afsluiten": CLOSE, "melding_18b_registreren": LATERAL,
        "beheersmaatregel_registreren": LATERAL, "heropenen": REOPEN,
    },
    "radicalisering": {
        "voorwegen": LATERAL, "geen_zorgen": CLOSE, "naar_weegtafel": UP, "besluit_geen_actie": CLOSE,
        "besluit_meer_informatie": DOWN, "besluit_strafrechtelijk": CLOSE, "besluit_pga": LATERAL,
        "plan_vaststellen": LATERAL, "bijstellen": LATERAL, "afsluiten": CLOSE, "heropenen": REOPEN,
    },
    "ijam": {"opschalen": UP, "afschalen": DOWN, "afsluiten": CLOSE, "heropenen": REOPEN},
}

# The ladder's regular end (DOMAIN.md: where afsluiten stood before early closure) and the closing decisions that
# record a reason of their own.
REGULAR_END = {
    "jeugdgroep": {"afschaling", "niet_geprioriteerd"},
    "woonoverlast": {"monitoring"},
    "ex_gedetineerde": {"nazorg"},
    "radicalisering": {"monitoring"},
    "ijam": {"knooppunt_school", "netwerkoverleg", "jonge_aanwas", "pga"},
}
RECORDS = {
    ("jeugdgroep", "geen_groepsaanpak"): "geen_grondslag",
    ("woonoverlast", "niet_in_behandeling"): "geen_grondslag",
    ("radicalisering", "geen_zorgen"): "geen_grondslag",
    ("radicalisering", "besluit_geen_actie"): "geen_grondslag",
    ("radicalisering", "besluit_strafrechtelijk"): "strafrechtelijk_afgedaan",
}


def _literal(annotation: Any) -> set[str]:
    """The values of a Literal, also inside `X | None`."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return set(args)
    return set().union(*(_literal(a) for a in args))


# Every vocabulary a ladder publishes, by name, and the codes it must label (read off the enums and models).
CODES: dict[str, set[str]] = {
    "direction": set(Direction),
    "uitstroomreden": set(Uitstroomreden),
    "escalatiereden": set(Escalatiereden),
    "delictcategorie": set(Delictcategorie),
    "ave_fase": {"1", "2", "3", "4"},
    "criteria": set(Criteria.model_fields),
    "basisvoorwaarden": set(ex_gedetineerde.BASISVOORWAARDEN),
    "basisvoorwaarden_status": _literal(ex_gedetineerde.Status),
    "weegtafel_besluit": set(radicalisering.WeegtafelBesluit),
    "classificatie_legacy": _literal(jeugdgroep.Details.model_fields["classificatie_legacy"].annotation),
    "maatregel": set(BestuurlijkeMaatregel),
    "maatregel_status": set(MaatregelStatus),
}
COMMON = {"trigger", "direction", "uitstroomreden"}
OWN_VOCABULARIES = {
    "jeugdgroep": {"classificatie_legacy"},
    "woonoverlast": {"ave_fase", "criteria", "escalatiereden", "maatregel", "maatregel_status"},
    "ex_gedetineerde": {"delictcategorie", "basisvoorwaarden", "basisvoorwaarden_status"},
    "radicalisering": {"weegtafel_besluit"},
    "ijam": {"criteria"},
}


@pytest.mark.parametrize("case_type", sorted(DIRECTIONS))
def test_every_transition_has_its_direction_and_label(engine: WorkflowEngine, case_type: str) -> None:
    published = engine.describe(case_type)
    trigger_labels = published["vocabularies"]["trigger"]
    assert set(trigger_labels) == set(DIRECTIONS[case_type])
    for t in published["transitions"]:
        assert t["direction"] == DIRECTIONS[case_type][t["trigger"]], (t["trigger"], t["from"])
        assert t["label"] == trigger_labels[t["trigger"]] and t["label"].strip()
        assert t["uitstroomreden"] == RECORDS.get((case_type, t["trigger"]))


@pytest.mark.parametrize("case_type", sorted(DIRECTIONS))
def test_vocabularies_label_every_code(engine: WorkflowEngine, case_type: str) -> None:
    vocabularies = engine.describe(case_type)["vocabularies"]
    assert set(vocabularies) == COMMON | OWN_VOCABULARIES[case_type]
    for name, labels in vocabularies.items():
        if name != "trigger":
            assert set(labels) == CODES[name], name
        assert all(isinstance(label, str) and label.strip() for label in labels.values()), name
    assert vocabularies["uitstroomreden"]["doel_bereikt"] == "Doel bereikt"


@pytest.mark.parametrize("case_type", sorted(DIRECTIONS))
def test_afsluiten_from_every_open_state(engine: WorkflowEngine, case_type: str) -> None:
    ladder = engine.ladder(case_type)
    closing = {t.source: t for t in ladder.transitions if t.trigger == "afsluiten"}
    assert set(closing) == {s.code for s in ladder.states if s.code != "afgesloten"}
    for source, t in closing.items():
        assert (t.dest, t.roles, t.direction) == ("afgesloten", ("procesregisseur",), Direction.close)
        regular = source in REGULAR_END[case_type]
        assert (t.data_model is not None and "uitstroomreden" in t.required_keys) == (not regular), source


@pytest.mark.parametrize(
    ("case_type", "state", "data", "reason"),
    [
        ("woonoverlast", "monitoring", {}, "doel_bereikt"),
        ("woonoverlast", "monitoring", {"uitstroomreden": "verhuisd"}, "verhuisd"),
        ("woonoverlast", "melding", {"uitstroomreden": "overleden"}, "overleden"),
        ("jeugdgroep", "afschaling", {"evaluatie": "Overlast gestopt"}, "doel_bereikt"),
        ("ijam", "knooppunt_school", {"uitstroomreden": "anders"}, "anders"),
        ("radicalisering", "weegtafel", {"motivering": "Naar het OM"}, "strafrechtelijk_afgedaan"),
    ],
)
def test_a_closing_fire_carries_its_reason(fire: Fire, case_type: str, state: str, data: dict[str, Any],
                                           reason: str) -> None:
    trigger = "besluit_strafrechtelijk" if case_type == "radicalisering" else "afsluiten"
    result = fire(case_type, state, trigger, data)
    assert (result.dest, result.uitstroomreden, result.data["uitstroomreden"]) == ("afgesloten", reason, reason)
    assert fire(case_type, "afgesloten", "heropenen").uitstroomreden is None
    assert fire("woonoverlast", "melding", "triage_starten").uitstroomreden is None


def test_doel_bereikt_early_is_refused_naming_the_field(fire: Fire) -> None:
    for data in ({"uitstroomreden": "doel_bereikt"}, {}, {"uitstroomreden": "klaar"}):
        with pytest.raises(GuardFailed) as exc:
            fire("woonoverlast", "casusniveau", "afsluiten", data)
        assert [e["loc"] for e in exc.value.errors] == [["body", "data", "uitstroomreden"]], data
    with pytest.raises(GuardFailed) as exc:
        fire("radicalisering", "weegtafel", "besluit_strafrechtelijk", {"motivering": "x", "uitstroomreden": "anders"})
    assert [e["loc"] for e in exc.value.errors] == [["body", "data", "uitstroomreden"]]


def test_published_closing_schemas(engine: WorkflowEngine) -> None:
    transitions = {(t["trigger"], t["from"]): t for t in engine.describe("radicalisering")["transitions"]}
    early = transitions[("afsluiten", "signaal")]["required_data"]
    assert early["required"] == ["uitstroomreden"]
    assert set(early["properties"]["uitstroomreden"]["enum"]) == set(Uitstroomreden) - {"doel_bereikt"}
    regular = transitions[("afsluiten", "monitoring")]["required_data"]
    assert "required" not in regular and regular["properties"]["uitstroomreden"]["default"] == "doel_bereikt"
    recorded = transitions[("besluit_strafrechtelijk", "weegtafel")]["required_data"]["properties"]["uitstroomreden"]
    assert (recorded["const"], recorded["default"]) == ("strafrechtelijk_afgedaan", "strafrechtelijk_afgedaan")


# Mermaid's stateDiagram-v2 lines as the engine writes them: a state with its label, a start, a transition with
# its trigger, the end.
_MERMAID_LINE = re.compile(r'^    (state "[^"\n]+" as [a-z_]+|\[\*\] --> [a-z_]+|[a-z_]+ --> [a-z_]+ : [a-z_0-9]+'
                           r'|afgesloten --> \[\*\])$')


@pytest.mark.parametrize("case_type", sorted(DIRECTIONS))
def test_mermaid_still_has_only_diagram_lines(engine: WorkflowEngine, case_type: str) -> None:
    described = engine.describe(case_type)
    head, *lines = described["mermaid"].splitlines()
    assert head == "stateDiagram-v2"
    assert [line for line in lines if not _MERMAID_LINE.match(line)] == []
    edges = {line.strip() for line in lines if " : " in line}
    assert edges == {f"{t['from']} --> {t['to']} : {t['trigger']}" for t in described["transitions"]}


def _with(ladder: Ladder, *extra: TransitionDef, drop: tuple[str, str] | None = None) -> Ladder:
    kept = tuple(t for t in ladder.transitions if (t.trigger, t.source) != drop)
    return replace(ladder, transitions=(*kept, *extra))


def _replaced(ladder: Ladder, trigger: str, source: str, **change: Any) -> Ladder:
    return replace(ladder, transitions=tuple(replace(t, **change) if (t.trigger, t.source) == (trigger, source) else t
                                             for t in ladder.transitions))


@pytest.mark.parametrize(
    ("ladder", "message"),
    [
        pytest.param(_replaced(ijam.LADDER, "opschalen", "knooppunt_school", direction=None),
                     "transition 'opschalen' from 'knooppunt_school': no direction", id="no-direction"),
        pytest.param(_replaced(ijam.LADDER, "afschalen", "pga", direction=Direction.up),
                     "direction up disagrees with the tiers (4 -> 3)", id="up-to-a-lower-tier"),
        pytest.param(_replaced(woonoverlast.LADDER, "escaleren", "casusniveau", direction=Direction.lateral),
                     "direction lateral disagrees with the tiers (1 -> 2)", id="lateral-across-tiers"),
        pytest.param(_replaced(woonoverlast.LADDER, "afschalen", "casusniveau", direction=Direction.close),
                     "direction close is for exactly the transitions into 'afgesloten'", id="close-elsewhere"),
        pytest.param(_replaced(woonoverlast.LADDER, "afsluiten", "monitoring", direction=Direction.down),
                     "direction close is for exactly the transitions into 'afgesloten'", id="closing-not-close"),
        pytest.param(_replaced(ijam.LADDER, "heropenen", "afgesloten", direction=Direction.up),
                     "direction reopen is for exactly the transitions out of 'afgesloten'", id="reopen-not-reopen"),
        pytest.param(_replaced(woonoverlast.LADDER, "ave_fase_wijzigen", "melding", direction=Direction.up),
                     "a self transition is lateral", id="self-transition-not-lateral"),
        pytest.param(_with(woonoverlast.LADDER, drop=("afsluiten", "triage")),
                     "state 'triage': no 'afsluiten' by the procesregisseur", id="no-early-closure"),
        pytest.param(_replaced(woonoverlast.LADDER, "niet_in_behandeling", "triage", data_model=None),
                     "a closing transition's data model needs an 'uitstroomreden' field", id="closing-without-reason"),
        pytest.param(_replaced(woonoverlast.LADDER, "niet_in_behandeling", "triage", uitstroomreden=None),
                     "a closing trigger other than 'afsluiten' records a known uitstroomreden",
                     id="closing-decision-without-reason"),
        pytest.param(_replaced(woonoverlast.LADDER, "niet_in_behandeling", "triage",
                               uitstroomreden=Uitstroomreden.verhuisd),
                     "its data model must record uitstroomreden", id="closing-decision-other-reason"),
        pytest.param(_replaced(woonoverlast.LADDER, "afsluiten", "melding", uitstroomreden=Uitstroomreden.verhuisd),
                     "'afsluiten' takes its uitstroomreden from its data", id="afsluiten-with-fixed-reason"),
        pytest.param(_replaced(woonoverlast.LADDER, "triage_starten", "melding", uitstroomreden=Uitstroomreden.anders),
                     "only a closing transition records an uitstroomreden", id="reason-without-closing"),
        pytest.param(replace(ijam.LADDER, trigger_labels={"opschalen": "Opschalen"}),
                     "no label for trigger 'afschalen'", id="trigger-without-label"),
        pytest.param(replace(ijam.LADDER, trigger_labels={**ijam.LADDER.trigger_labels, "vliegen": "Vliegen"}),
                     "trigger label for 'vliegen', which no transition fires", id="label-without-trigger"),
        pytest.param(replace(ijam.LADDER, vocabularies={"uitstroomreden": {"klaar": "Klaar"}}),
                     "vocabulary 'uitstroomreden' is published for every ladder", id="common-vocabulary-redefined"),
        pytest.param(replace(ijam.LADDER, vocabularies={"criteria": {"a": " "}}),
                     "vocabulary 'criteria' needs a label for each of its codes", id="blank-label"),
        pytest.param(
            replace(ijam.LADDER, states=(*ijam.LADDER.states, StateDef("zwevend", "Zwevend")), transitions=(
                *ijam.LADDER.transitions,
                TransitionDef("opschalen", "pga", "zwevend", ("procesregisseur",), direction=Direction.lateral),
                TransitionDef("afschalen", "zwevend", "pga", ("procesregisseur",), direction=Direction.lateral))),
            "state 'zwevend': no 'afsluiten' by the procesregisseur", id="new-state-without-afsluiten"),
    ],
)
def test_bad_ladder_is_refused(ladder: Ladder, message: str) -> None:
    with pytest.raises(LadderError) as exc:
        build_engine([ladder])
    assert message in str(exc.value)


def test_the_five_ladders_build() -> None:
    ladders = (jeugdgroep.LADDER, woonoverlast.LADDER, ex_gedetineerde.LADDER, radicalisering.LADDER, ijam.LADDER)
    assert build_engine(ladders).case_types == [lad.case_type for lad in ladders]
