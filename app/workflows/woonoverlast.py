"""woonoverlast: AVE escalation ladder (subject: a household / address). `ave_fase` is a case detail, not a state."""

from __future__ import annotations

from app.vocabulary import StagnationKind
from app.workflows import guards
from app.workflows.fields import AveFase, Criteria, Escalatiereden, Forbid, OrganisationCode, Text
from app.workflows.model import Ladder, StagnationRule, StateDef, TransitionDef, heropenen, reflexive

# Level owners: the ZVH (procesregie) outside casusniveau and monitoring, where the organisation named at
# `oppakken` holds casusregie; managementniveau is the ZVH with the partners' managers; at bestuurlijk_niveau the
# gemeente (burgemeester) is required, since no one else holds doorzettingsmacht.
CASUSREGIE = "casusregie_organisatie"
STATES: tuple[StateDef, ...] = (
    StateDef("melding", "Melding ontvangen", max_dagen=7, owner="zvh"),
    StateDef("triage", "Screening en weging", max_dagen=14, owner="zvh"),
    StateDef("casusniveau", "Casusniveau (casusregie)", tier=1, max_dagen=42, owner_named_by=CASUSREGIE),
    StateDef("procesniveau", "Procesniveau (procesregie ZVH)", tier=2, max_dagen=28, owner="zvh"),
    StateDef("managementniveau", "Managementniveau", tier=3, max_dagen=14, owner="zvh"),
    StateDef("bestuurlijk_niveau", "Bestuurlijk niveau (doorzettingsmacht)", tier=4, max_dagen=14, owner="gemeente",
             owner_required=True),
    StateDef("monitoring", "Afgeschaald, monitoring", max_dagen=90, owner_named_by=CASUSREGIE),
    StateDef("afgesloten", "Afgesloten"),
)


class Details(Forbid):
    ave_fase: AveFase | None = None
    criteria: Criteria | None = None


class Oppakken(Forbid):
    ave_fase: AveFase
    casusregie_organisatie: OrganisationCode
    criteria: Criteria


class Escaleren(Forbid):
    escalatiereden: Escalatiereden


class Doorzettingsbesluit(Forbid):
    besluit: Text


class AveFaseWijzigen(Forbid):
    ave_fase: AveFase


P = ("procesregisseur",)
CP = ("casusregisseur", "procesregisseur")

TRANSITIONS: tuple[TransitionDef, ...] = (
    TransitionDef("triage_starten", "melding", "triage", P),
    TransitionDef("niet_in_behandeling", "triage", "afgesloten", P),
    TransitionDef(
        "oppakken",
        "triage",
        "casusniveau",
        P,
        data_model=Oppakken,
        guards=("criteria_met",),
        effect="store_ave_fase_criteria",
        sets_regie_from=CASUSREGIE,
    ),
    TransitionDef("escaleren", "casusniveau", "procesniveau", CP, data_model=Escaleren),
    TransitionDef("escaleren", "procesniveau", "managementniveau", CP, data_model=Escaleren),
    TransitionDef("escaleren", "managementniveau", "bestuurlijk_niveau", P, data_model=Escaleren),
    TransitionDef("deescaleren", "procesniveau", "casusniveau", P),
    TransitionDef("deescaleren", "managementniveau", "procesniveau", P),
    TransitionDef("deescaleren", "bestuurlijk_niveau", "managementniveau", ("bestuurder",)),
    TransitionDef(
        "doorzettingsbesluit", "bestuurlijk_niveau", "procesniveau", ("bestuurder",), data_model=Doorzettingsbesluit
    ),
    TransitionDef("afschalen", "casusniveau", "monitoring", CP),
    TransitionDef("heropschalen", "monitoring", "casusniveau", CP),
    TransitionDef("afsluiten", "monitoring", "afgesloten", P),
    *reflexive("ave_fase_wijzigen", STATES, CP, data_model=AveFaseWijzigen, effect="store_ave_fase"),
    heropenen(STATES),
)

LADDER = Ladder(
    case_type="woonoverlast",
    label="Woonoverlast (AVE)",
    subject_type="adres",
    states=STATES,
    transitions=TRANSITIONS,
    initial_states=(STATES[0].code,),
    details_model=Details,
    # ave_fase and the intake criteria are AVE's shared working vocabulary: process data for every participant.
    details_categories={},
    # Breaking stagnation is AVE's purpose: on every rung that has a next one, not only the first.
    stagnation=StagnationRule(
        StagnationKind.escalate,
        from_states=("casusniveau", "procesniveau", "managementniveau"),
        trigger="escaleren",
        data={"escalatiereden": Escalatiereden.stagnatie_samenwerking.value},
    ),
    guards={"criteria_met": guards.criteria_met},
    effects={
        "store_ave_fase_criteria": guards.store("ave_fase", "criteria"),
        "store_ave_fase": guards.store("ave_fase"),
    },
)
