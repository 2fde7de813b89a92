"""Pydantic field types and small models shared by the ladders' data and details models."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, StringConstraints

from app.kit.text_fields import NonBlankText

Text = Annotated[str, NonBlankText(10_000)]
ShortText = Annotated[str, NonBlankText(200)]
# Organisation codes as in the API examples ("politie-limburg", "zvh-mh").
OrganisationCode = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$", min_length=1, max_length=64)
]
# Strict: a JSON "2" is a mistake, not a phase.
AveFase = Annotated[StrictInt, Field(ge=1, le=4)]
Weegcriteria = Annotated[dict[ShortText, StrictStr | StrictBool | StrictInt], Field(min_length=1)]


# The codes a transition's data may carry that the monitor report counts (app/reports): closed vocabularies, no
# personal data, so retention keeps them when it empties the rest of the data (app/retention/destruction.py).
ESCALATION_REASON_KEY, OUTFLOW_REASON_KEY = "escalatiereden", "uitstroomreden"
REASON_CODE_KEYS = (ESCALATION_REASON_KEY, OUTFLOW_REASON_KEY)


class Forbid(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Criteria(Forbid):
    """Intake / PGA criteria; met when (a and b and c) or d."""

    a: StrictBool
    b: StrictBool
    c: StrictBool
    d: StrictBool

    def met(self) -> bool:
        return (self.a and self.b and self.c) or self.d


class Escalatiereden(StrEnum):
    stagnatie_samenwerking = "stagnatie_samenwerking"
    oneenigheid = "oneenigheid"
    veiligheid_in_geding = "veiligheid_in_geding"
    complexiteit_toegenomen = "complexiteit_toegenomen"


class Delictcategorie(StrEnum):
    geweld = "geweld"
    zeden = "zeden"
    overig = "overig"


__all__ = [
    "AveFase",
    "Criteria",
    "Delictcategorie",
    "Escalatiereden",
    "Forbid",
    "OrganisationCode",
    "ShortText",
    "Text",
    "Weegcriteria",
]
