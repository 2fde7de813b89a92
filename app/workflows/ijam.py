"""ijam: Integrale Jeugdaanpak Maastricht, four tiers (subject: a young person); a case may start at any tier."""

from __future__ import annotations

from itertools import pairwise

from app.vocabulary import Direction, StagnationKind
from app.workflows import guards, labels
from app.workflows.closing import Afsluiten
from app.workflows.fields import Criteria, Forbid
from app.workflows.model import COMMON_TRIGGER_LABELS, Ladder, StagnationRule, StateDef, TransitionDef, heropenen

# Level owners: the school's knooppunt, the gemeente for the two municipal tables, the ZVH for the PGA.
STATES: tuple[StateDef, ...] = (
    StateDef("knooppunt_school", "Knooppunt op school", tier=1, max_dagen=60, owner="onderwijs"),
    StateDef("netwerkoverleg", "Netwerkoverleg risicojongeren (JPP)", tier=2, max_dagen=60, owner="gemeente"),
    StateDef("jonge_aanwas", "Overleg jonge aanwas (lokale jeugdaanpak)", tier=3, max_dagen=60, owner="gemeente"),
    StateDef("pga", "Persoonsgerichte aanpak ZVH", tier=4, max_dagen=90, owner="zvh"),
    StateDef("afgesloten", "Afgesloten"),
)
TIERS: tuple[str, ...] = tuple(s.code for s in STATES if s.tier is not None)
PGA = "pga"


class Details(Forbid):
    criteria: Criteria | None = None


class OpschalenPga(Forbid):
    criteria: Criteria


P = ("procesregisseur",)
PC = ("procesregisseur", "casusregisseur")


def _opschalen(source: str, dest: str) -> TransitionDef:
    if dest == PGA:
        return TransitionDef(
            "opschalen", source, dest, PC, data_model=OpschalenPga, guards=("criteria_met",), effect="store_criteria",
            direction=Direction.up,
        )
    return TransitionDef("opschalen", source, dest, PC, direction=Direction.up)


def _afschalen(lower: str, upper: str) -> TransitionDef:
    # The criteria are the reason for the pga; below it they no longer hold, and a new step up asks them anew.
    effect = "clear_criteria" if upper == PGA else None
    return TransitionDef("afschalen", upper, lower, PC, effect=effect, direction=Direction.down)


TRANSITIONS: tuple[TransitionDef, ...] = (
    *(_opschalen(lower, upper) for lower, upper in pairwise(TIERS)),
    *(_afschalen(lower, upper) for lower, upper in pairwise(TIERS)),
    # A case may start and end at any tier: every tier is a regular end (any uitstroomreden, doel_bereikt by default),
    # so IJAM has no early closure.
    *(TransitionDef("afsluiten", tier, "afgesloten", P, data_model=Afsluiten, direction=Direction.close)
      for tier in TIERS),
    heropenen(STATES),
)

TRIGGER_LABELS: dict[str, str] = {
    **COMMON_TRIGGER_LABELS,
    "opschalen": "Opschalen naar het volgende niveau",
    "afschalen": "Afschalen naar het vorige niveau",
}

LADDER = Ladder(
    case_type="ijam",
    label="Integrale Jeugdaanpak Maastricht (IJAM)",
    subject_type="persoon",
    states=STATES,
    transitions=TRANSITIONS,
    initial_states=TIERS,
    # Opened straight at the pga, the case needs the criteria that `opschalen` into it needs, in its details.
    initial_guards={PGA: ("criteria_met",)},
    details_model=Details,
    # The PGA criteria are the shared reason for the tier, process data like AVE's intake criteria.
    details_categories={},
    stagnation=StagnationRule(StagnationKind.flag),
    guards={"criteria_met": guards.criteria_met},
    effects={"store_criteria": guards.store("criteria"), "clear_criteria": guards.clear("criteria")},
    trigger_labels=TRIGGER_LABELS,
    vocabularies={"criteria": labels.vocabulary(labels.CRITERIA)},
)
