"""ijam: Integrale Jeugdaanpak Maastricht, four tiers (subject: a young person); a case may start at any tier."""

from __future__ import annotations

from itertools import pairwise

from app.vocabulary import StagnationKind
from app.workflows import guards
from app.workflows.fields import Criteria, Forbid
from app.workflows.model import Ladder, StagnationRule, StateDef, TransitionDef, heropenen

# Level owners: the school's knooppunt, the gemeente for the two municipal tables, the ZVH for the PGA.
STATES: tuple[StateDef, ...] = (
    StateDef("knooppunt_school", "Knooppunt op school", tier=1, max_dagen=60, owner="onderwijs"),
    StateDef("netwerkoverleg", "Netwerkoverleg risicojongeren (JPP)", tier=2, max_dagen=60, owner="gemeente"),
    StateDef("jonge_aanwas", "Overleg jonge aanwas (lokale jeugdaanpak)", tier=3, max_dagen=60, owner="gemeente"),
    StateDef("pga", "Persoonsgerichte aanpak ZVH", tier=4, max_dagen=90, owner="zvh"),
    StateDef("afgesloten", "Afgesloten"),
)
TIERS: tuple[str, ...] = tuple(s.code for s in STATES if s.tier is not None)


class Details(Forbid):
    criteria: Criteria | None = None


class OpschalenPga(Forbid):
    criteria: Criteria


P = ("procesregisseur",)
PC = ("procesregisseur", "casusregisseur")


def _opschalen(source: str, dest: str) -> TransitionDef:
    if dest == "pga":
        return TransitionDef(
            "opschalen", source, dest, PC, data_model=OpschalenPga, guards=("criteria_met",), effect="store_criteria"
        )
    return TransitionDef("opschalen", source, dest, PC)


TRANSITIONS: tuple[TransitionDef, ...] = (
    *(_opschalen(lower, upper) for lower, upper in pairwise(TIERS)),
    *(TransitionDef("afschalen", upper, lower, PC) for lower, upper in pairwise(TIERS)),
    *(TransitionDef("afsluiten", tier, "afgesloten", P) for tier in TIERS),
    heropenen(STATES),
)

LADDER = Ladder(
    case_type="ijam",
    label="Integrale Jeugdaanpak Maastricht (IJAM)",
    subject_type="persoon",
    states=STATES,
    transitions=TRANSITIONS,
    initial_states=TIERS,
    details_model=Details,
    # The PGA criteria are the shared reason for the tier, process data like AVE's intake criteria.
    details_categories={},
    stagnation=StagnationRule(StagnationKind.flag),
    guards={"criteria_met": guards.criteria_met},
    effects={"store_criteria": guards.store("criteria")},
)
