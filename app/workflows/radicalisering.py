"""radicalisering: signal, local pre-assessment, regional weegtafel, PGA (subject: a person)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from app.vocabulary import StagnationKind
from app.workflows import guards
from app.workflows.fields import Forbid, Text, Weegcriteria
from app.workflows.model import Effect, Ladder, StagnationRule, StateDef, TransitionDef, heropenen

# Level owners: the gemeente up to the weegtafel (with politie and OM there), the ZVH for the PGA.
STATES: tuple[StateDef, ...] = (
    StateDef("signaal", "Signaal ontvangen", max_dagen=7, owner="gemeente"),
    StateDef("voorweging", "Lokale voorweging (gemeente)", max_dagen=14, owner="gemeente"),
    StateDef("weegtafel", "Regionale weegtafel (politie, OM, gemeente)", max_dagen=28, owner="gemeente"),
    StateDef("casusoverleg", "Persoonsgerichte aanpak: casusoverleg en plan", tier=1, max_dagen=28, owner="zvh"),
    StateDef("monitoring", "Uitvoering en monitoring", tier=1, max_dagen=90, owner="zvh"),
    StateDef("afgesloten", "Afgesloten"),
)


class WeegtafelBesluit(StrEnum):
    geen_actie = "geen_actie"
    meer_informatie = "meer_informatie"
    strafrechtelijk = "strafrechtelijk"
    pga = "pga"


class Details(Forbid):
    weegcriteria: Weegcriteria | None = None
    # The last weegtafel decision, so that a case shows why it is where it is without reading its history.
    weegtafel_besluit: WeegtafelBesluit | None = None


class Motivering(Forbid):
    motivering: Text


class Weging(Forbid):
    weegcriteria: Weegcriteria
    motivering: Text


def record_besluit(besluit: WeegtafelBesluit) -> Effect:
    def effect(details: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
        new = copy.deepcopy(dict(details))
        new["weegtafel_besluit"] = besluit.value
        if "weegcriteria" in data:
            new["weegcriteria"] = copy.deepcopy(data["weegcriteria"])
        return new

    return effect


P = ("procesregisseur",)
# Weegtafel decisions weigh police, OM and municipal information about a person: a risk assessment.
V = "veiligheid"

TRANSITIONS: tuple[TransitionDef, ...] = (
    TransitionDef("voorwegen", "signaal", "voorweging", P),
    TransitionDef("geen_zorgen", "voorweging", "afgesloten", P),
    TransitionDef("naar_weegtafel", "voorweging", "weegtafel", P),
    TransitionDef(
        "besluit_geen_actie",
        "weegtafel",
        "afgesloten",
        P,
        data_model=Weging,
        effect="besluit_geen_actie",
        data_category=V,
    ),
    TransitionDef(
        "besluit_meer_informatie",
        "weegtafel",
        "voorweging",
        P,
        data_model=Motivering,
        effect="besluit_meer_informatie",
        data_category=V,
    ),
    TransitionDef(
        "besluit_strafrechtelijk",
        "weegtafel",
        "afgesloten",
        P,
        data_model=Motivering,
        effect="besluit_strafrechtelijk",
        data_category=V,
    ),
    TransitionDef(
        "besluit_pga", "weegtafel", "casusoverleg", P, data_model=Weging, effect="besluit_pga", data_category=V
    ),
    TransitionDef(
        "plan_vaststellen", "casusoverleg", "monitoring", P, guards=("plan_has_action",), marks_plan_vastgesteld=True
    ),
    TransitionDef("bijstellen", "monitoring", "casusoverleg", P),
    TransitionDef("afsluiten", "monitoring", "afgesloten", P),
    heropenen(STATES),
)

LADDER = Ladder(
    case_type="radicalisering",
    label="Radicalisering (signaal, weegtafel, persoonsgerichte aanpak)",
    subject_type="persoon",
    states=STATES,
    transitions=TRANSITIONS,
    initial_states=(STATES[0].code,),
    details_model=Details,
    details_categories={"weegcriteria": "veiligheid", "weegtafel_besluit": "veiligheid"},
    stagnation=StagnationRule(StagnationKind.flag),
    guards={"plan_has_action": guards.plan_has_action},
    effects={f"besluit_{b.value}": record_besluit(b) for b in WeegtafelBesluit},
)
