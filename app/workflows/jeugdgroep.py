"""jeugdgroep: the national 7-stappenmodel for youth groups (subject: a group with members)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.kit.moments import Day
from app.vocabulary import StagnationKind
from app.workflows import guards
from app.workflows.fields import Forbid, ShortText, Text
from app.workflows.model import Ladder, StagnationRule, StateDef, TransitionDef, heropenen

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


class Lid(Forbid):
    name: ShortText
    birth_date: Day | None = None


class Details(Forbid):
    leden: list[Lid] = Field(default_factory=list)
    classificatie_legacy: Literal["hinderlijk", "overlastgevend", "crimineel"] | None = None


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


class BesluitDriehoek(Forbid):
    besluit_driehoek_datum: Day


class Evaluatie(Forbid):
    evaluatie: Text


P = ("procesregisseur",)
PB = ("procesregisseur", "bestuurder")

TRANSITIONS: tuple[TransitionDef, ...] = (
    TransitionDef("start_verkenning", "signalering", "verkenning", P),
    TransitionDef("geen_groepsaanpak", "verkenning", "afgesloten", P),
    TransitionDef("namenlijst_opstellen", "verkenning", "groepsscan", P, data_model=Noodzaak),
    TransitionDef(
        "groepsscan_afronden",
        "groepsscan",
        "groepsduiding",
        P,
        org_kind_roles=(("medewerker", "politie"),),
        data_model=GroepsscanAfronden,
    ),
    # The duiding describes group dynamics and problems: a risk assessment, hence veiligheid.
    TransitionDef(
        "duiding_afronden",
        "groepsduiding",
        "prioritering",
        P,
        data_model=DuidingAfronden,
        guards=("concept_plan_exists",),
        data_category="veiligheid",
    ),
    TransitionDef("prioriteren", "prioritering", "planvorming", PB, data_model=BesluitDriehoek),
    TransitionDef("niet_prioriteren", "prioritering", "niet_geprioriteerd", PB, data_model=BesluitDriehoek),
    TransitionDef("heroverwegen", "niet_geprioriteerd", "verkenning", P),
    TransitionDef(
        "plan_vaststellen", "planvorming", "uitvoering", P, guards=("plan_has_action",), marks_plan_vastgesteld=True
    ),
    TransitionDef("bijstellen_duiding", "uitvoering", "groepsduiding", P),
    TransitionDef("bijstellen_plan", "uitvoering", "planvorming", P),
    TransitionDef("afschalen", "uitvoering", "afschaling", P),
    TransitionDef("afschalen_niet_mogelijk", "afschaling", "uitvoering", P),
    TransitionDef("afsluiten", "afschaling", "afgesloten", P, data_model=Evaluatie),
    TransitionDef("afsluiten", "niet_geprioriteerd", "afgesloten", P),
    heropenen(STATES),
)

LADDER = Ladder(
    case_type="jeugdgroep",
    label="Jeugdgroepaanpak (7-stappenmodel)",
    subject_type="groep",
    states=STATES,
    transitions=TRANSITIONS,
    initial_states=(STATES[0].code,),
    details_model=Details,
    # Members are names and birth dates; the legacy Shortlist classification is a police assessment.
    details_categories={"leden": "identificatie", "classificatie_legacy": "politie"},
    stagnation=StagnationRule(StagnationKind.flag),
    guards={"concept_plan_exists": guards.concept_plan_exists, "plan_has_action": guards.plan_has_action},
    effects={},
)
