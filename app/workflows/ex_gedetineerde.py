"""ex_gedetineerde: re-integration and nazorg after detention (subject: a person)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

from pydantic import Field, field_validator

from app.kit.moments import Day
from app.vocabulary import Direction, StagnationKind
from app.workflows import guards, labels, release_dates
from app.workflows.closing import Afsluiten, early_closures
from app.workflows.fields import Delictcategorie, Forbid, Text
from app.workflows.model import (
    COMMON_TRIGGER_LABELS,
    GuardContext,
    Ladder,
    StagnationRule,
    StateDef,
    TransitionDef,
    heropenen,
    reflexive,
)

# Level owners: the gemeente (nazorgcoördinator) until nazorg, the ZVH for the persoonsgerichte aanpak.
STATES: tuple[StateDef, ...] = (
    StateDef("aangemeld", "Aangemeld (detentie gestart)", max_dagen=14, owner="gemeente"),
    # No fixed length: due when the voorbereiding terugkeer should start, before the expected release.
    StateDef("in_detentie", "Tijdens detentie: screening basisvoorwaarden", owner="gemeente",
             due_before="verwachte_invrijheidstelling"),
    StateDef("voorbereiding_terugkeer", "Voorbereiding terugkeer", max_dagen=30, owner="gemeente"),
    StateDef("nazorg", "Nazorg na detentie", tier=1, max_dagen=180, owner="gemeente"),
    StateDef("pga", "Persoonsgerichte aanpak ZVH", tier=2, max_dagen=90, owner="zvh"),
    StateDef("afgesloten", "Afgesloten"),
)

BASISVOORWAARDEN: tuple[str, ...] = ("identiteitsbewijs", "onderdak", "inkomen", "schulden", "zorgverzekering")
Status = Literal["onbekend", "niet_geregeld", "in_behandeling", "geregeld"]
BASISVOORWAARDEN_LABELS: dict[str, str] = {
    "identiteitsbewijs": "Identiteitsbewijs",
    "onderdak": "Onderdak",
    "inkomen": "Inkomen",
    "schulden": "Schulden",
    "zorgverzekering": "Zorgverzekering",
}
STATUS_LABELS: dict[str, str] = {
    "onbekend": "Onbekend",
    "niet_geregeld": "Niet geregeld",
    "in_behandeling": "In behandeling",
    "geregeld": "Geregeld",
}


class Basisvoorwaarden(Forbid):
    identiteitsbewijs: Status = "onbekend"
    onderdak: Status = "onbekend"
    inkomen: Status = "onbekend"
    schulden: Status = "onbekend"
    zorgverzekering: Status = "onbekend"


class Melding18b(Forbid):
    delictcategorie: Delictcategorie
    ontvangen_op: Day


class Beheersmaatregel(Forbid):
    maatregel: Text


class Details(Forbid):
    basisvoorwaarden: Basisvoorwaarden = Field(default_factory=Basisvoorwaarden)
    verwachte_invrijheidstelling: Day | None = None
    invrijheidstelling_datum: Day | None = None
    meldingen_18b: list[Melding18b] = Field(default_factory=list)
    beheersmaatregelen: list[Beheersmaatregel] = Field(default_factory=list)


class Screenen(Forbid):
    verwachte_invrijheidstelling: Day

    @field_validator("verwachte_invrijheidstelling")
    @classmethod
    def _plausible(cls, value: date) -> date:
        if (why := release_dates.current().implausible(value)) is not None:
            raise ValueError(f"the expected release date {why}")
        return value


class Invrijheidstelling(Forbid):
    invrijheidstelling_datum: date


def _redetained(details: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """The new expected release date replaces the old one; the last release date is cleared."""
    return guards.clear("invrijheidstelling_datum")(guards.store("verwachte_invrijheidstelling")(details, data), data)


def basisvoorwaarden_bekend(ctx: GuardContext) -> list[str]:
    """Every basisvoorwaarde must have a status other than onbekend."""
    current = ctx.details.get("basisvoorwaarden") or {}
    return [f"basisvoorwaarden.{k}" for k in BASISVOORWAARDEN if current.get(k, "onbekend") == "onbekend"]


P = ("procesregisseur",)
PC = ("procesregisseur", "casusregisseur")
PB = ("procesregisseur", "bestuurder")

# Directions: the way through detention to nazorg is a sequence of process steps (lateral); the tiers decide
# between nazorg and the persoonsgerichte aanpak.
UP, DOWN, LATERAL, CLOSE = Direction.up, Direction.down, Direction.lateral, Direction.close

TRANSITIONS: tuple[TransitionDef, ...] = (
    # Detention dates come from DJI / reclassering: justitie.
    TransitionDef(
        "screenen",
        "aangemeld",
        "in_detentie",
        PC,
        data_model=Screenen,
        effect="store_verwachte_invrijheidstelling",
        data_category="justitie",
        direction=LATERAL,
    ),
    TransitionDef("terugkeer_voorbereiden", "in_detentie", "voorbereiding_terugkeer", PC, direction=LATERAL),
    TransitionDef(
        "invrijheidstelling",
        "voorbereiding_terugkeer",
        "nazorg",
        PC,
        data_model=Invrijheidstelling,
        effect="store_invrijheidstelling_datum",
        data_category="justitie",
        direction=LATERAL,
    ),
    TransitionDef("opschalen_pga", "nazorg", "pga", P, direction=UP),
    # Detained again (from nazorg or the PGA): back to detention with the new expected release date; the last
    # release date no longer holds. A process step, not a rung: lateral.
    *(TransitionDef("opnieuw_gedetineerd", source, "in_detentie", PC, data_model=Screenen,
                    effect="opnieuw_gedetineerd", data_category="justitie", direction=LATERAL)
      for source in ("nazorg", "pga")),
    TransitionDef("afschalen", "pga", "nazorg", P, direction=DOWN),
    TransitionDef("afsluiten", "nazorg", "afgesloten", P, data_model=Afsluiten, guards=("basisvoorwaarden_bekend",),
                  direction=CLOSE),
    *early_closures(STATES, regular_end=("nazorg",)),
    *reflexive(
        "melding_18b_registreren",
        STATES,
        PB,
        data_model=Melding18b,
        effect="append_melding_18b",
        data_category="veiligheid",
    ),
    *reflexive(
        "beheersmaatregel_registreren",
        STATES,
        PB,
        data_model=Beheersmaatregel,
        effect="append_beheersmaatregel",
        data_category="veiligheid",
    ),
    heropenen(STATES),
)

TRIGGER_LABELS: dict[str, str] = {
    **COMMON_TRIGGER_LABELS,
    "screenen": "Screenen op basisvoorwaarden",
    "terugkeer_voorbereiden": "Terugkeer voorbereiden",
    "opnieuw_gedetineerd": "Opnieuw gedetineerd",
    "invrijheidstelling": "Invrijheidstelling vastleggen",
    "opschalen_pga": "Opschalen naar de persoonsgerichte aanpak",
    "afschalen": "Afschalen naar nazorg",
    "melding_18b_registreren": "18b-melding registreren",
    "beheersmaatregel_registreren": "Beheersmaatregel registreren",
}

LADDER = Ladder(
    case_type="ex_gedetineerde",
    label="Re-integratie en nazorg ex-gedetineerden",
    subject_type="persoon",
    states=STATES,
    transitions=TRANSITIONS,
    initial_states=(STATES[0].code,),
    details_model=Details,
    details_categories={
        "basisvoorwaarden": "sociaal_domein",
        "verwachte_invrijheidstelling": "justitie",
        "invrijheidstelling_datum": "justitie",
        "meldingen_18b": "veiligheid",
        "beheersmaatregelen": "veiligheid",
    },
    stagnation=StagnationRule(StagnationKind.flag),
    # The regie holder directs the response to 18b meldingen and beheersmaatregelen (DOMAIN.md).
    regie_category="veiligheid",
    guards={"basisvoorwaarden_bekend": basisvoorwaarden_bekend},
    effects={
        "store_verwachte_invrijheidstelling": guards.store("verwachte_invrijheidstelling"),
        "opnieuw_gedetineerd": _redetained,
        "store_invrijheidstelling_datum": guards.store("invrijheidstelling_datum"),
        "append_melding_18b": guards.append("meldingen_18b", "delictcategorie", "ontvangen_op"),
        "append_beheersmaatregel": guards.append("beheersmaatregelen", "maatregel"),
    },
    trigger_labels=TRIGGER_LABELS,
    vocabularies={
        "delictcategorie": labels.vocabulary(labels.DELICTCATEGORIE),
        "basisvoorwaarden": BASISVOORWAARDEN_LABELS,
        "basisvoorwaarden_status": STATUS_LABELS,
    },
)
