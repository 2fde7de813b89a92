"""radicalisering: signal, local pre-assessment, regional weegtafel, PGA (subject: a person)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import StrictBool

from app.vocabulary import Direction, StagnationKind, Uitstroomreden
from app.workflows import guards, labels
from app.workflows.closing import Afsluiten, closing, early_closures
from app.workflows.fields import Forbid, Text, Weegcriteria
from app.workflows.model import (
    COMMON_TRIGGER_LABELS,
    Effect,
    Ladder,
    StagnationRule,
    StateDef,
    TransitionDef,
    heropenen,
)

# Level owners: the gemeente up to the weegtafel (with politie and OM there), the ZVH for the PGA.
STATES: tuple[StateDef, ...] = (
    StateDef("signaal", "Signaal ontvangen", max_dagen=7, owner="gemeente"),
    StateDef("voorweging", "Lokale voorweging (gemeente)", max_dagen=14, owner="gemeente"),
    StateDef("weegtafel", "Regionale weegtafel (politie, OM, gemeente)", max_dagen=28, owner="gemeente"),
    # Being here says the weegtafel took the person on (a PGA decision, veiligheid): withheld from the others.
    StateDef("casusoverleg", "Persoonsgerichte aanpak: casusoverleg en plan", tier=1, max_dagen=28, owner="zvh",
             category="veiligheid"),
    StateDef("monitoring", "Uitvoering en monitoring", tier=1, max_dagen=90, owner="zvh", category="veiligheid"),
    StateDef("afgesloten", "Afgesloten"),
)


class WeegtafelBesluit(StrEnum):
    geen_actie = "geen_actie"
    meer_informatie = "meer_informatie"
    strafrechtelijk = "strafrechtelijk"
    pga = "pga"


WEEGTAFEL_BESLUIT_LABELS: dict[WeegtafelBesluit, str] = {
    WeegtafelBesluit.geen_actie: "Geen actie",
    WeegtafelBesluit.meer_informatie: "Meer informatie nodig",
    WeegtafelBesluit.strafrechtelijk: "Strafrechtelijke aanpak (OM)",
    WeegtafelBesluit.pga: "Persoonsgerichte aanpak",
}


class Details(Forbid):
    weegcriteria: Weegcriteria | None = None
    # The last weegtafel decision, so that a case shows why it is where it is without reading its history.
    weegtafel_besluit: WeegtafelBesluit | None = None
    # With a PGA decision: whether the OM's criminal-law track runs alongside it (set only when the decision says).
    ook_strafrechtelijk: StrictBool | None = None


class Motivering(Forbid):
    motivering: Text


class Weging(Forbid):
    weegcriteria: Weegcriteria
    motivering: Text


class WegingPga(Weging):
    # A PGA can go together with a criminal-law track, not only instead of it (besluit_strafrechtelijk closes).
    ook_strafrechtelijk: StrictBool | None = None


def record_besluit(besluit: WeegtafelBesluit) -> Effect:
    def effect(details: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
        new = copy.deepcopy(dict(details))
        new["weegtafel_besluit"] = besluit.value
        if "weegcriteria" in data:
            new["weegcriteria"] = copy.deepcopy(data["weegcriteria"])
        # It belongs to the decision it came with: a later decision that does not say it leaves none behind.
        new.pop("ook_strafrechtelijk", None)
        if data.get("ook_strafrechtelijk") is not None:
            new["ook_strafrechtelijk"] = data["ook_strafrechtelijk"]
        return new

    return effect


P = ("procesregisseur",)
# Weegtafel decisions weigh police, OM and municipal information about a person: a risk assessment.
V = "veiligheid"

# Directions: from the local voorweging to the regional weegtafel is up, back for more information down; the
# weegtafel's decision for a PGA starts the approach (not an escalation, as in Ladder.escalates); within the PGA
# (one tier) the case moves sideways.
UP, DOWN, LATERAL = Direction.up, Direction.down, Direction.lateral

TRANSITIONS: tuple[TransitionDef, ...] = (
    TransitionDef("voorwegen", "signaal", "voorweging", P, direction=LATERAL),
    # No concerns, or a weegtafel deciding on no action: no ground for a joint approach.
    closing("geen_zorgen", "voorweging", P, Uitstroomreden.geen_grondslag),
    TransitionDef("naar_weegtafel", "voorweging", "weegtafel", P, direction=UP),
    closing(
        "besluit_geen_actie",
        "weegtafel",
        P,
        Uitstroomreden.geen_grondslag,
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
        direction=DOWN,
    ),
    # Handed to the OM: the case leaves the joint approach for the criminal-law one.
    closing(
        "besluit_strafrechtelijk",
        "weegtafel",
        P,
        Uitstroomreden.strafrechtelijk_afgedaan,
        data_model=Motivering,
        effect="besluit_strafrechtelijk",
        data_category=V,
    ),
    TransitionDef(
        "besluit_pga", "weegtafel", "casusoverleg", P, data_model=WegingPga, effect="besluit_pga", data_category=V,
        direction=LATERAL,
    ),
    TransitionDef(
        "plan_vaststellen", "casusoverleg", "monitoring", P, guards=("plan_has_action",), marks_plan_vastgesteld=True,
        direction=LATERAL,
    ),
    TransitionDef("bijstellen", "monitoring", "casusoverleg", P, direction=LATERAL),
    TransitionDef("afsluiten", "monitoring", "afgesloten", P, data_model=Afsluiten, direction=Direction.close),
    *early_closures(STATES, regular_end=("monitoring",)),
    heropenen(STATES),
)

TRIGGER_LABELS: dict[str, str] = {
    **COMMON_TRIGGER_LABELS,
    "voorwegen": "Lokaal voorwegen",
    "geen_zorgen": "Geen zorgen",
    "naar_weegtafel": "Naar de regionale weegtafel",
    "besluit_geen_actie": "Besluit weegtafel: geen actie",
    "besluit_meer_informatie": "Besluit weegtafel: meer informatie nodig",
    "besluit_strafrechtelijk": "Besluit weegtafel: strafrechtelijke aanpak (OM)",
    "besluit_pga": "Besluit weegtafel: persoonsgerichte aanpak",
    "plan_vaststellen": "Plan van aanpak vaststellen",
    "bijstellen": "Plan van aanpak bijstellen",
}

LADDER = Ladder(
    case_type="radicalisering",
    label="Radicalisering (signaal, weegtafel, persoonsgerichte aanpak)",
    subject_type="persoon",
    states=STATES,
    transitions=TRANSITIONS,
    initial_states=(STATES[0].code,),
    details_model=Details,
    details_categories={"weegcriteria": V, "weegtafel_besluit": V, "ook_strafrechtelijk": V},
    stagnation=StagnationRule(StagnationKind.flag),
    guards={"plan_has_action": guards.plan_has_action},
    effects={f"besluit_{b.value}": record_besluit(b) for b in WeegtafelBesluit},
    trigger_labels=TRIGGER_LABELS,
    vocabularies={"weegtafel_besluit": labels.vocabulary(WEEGTAFEL_BESLUIT_LABELS)},
    # A school or partner that reports worries learns the status of its signal, not the case: whether the
    # weegtafel took a person on is itself sensitive (DOMAIN.md radicalisering).
    melder_joins=False,
)
