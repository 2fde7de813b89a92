"""Closing a case with an outflow reason (DOMAIN.md "Closing a case"; issue 16 item 2).

Every transition into `afgesloten` has an `uitstroomreden` in its validated data, so the history entry carries it
and the case keeps it until `heropenen` clears it:

- `afsluiten` at the ladder's regular end (the states it closed from before early closure existed) keeps its
  roles, guards and data requirements and takes any reason, `doel_bereikt` when none is given (existing clients
  send none);
- `afsluiten` from every other open state closes early (`early_closures`): procesregisseur only, with a reason
  other than `doel_bereikt` (422 naming `data.uitstroomreden`);
- a ladder's other closing triggers record a fixed reason (`closing`): `geen_groepsaanpak`,
  `niet_in_behandeling`, `geen_zorgen` and `besluit_geen_actie` record `geen_grondslag`; `besluit_strafrechtelijk`
  (handed to the OM) records `strafrechtelijk_afgedaan`.

`anders` needs no rule of its own: every trigger's `reason` is required and not blank (TransitionRequest).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import AfterValidator, Field, WithJsonSchema, create_model
from pydantic_core import PydanticCustomError

from app.kit.code_fields import OneOf
from app.vocabulary import Direction, Uitstroomreden
from app.workflows.fields import Forbid
from app.workflows.model import CLOSE_TRIGGER, FINAL_STATE, StateDef, TransitionDef

P = ("procesregisseur",)
EARLY_REASONS: tuple[Uitstroomreden, ...] = tuple(r for r in Uitstroomreden if r != Uitstroomreden.doel_bereikt)


class Afsluiten(Forbid):
    """Closing at the ladder's regular end."""

    uitstroomreden: Uitstroomreden = Field(Uitstroomreden.doel_bereikt,
                                           description="Why the case closes; doel_bereikt when left out")


def _not_doel_bereikt(value: Uitstroomreden) -> Uitstroomreden:
    if value == Uitstroomreden.doel_bereikt:
        raise PydanticCustomError("regular_end_only", "doel_bereikt only at the ladder's regular end: closing "
                                                      "early needs another uitstroomreden")
    return value


# Published as the reasons it accepts; validated as the enum first, so that a plain typo gets the enum's message.
EarlyReason = Annotated[
    Uitstroomreden,
    AfterValidator(_not_doel_bereikt),
    WithJsonSchema({"type": "string", "enum": [r.value for r in EARLY_REASONS],
                    "description": "Why the case closes early (doel_bereikt only at the regular end)"}),
]


class VroegtijdigAfsluiten(Forbid):
    """Closing before the ladder's regular end (procesregisseur): why."""

    uitstroomreden: EarlyReason


def _pascal(code: str) -> str:
    return "".join(part.title() for part in code.split("_"))


@functools.cache
def recording(reason: Uitstroomreden, base: type[Forbid] = Forbid) -> type[Forbid]:
    """`base` (the trigger's own data model, or none) plus the fixed `uitstroomreden` the trigger records: a client
    may leave it out, the validated data (so the history) always has it, and the published schema shows it."""
    name = ("" if base is Forbid else base.__name__) + _pascal(reason.value)
    field: Any = (Annotated[str, OneOf((reason.value,))], Field(reason.value, description="Recorded by this trigger"))
    return create_model(name, __base__=base, __doc__=f"The trigger records uitstroomreden {reason.value}.",
                        uitstroomreden=field)


def closing(trigger: str, source: str, roles: tuple[str, ...], reason: Uitstroomreden,
            data_model: type[Forbid] | None = None, **kwargs: Any) -> TransitionDef:
    """A closing decision other than afsluiten: it records `reason` (DOMAIN.md gives it no choice of reason)."""
    return TransitionDef(trigger, source, FINAL_STATE, roles, data_model=recording(reason, data_model or Forbid),
                         direction=Direction.close, uitstroomreden=reason, **kwargs)


def early_closures(states: Iterable[StateDef], regular_end: Iterable[str]) -> tuple[TransitionDef, ...]:
    """afsluiten from every open state other than the ladder's `regular_end` (whose afsluiten the ladder writes
    itself, with its own requirements): procesregisseur only, with an uitstroomreden other than doel_bereikt."""
    ends = set(regular_end)
    return tuple(
        TransitionDef(CLOSE_TRIGGER, s.code, FINAL_STATE, P, data_model=VroegtijdigAfsluiten, direction=Direction.close)
        for s in states if s.code != FINAL_STATE and s.code not in ends
    )
