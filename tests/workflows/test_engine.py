"""Build-time validation of ladders, the shared machines, and what the engine publishes."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from transitions import Machine

from app.kit.errors import GuardFailed
from app.workflows import ijam, jeugdgroep, woonoverlast
from app.workflows.engine import LADDERS, LadderError, WorkflowEngine, build_engine, get_engine
from app.workflows.model import GuardContext, Ladder, StagnationRule, StateDef, TransitionDef


def with_transitions(ladder: Ladder, *extra: TransitionDef, replace_first: bool = False) -> Ladder:
    kept = ladder.transitions[1:] if replace_first else ladder.transitions
    return replace(ladder, transitions=(*extra, *kept))


def test_all_ladders_build() -> None:
    engine = build_engine(LADDERS)
    assert engine.case_types == ["jeugdgroep", "woonoverlast", "ex_gedetineerde", "radicalisering", "ijam"]


@pytest.mark.parametrize(
    ("ladder", "message"),
    [
        pytest.param(
            with_transitions(
                ijam.LADDER,
                TransitionDef("opschalen", "knooppunt_school", "netwerkoverleg", ("wethouder",)),
                replace_first=True,
            ),
            "unknown role 'wethouder'",
            id="unknown-role",
        ),
        pytest.param(
            with_transitions(
                jeugdgroep.LADDER,
                TransitionDef(
                    "groepsscan_afronden",
                    "groepsscan",
                    "groepsduiding",
                    ("procesregisseur",),
                    org_kind_roles=(("medewerker", "marechaussee"),),
                ),
            ),
            "unknown organisation kind 'marechaussee'",
            id="unknown-org-kind",
        ),
        pytest.param(
            replace(
                ijam.LADDER,
                states=(*ijam.LADDER.states, StateDef("zwevend", "Zwevend")),
                transitions=(
                    *ijam.LADDER.transitions,
                    TransitionDef("afsluiten", "zwevend", "afgesloten", ("procesregisseur",)),
                ),
            ),
            "state 'zwevend' is unreachable from the initial states",
            id="unreachable-state",
        ),
        pytest.param(
            replace(
                ijam.LADDER,
                states=(*ijam.LADDER.states, StateDef("fuik", "Fuik")),
                transitions=(*ijam.LADDER.transitions, TransitionDef("vastlopen", "pga", "fuik", ("procesregisseur",))),
            ),
            "'afgesloten' is unreachable from state 'fuik'",
            id="dead-end",
        ),
        pytest.param(
            with_transitions(
                jeugdgroep.LADDER,
                TransitionDef(
                    "start_verkenning", "signalering", "verkenning", ("procesregisseur",), guards=("maan_is_vol",)
                ),
                replace_first=True,
            ),
            "guard 'maan_is_vol' is not registered",
            id="unregistered-guard",
        ),
        pytest.param(
            with_transitions(
                jeugdgroep.LADDER,
                TransitionDef(
                    "start_verkenning", "signalering", "verkenning", ("procesregisseur",), effect="os.system"
                ),
                replace_first=True,
            ),
            "effect 'os.system' is not registered",
            id="unregistered-effect",
        ),
        pytest.param(
            with_transitions(
                jeugdgroep.LADDER, TransitionDef("start_verkenning", "signalering", "groepsscan", ("procesregisseur",))
            ),
            "duplicate (trigger, source)",
            id="duplicate-trigger-source",
        ),
        pytest.param(
            with_transitions(
                jeugdgroep.LADDER,
                TransitionDef(
                    "start_verkenning", "signalering", "verkenning", ("procesregisseur",), data_category="geheim"
                ),
                replace_first=True,
            ),
            "unknown data category 'geheim'",
            id="unknown-data-category",
        ),
        pytest.param(
            replace(jeugdgroep.LADDER, details_categories={"groepsduiding": "roddel"}),
            "unknown data category 'roddel'",
            id="unknown-details-category",
        ),
        pytest.param(
            replace(jeugdgroep.LADDER, details_categories={"schoenmaat": "identificatie"}),
            "unknown details field 'schoenmaat'",
            id="unknown-details-field",
        ),
        pytest.param(
            replace(ijam.LADDER, transitions=ijam.LADDER.transitions[:-1]),
            "no 'heropenen' transition",
            id="no-heropenen",
        ),
        pytest.param(
            with_transitions(ijam.LADDER, TransitionDef("afsluiten", "pga", "netwerkoverleg", ("procesregisseur",))),
            "duplicate (trigger, source)",
            id="duplicate-afsluiten",
        ),
        pytest.param(
            replace(woonoverlast.LADDER,
                    stagnation=StagnationRule("escalate", ("casusniveau", "melding"), "escaleren", {})),
            "stagnation: no transition 'escaleren' from 'melding'",
            id="stagnation-trigger",
        ),
        pytest.param(
            replace(
                woonoverlast.LADDER,
                stagnation=StagnationRule("escalate", ("casusniveau",), "escaleren", {"escalatiereden": "verveling"}),
            ),
            "stagnation: data does not fit",
            id="stagnation-data",
        ),
        pytest.param(
            replace(woonoverlast.LADDER, stagnation=StagnationRule("escalate", (), "escaleren", {})),
            "stagnation: escalate needs a tuple of from_states",
            id="stagnation-no-from-states",
        ),
        pytest.param(
            replace(woonoverlast.LADDER, stagnation=StagnationRule(
                "escalate", "casusniveau", "escaleren", {"escalatiereden": "oneenigheid"})),  # type: ignore[arg-type]
            "stagnation: escalate needs a tuple of from_states",
            id="stagnation-from-states-a-string",
        ),
        pytest.param(
            replace(ijam.LADDER, states=(replace(ijam.LADDER.states[0], owner="marechaussee"),
                                         *ijam.LADDER.states[1:])),
            "state 'knooppunt_school': unknown owner organisation kind 'marechaussee'",
            id="unknown-owner-kind",
        ),
        pytest.param(
            replace(ijam.LADDER, states=(replace(ijam.LADDER.states[0], owner=None, owner_required=True),
                                         *ijam.LADDER.states[1:])),
            "state 'knooppunt_school': owner_required without an owner kind",
            id="owner-required-without-kind",
        ),
        pytest.param(
            replace(ijam.LADDER, states=(replace(ijam.LADDER.states[0], owner=None, owner_named_by="school"),
                                         *ijam.LADDER.states[1:])),
            "state 'knooppunt_school': owner_named_by 'school' is no transition's sets_regie_from",
            id="owner-named-by-unknown",
        ),
        pytest.param(
            replace(woonoverlast.LADDER, states=tuple(
                replace(s, owner="zvh") if s.code == "casusniveau" else s for s in woonoverlast.LADDER.states)),
            "state 'casusniveau': an owner kind and owner_named_by exclude each other",
            id="owner-kind-and-named-by",
        ),
        pytest.param(
            replace(ijam.LADDER, initial_states=("afgesloten",)),
            "initial state 'afgesloten'",
            id="closed-initial-state",
        ),
    ],
)
def test_bad_ladder_is_refused(ladder: Ladder, message: str) -> None:
    with pytest.raises(LadderError) as exc:
        build_engine([ladder])
    assert message in str(exc.value)
    assert repr(ladder.case_type) in str(exc.value)


def test_case_type_defined_twice_is_refused() -> None:
    with pytest.raises(LadderError, match="defined twice"):
        build_engine([ijam.LADDER, ijam.LADDER])


def test_get_engine_is_built_once() -> None:
    assert get_engine() is get_engine()


def test_firing_uses_the_shared_machine_and_leaves_no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = get_engine()
    machine = engine.machine("woonoverlast")
    assert machine.models == []

    def no_new_machines(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a Machine was constructed while firing")

    monkeypatch.setattr(Machine, "__init__", no_new_machines)
    for _ in range(50):
        engine.fire("woonoverlast", "casusniveau", "ave_fase_wijzigen", GuardContext(data={"ave_fase": 2}))
        with pytest.raises(GuardFailed):  # failures, too, must leave no model behind
            engine.fire("woonoverlast", "triage", "oppakken", GuardContext(data={}))
    assert engine.machine("woonoverlast") is machine
    assert machine.models == []


def test_machine_is_built_as_the_ladder_says() -> None:
    machine = get_engine().machine("ijam")
    assert set(machine.states) == {"knooppunt_school", "netwerkoverleg", "jonge_aanwas", "pga", "afgesloten"}
    assert set(machine.events) == {"opschalen", "afschalen", "afsluiten", "heropenen"}  # no auto to_<state>
    assert machine.send_event is True


def test_describe_is_json_with_mermaid(engine: WorkflowEngine) -> None:
    for case_type in engine.case_types:
        described = engine.describe(case_type)
        json.dumps(described)
        assert set(described) == {
            "case_type",
            "label",
            "subject_type",
            "initial_states",
            "melder_joins",
            "regie_category",
            "states",
            "transitions",
            "stagnation",
            "vocabularies",
            "mermaid",
        }
        lines = described["mermaid"].splitlines()
        assert lines[0] == "stateDiagram-v2"
        for t in described["transitions"]:
            assert f"    {t['from']} --> {t['to']} : {t['trigger']}" in lines
            assert set(t) == {
                "trigger",
                "label",
                "direction",
                "uitstroomreden",
                "from",
                "to",
                "roles",
                "org_kind_roles",
                "required_data",
                "data_category",
                "guards",
            }
        for code in described["initial_states"]:
            assert f"    [*] --> {code}" in lines


def test_describe_required_data_is_a_json_schema(engine: WorkflowEngine) -> None:
    oppakken = next(t for t in engine.describe("woonoverlast")["transitions"] if t["trigger"] == "oppakken")
    schema = oppakken["required_data"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["ave_fase"]["minimum"] == 1
    assert schema["properties"]["ave_fase"]["maximum"] == 4
    escaleren = next(t for t in engine.describe("woonoverlast")["transitions"] if t["trigger"] == "escaleren")
    enum_def = next(iter(escaleren["required_data"]["$defs"].values()))
    assert sorted(enum_def["enum"]) == [
        "complexiteit_toegenomen",
        "oneenigheid",
        "stagnatie_samenwerking",
        "veiligheid_in_geding",
    ]
    start = next(t for t in engine.describe("jeugdgroep")["transitions"] if t["trigger"] == "start_verkenning")
    assert start["required_data"] == {}


def test_describe_returns_a_copy(engine: WorkflowEngine) -> None:
    engine.describe("ijam")["states"].clear()
    assert len(engine.describe("ijam")["states"]) == 5


def test_ladder_helpers(engine: WorkflowEngine) -> None:
    ladder = engine.ladder("jeugdgroep")
    assert ladder.first_state.code == "signalering"
    assert ladder.final_state.code == "afgesloten"
    assert ladder.state("groepsscan").step == "2B"
    assert engine.summary()[0] == {
        "case_type": "jeugdgroep",
        "label": "Jeugdgroepaanpak (7-stappenmodel)",
        "subject_type": "groep",
    }
