"""jeugdgroep: the national 7-stappenmodel for youth groups (subject: a group with members)."""

from __future__ import annotations

from typing import Literal

from app.kit.moments import Day
from app.vocabulary import Direction, StagnationKind, Uitstroomreden
from app.workflows import guards
from app.workflows.closing import Afsluiten, closing, early_closures
from app.workflows.fields import Forbid, Text
from app.workflows.model import COMMON_TRIGGER_LABELS, Ladder, StagnationRule, StateDef, TransitionDef, heropenen

# The level owner of every step is the gemeente (team OOV); the lokale driehoek decides on prioritisation through
# its bestuurder, a role, not another owner. niet_geprioriteerd stays with the gemeente, which may reconsider.
G = "gemeente"

STATES: tuple[StateDef, ...] = (
    StateDef("signalering", "Signalen over groepsgedrag delen", step="1", max_dagen=14, owner=G),
    StateDef("verkenning", "Beoordelen groepsgedrag: verkennen", step="2A", max_dagen=14, owner=G),
    StateDef("groepsscan", "Beoordelen groepsgedrag: namenlijst en groepsscan", step="2B", max_dagen=28, owner=G),
    StateDef("groepsduiding", "Groepsduiding en concept plan van aanpak", step="3", max_dagen=28, owner=G),
    StateDef("prioritering", "Adviseren en prioriteren", step="4", max_dagen=14, owner=G),
    StateDef("planvorming", "Aanvullen en vaststellen plan van aanpak", step="5", max_dagen=28, owner=G),
    StateDef("uitvoering", "Uitvoeren en monitoren plan van aanpak", step="6", max_dagen=90, owner=G),
    StateDef("afschaling", "Afschalen en evalueren", step="7", max_dagen=28, owner=G),
    StateDef("niet_geprioriteerd", "Niet geprioriteerd", max_dagen=180, owner=G),
    StateDef("afgesloten", "Afgesloten"),
)




class Noodzaak(Forbid):
    noodzaak: Text


class GroepsscanAfronden(Forbid):
    groepsscan_datum: Day


class Groepsduiding(Forbid):
    dynamiek: Text
    rollen: Text
    problematiek: Text


class DuidingAfronden(Forbid):
    groepsduiding: Groepsduiding


class Details(Forbid):
    # The namenlijst is no detail: its members are subjects of the case (POST /v1/cases/{id}/members), so that
    # each is matchable, countable and in its own access log (migration 0012 moved the old `leden` there).
    classificatie_legacy: Literal["hinderlijk", "overlastgevend", "crimineel"] | None = None
    # The step-3 duiding, kept on the case (not only in history) for whoever holds veiligheid.
    groepsduiding: Groepsduiding | None = None


class BesluitDriehoek(Forbid):
    besluit_driehoek_datum: Day


class Evaluatie(Afsluiten):
    evaluatie: Text


P = ("procesregisseur",)
PB = ("procesregisseur", "bestuurder")

# Directions: the steps of the 7-stappenmodel are process steps (lateral); prioritising a group (or reconsidering
# one that was not) steps the approach up, not prioritising it and afschalen step it down.
UP, DOWN, LATERAL, CLOSE = Direction.up, Direction.down, Direction.lateral, Direction.close
REGULAR_END = ("afschaling", "niet_geprioriteerd")

TRANSITIONS: tuple[TransitionDef, ...] = (
    TransitionDef("start_verkenning", "signalering", "verkenning", P, direction=LATERAL),
    # No group approach is called for: no ground for a joint approach.
    closing("geen_groepsaanpak", "verkenning", P, Uitstroomreden.geen_grondslag),
    TransitionDef("namenlijst_opstellen", "verkenning", "groepsscan", P, data_model=Noodzaak, direction=LATERAL),
    TransitionDef(
        "groepsscan_afronden",
        "groepsscan",
        "groepsduiding",
        P,
        org_kind_roles=(("medewerker", "politie"),),
        data_model=GroepsscanAfronden,
        direction=LATERAL,
    ),
    # The duiding describes group dynamics and problems: a risk assessment, hence veiligheid.
    TransitionDef(
        "duiding_afronden",
        "groepsduiding",
        "prioritering",
        P,
        data_model=DuidingAfronden,
        guards=("concept_plan_exists",),
        effect="store_groepsduiding",
        data_category="veiligheid",
        direction=LATERAL,
    ),
    TransitionDef("prioriteren", "prioritering", "planvorming", PB, data_model=BesluitDriehoek, direction=UP),
    TransitionDef("niet_prioriteren", "prioritering", "niet_geprioriteerd", PB, data_model=BesluitDriehoek,
                  direction=DOWN),
    TransitionDef("heroverwegen", "niet_geprioriteerd", "verkenning", P, direction=UP),
    TransitionDef(
        "plan_vaststellen", "planvorming", "uitvoering", P, guards=("plan_has_action",), marks_plan_vastgesteld=True,
        direction=LATERAL,
    ),
    TransitionDef("bijstellen_duiding", "uitvoering", "groepsduiding", P, direction=LATERAL),
    TransitionDef("bijstellen_plan", "uitvoering", "planvorming", P, direction=LATERAL),
    TransitionDef("afschalen", "uitvoering", "afschaling", P, direction=DOWN),
    TransitionDef("afschalen_niet_mogelijk", "afschaling", "uitvoering", P, direction=UP),
    TransitionDef("afsluiten", "afschaling", "afgesloten", P, data_model=Evaluatie, direction=CLOSE),
    TransitionDef("afsluiten", "niet_geprioriteerd", "afgesloten", P, data_model=Afsluiten, direction=CLOSE),
    *early_closures(STATES, regular_end=REGULAR_END),
    heropenen(STATES),
)

TRIGGER_LABELS: dict[str, str] = {
    **COMMON_TRIGGER_LABELS,
    "start_verkenning": "Verkenning starten",
    "geen_groepsaanpak": "Geen groepsaanpak",
    "namenlijst_opstellen": "Namenlijst opstellen",
    "groepsscan_afronden": "Groepsscan afronden",
    "duiding_afronden": "Groepsduiding afronden",
    "prioriteren": "Prioriteren",
    "niet_prioriteren": "Niet prioriteren",
    "heroverwegen": "Heroverwegen",
    "plan_vaststellen": "Plan van aanpak vaststellen",
    "bijstellen_duiding": "Groepsduiding bijstellen",
    "bijstellen_plan": "Plan van aanpak bijstellen",
    "afschalen": "Afschalen",
    "afschalen_niet_mogelijk": "Afschalen niet mogelijk",
}

LADDER = Ladder(
    case_type="jeugdgroep",
    label="Jeugdgroepaanpak (7-stappenmodel)",
    subject_type="groep",
    states=STATES,
    transitions=TRANSITIONS,
    initial_states=(STATES[0].code,),
    details_model=Details,
    # Members are names and birth dates; the legacy Shortlist classification is a police assessment.
    details_categories={"classificatie_legacy": "politie", "groepsduiding": "veiligheid"},
    stagnation=StagnationRule(StagnationKind.flag),
    guards={"concept_plan_exists": guards.concept_plan_exists, "plan_has_action": guards.plan_has_action},
    effects={"store_groepsduiding": guards.store("groepsduiding")},
    trigger_labels=TRIGGER_LABELS,
    vocabularies={
        "classificatie_legacy": {"hinderlijk": "Hinderlijk", "overlastgevend": "Overlastgevend",
                                 "crimineel": "Crimineel"},
    },
)
