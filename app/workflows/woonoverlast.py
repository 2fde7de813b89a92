"""woonoverlast: AVE escalation ladder (subject: a household / address). `ave_fase` is a case detail, not a state."""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from app.kit.moments import Day
from app.vocabulary import BestuurlijkeMaatregel, Direction, MaatregelStatus, StagnationKind, Uitstroomreden
from app.workflows import guards, labels
from app.workflows.closing import Afsluiten, closing, early_closures
from app.workflows.fields import AveFase, Criteria, Escalatiereden, Forbid, OrganisationCode, Text
from app.workflows.model import (
    COMMON_TRIGGER_LABELS,
    Ladder,
    StagnationRule,
    StateDef,
    TransitionDef,
    heropenen,
    reflexive,
)

# Level owners: the ZVH (procesregie) outside casusniveau and monitoring, where the organisation named at
# `oppakken` holds casusregie; managementniveau is the ZVH with the partners' managers; at bestuurlijk_niveau the
# gemeente (burgemeester) is required, since no one else holds doorzettingsmacht.
REGIE = "regie_organisation"
STATES: tuple[StateDef, ...] = (
    StateDef("melding", "Melding ontvangen", max_dagen=7, owner="zvh"),
    StateDef("triage", "Screening en weging", max_dagen=14, owner="zvh"),
    StateDef("casusniveau", "Casusniveau (casusregie)", tier=1, max_dagen=42, owner_named_by=REGIE),
    StateDef("procesniveau", "Procesniveau (procesregie ZVH)", tier=2, max_dagen=28, owner="zvh"),
    StateDef("managementniveau", "Managementniveau", tier=3, max_dagen=14, owner="zvh"),
    StateDef("bestuurlijk_niveau", "Bestuurlijk niveau (doorzettingsmacht)", tier=4, max_dagen=14, owner="gemeente",
             owner_required=True),
    StateDef("monitoring", "Afgeschaald, monitoring", max_dagen=90, owner_named_by=REGIE),
    StateDef("afgesloten", "Afgesloten"),
)


class Doorzettingsbesluit(Forbid):
    besluit: Text
    # The day the bestuurder decided, where it is recorded later (the transition has the moment of recording).
    datum: Day | None = None


class MaatregelRegistreren(Forbid):
    """One bestuurlijke maatregel in one status; a later status of the same maatregel is a new registration."""

    maatregel: BestuurlijkeMaatregel
    datum: Day
    status: MaatregelStatus
    toelichting: Text | None = Field(None, validate_default=True,
                                     description="Required when maatregel is `anders`: which measure")

    @field_validator("toelichting")
    @classmethod
    def anders_is_explained(cls, value: str | None, info: ValidationInfo) -> str | None:
        # `anders` alone would tell the partners nothing about what the burgemeester imposed.
        if value is None and info.data.get("maatregel") == BestuurlijkeMaatregel.anders:
            raise ValueError("required when maatregel is anders")
        return value


MAATREGEL_LABELS: dict[BestuurlijkeMaatregel, str] = {
    BestuurlijkeMaatregel.gedragsaanwijzing: "Gedragsaanwijzing (art. 151d Gemeentewet)",
    BestuurlijkeMaatregel.woningsluiting: "Woningsluiting (art. 174a Gemeentewet)",
    BestuurlijkeMaatregel.bestuurlijke_waarschuwing: "Bestuurlijke waarschuwing",
    BestuurlijkeMaatregel.anders: "Anders (zie de toelichting)",
}
MAATREGEL_STATUS_LABELS: dict[MaatregelStatus, str] = {
    MaatregelStatus.voorgenomen: "Voorgenomen",
    MaatregelStatus.opgelegd: "Opgelegd",
    MaatregelStatus.ingetrokken: "Ingetrokken",
    MaatregelStatus.uitgevoerd: "Uitgevoerd",
}


class Details(Forbid):
    ave_fase: AveFase | None = None
    criteria: Criteria | None = None
    # The last doorzettingsbesluit, so that the case shows what the bestuurder decided (the history has them all).
    doorzettingsbesluit: Doorzettingsbesluit | None = None
    # None rather than []: a new case has no such key, so that it withholds nothing from anyone.
    maatregelen: list[MaatregelRegistreren] | None = None


class Oppakken(Forbid):
    ave_fase: AveFase
    # One term for the regie holder everywhere (#16); the key this trigger first had is still read, so that a
    # partner's client written against it keeps working. It is stored and answered as `regie_organisation`.
    regie_organisation: OrganisationCode
    criteria: Criteria

    @model_validator(mode="before")
    @classmethod
    def _former_key(cls, data: Any) -> Any:
        if isinstance(data, dict) and "casusregie_organisatie" in data and "regie_organisation" not in data:
            data = {("regie_organisation" if k == "casusregie_organisatie" else k): v for k, v in data.items()}
        return data


class Escaleren(Forbid):
    escalatiereden: Escalatiereden


class AveFaseWijzigen(Forbid):
    ave_fase: AveFase


P = ("procesregisseur",)
CP = ("casusregisseur", "procesregisseur")
B = ("bestuurder",)
BESTUURLIJK = "bestuurlijk_niveau"
# The doorzettingsbesluit directs the joint approach of the nuisance (often the corporation's part in it, which
# must read it to carry it out): wonen, like the corporation measures it weighs. The bestuurlijke maatregelen are
# control measures (DOMAIN.md: veiligheid), for those whose convenant grants that.
WONEN, VEILIGHEID = "wonen", "veiligheid"

# Directions: the tiers decide where both states have one (escaleren, deescaleren, doorzettingsbesluit); taking a
# case up from triage is an intake, not an escalation (as in Ladder.escalates); afschalen to monitoring steps down
# and heropschalen back up.
UP, DOWN, LATERAL, CLOSE = Direction.up, Direction.down, Direction.lateral, Direction.close

TRANSITIONS: tuple[TransitionDef, ...] = (
    TransitionDef("triage_starten", "melding", "triage", P, direction=LATERAL),
    # Not taken up after screening: no ground for a joint approach.
    closing("niet_in_behandeling", "triage", P, Uitstroomreden.geen_grondslag),
    TransitionDef(
        "oppakken",
        "triage",
        "casusniveau",
        P,
        data_model=Oppakken,
        guards=("criteria_met",),
        effect="store_ave_fase_criteria",
        sets_regie_from=REGIE,
        direction=LATERAL,
    ),
    TransitionDef("escaleren", "casusniveau", "procesniveau", CP, data_model=Escaleren, direction=UP),
    TransitionDef("escaleren", "procesniveau", "managementniveau", P, data_model=Escaleren, direction=UP),
    TransitionDef("escaleren", "managementniveau", "bestuurlijk_niveau", P, data_model=Escaleren, direction=UP),
    TransitionDef("deescaleren", "procesniveau", "casusniveau", P, direction=DOWN),
    TransitionDef("deescaleren", "managementniveau", "procesniveau", P, direction=DOWN),
    TransitionDef("deescaleren", BESTUURLIJK, "managementniveau", B, direction=DOWN),
    TransitionDef(
        "doorzettingsbesluit", BESTUURLIJK, "procesniveau", B, data_model=Doorzettingsbesluit,
        effect="store_doorzettingsbesluit", data_category=WONEN, direction=DOWN,
    ),
    TransitionDef("afschalen", "casusniveau", "monitoring", CP, direction=DOWN),
    TransitionDef("heropschalen", "monitoring", "casusniveau", CP, direction=UP),
    TransitionDef("afsluiten", "monitoring", "afgesloten", P, data_model=Afsluiten, direction=CLOSE),
    *early_closures(STATES, regular_end=("monitoring",)),
    *reflexive("ave_fase_wijzigen", STATES, CP, data_model=AveFaseWijzigen, effect="store_ave_fase"),
    # Where the burgemeester holds doorzettingsmacht, the measures only the burgemeester can take.
    *reflexive(
        "maatregel_registreren",
        (s for s in STATES if s.code == BESTUURLIJK),
        B,
        data_model=MaatregelRegistreren,
        effect="append_maatregel",
        data_category=VEILIGHEID,
    ),
    heropenen(STATES),
)

TRIGGER_LABELS: dict[str, str] = {
    **COMMON_TRIGGER_LABELS,
    "triage_starten": "Screening starten",
    "niet_in_behandeling": "Niet in behandeling nemen",
    "oppakken": "Oppakken op casusniveau",
    "escaleren": "Escaleren naar het volgende niveau",
    "deescaleren": "De-escaleren naar het vorige niveau",
    "doorzettingsbesluit": "Doorzettingsbesluit nemen",
    "afschalen": "Afschalen naar monitoring",
    "heropschalen": "Heropschalen naar casusniveau",
    "ave_fase_wijzigen": "AVE-fase wijzigen",
    "maatregel_registreren": "Bestuurlijke maatregel registreren",
}

LADDER = Ladder(
    case_type="woonoverlast",
    label="Woonoverlast (AVE)",
    subject_type="adres",
    states=STATES,
    transitions=TRANSITIONS,
    initial_states=(STATES[0].code,),
    details_model=Details,
    # ave_fase and the intake criteria are AVE's shared working vocabulary: process data for every participant.
    details_categories={"doorzettingsbesluit": WONEN, "maatregelen": VEILIGHEID},
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
        "store_doorzettingsbesluit": guards.store_record("doorzettingsbesluit", "besluit", "datum"),
        "append_maatregel": guards.append("maatregelen", *MaatregelRegistreren.model_fields),
    },
    trigger_labels=TRIGGER_LABELS,
    vocabularies={
        "ave_fase": labels.vocabulary(labels.AVE_FASE),
        "criteria": labels.vocabulary(labels.CRITERIA),
        "escalatiereden": labels.vocabulary(labels.ESCALATIEREDEN),
        "maatregel": labels.vocabulary(MAATREGEL_LABELS),
        "maatregel_status": labels.vocabulary(MAATREGEL_STATUS_LABELS),
    },
)
