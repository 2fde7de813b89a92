"""The vocabulary a ladder is written in: states, transitions, guard context, stagnation rule.

Ladders are data (one module per case type); `app/workflows/engine.py` validates them and builds the machines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

from pydantic import BaseModel

from app.vocabulary import DataCategory, Direction, OrganisationKind, Role, StagnationKind, SubjectType, Uitstroomreden
from app.workflows import release_dates

# The closed vocabularies of DOMAIN.md (app/vocabulary.py); the engine refuses a ladder that uses anything else.
ROLES: frozenset[str] = frozenset(Role)
ORGANISATION_KINDS: frozenset[str] = frozenset(OrganisationKind)
DATA_CATEGORIES: frozenset[str] = frozenset(DataCategory)
SUBJECT_TYPES: frozenset[str] = frozenset(SubjectType)

FINAL_STATE = "afgesloten"
REOPEN_TRIGGER = "heropenen"
# Possible from every open state (DOMAIN.md "Closing a case"); app/workflows/closing.py writes its transitions.
CLOSE_TRIGGER = "afsluiten"
# The two triggers every ladder has, labelled once.
COMMON_TRIGGER_LABELS: Mapping[str, str] = {CLOSE_TRIGGER: "Afsluiten", REOPEN_TRIGGER: "Heropenen"}


@dataclass(frozen=True)
class StateDef:
    """One state of a ladder.

    `owner` is the level owner (DOMAIN.md "Regie and level owners"): the organisation *kind* that holds regie or
    decides on this rung. None is no fixed kind: either the owner is named per case by a transition's data
    (`owner_named_by`, e.g. AVE's `regie_organisation` at `oppakken`), or nobody owns the state
    (`afgesloten`). `owner_required`: escalating into the state without a convenant party of that kind is
    refused, because no one else can act there (AVE `bestuurlijk_niveau`: doorzettingsmacht).
    """

    code: str
    label: str
    tier: int | None = None
    step: str | None = None
    max_dagen: int | None = None
    owner: str | None = None
    owner_required: bool = False
    owner_named_by: str | None = None
    # Being in this state reveals a decision of this data category (radicalisering `casusoverleg`/`monitoring`:
    # the weegtafel took the person on, `veiligheid`): a participant without it sees a neutral phase.
    category: str | None = None
    # A state whose length follows a date of the case rather than a fixed number of days (ex_gedetineerde
    # `in_detentie`): the details key of that date; the deadline is the preparation lead before it
    # (app/workflows/release_dates.py).
    due_before: str | None = None

    def due_at(self, details: Mapping[str, Any], entered: datetime) -> datetime | None:
        """The deadline of a case that entered this state at `entered` with these details."""
        if self.due_before is not None:
            day = details.get(self.due_before)
            return release_dates.current().due_before_release(date.fromisoformat(day), entered) if day else None
        return entered + timedelta(days=self.max_dagen) if self.max_dagen else None

    @property
    def level_label(self) -> str | None:
        """The rung in Dutch, in the ladder's own word: a step of the 7-stappenmodel or a tier; None off the rungs."""
        if self.step is not None:
            return f"Stap {self.step}"
        return f"Niveau {self.tier}" if self.tier is not None else None


WITHHELD_STATE_LABEL = "In behandeling"


@dataclass(frozen=True)
class PlanInfo:
    """What a guard may know about the case's plan van aanpak (the latest version)."""

    version: int
    action_count: int
    status: str


@dataclass(frozen=True)
class GuardContext:
    """Everything a guard may look at; `data` is the validated, JSON-shaped transition data when guards run."""

    details: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    plan: PlanInfo | None = None
    actor_org_kind: str | None = None


Guard = Callable[[GuardContext], list[str]]
Effect = Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]

# The guards that read GuardContext.plan (app/workflows/guards.py): only transitions using one of them (or
# marking the plan vastgesteld) load the plan, one query less on every other transition.
PLAN_GUARDS = frozenset({"concept_plan_exists", "plan_has_action"})


@dataclass(frozen=True)
class TransitionDef:
    trigger: str
    source: str
    dest: str
    roles: tuple[str, ...]
    # Extra (role, organisation kind) pairs, e.g. a police medewerker may finish the groepsscan.
    org_kind_roles: tuple[tuple[str, str], ...] = ()
    data_model: type[BaseModel] | None = None
    guards: tuple[str, ...] = ()
    effect: str | None = None
    # None: process data, visible to every participant.
    data_category: str | None = None
    marks_plan_vastgesteld: bool = False
    sets_regie_from: str | None = None
    reflexive: bool = False
    # Required: a keyword with a default only so that the fields above keep theirs; the engine refuses None.
    direction: Direction | None = None
    # The outflow reason a closing trigger other than afsluiten records (its data model carries it, fixed);
    # afsluiten takes the reason from its data instead.
    uitstroomreden: Uitstroomreden | None = None

    def permits(self, roles: Iterable[str], org_kind: str | None = None) -> bool:
        """Whether a principal with these roles, in an organisation of this kind, is named by this transition."""
        held = set(roles)
        if held & set(self.roles):
            return True
        return any(role in held and kind == org_kind for role, kind in self.org_kind_roles)

    @property
    def closes(self) -> bool:
        return self.dest == FINAL_STATE and self.source != FINAL_STATE

    @property
    def needs_plan(self) -> bool:
        """Whether firing reads the plan van aanpak (a plan guard, or it marks the plan vastgesteld)."""
        return self.marks_plan_vastgesteld or any(g in PLAN_GUARDS for g in self.guards)

    @property
    def required_keys(self) -> list[str]:
        if self.data_model is None:
            return []
        return [name for name, f in self.data_model.model_fields.items() if f.is_required()]


@dataclass(frozen=True)
class StagnationRule:
    """What the worker does with an overdue case.

    kind "flag": flag and notify, in every state. kind "escalate": in each of `from_states` fire `trigger` with
    `data` as actor `systeem`; overdue in any other state is flagged.
    """

    kind: StagnationKind = StagnationKind.flag
    from_states: tuple[str, ...] = ()
    trigger: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def escalates_from(self, state: str) -> bool:
        return self.kind == StagnationKind.escalate and self.trigger is not None and state in self.from_states

    def as_dict(self) -> dict[str, Any]:
        if self.kind == StagnationKind.flag:
            return {"kind": "flag"}
        return {
            "kind": "escalate",
            "from_states": list(self.from_states),
            "trigger": self.trigger,
            "data": dict(self.data),
            "elsewhere": "flag",
        }


@dataclass(frozen=True, eq=False)
class Ladder:
    case_type: str
    label: str
    subject_type: str
    states: tuple[StateDef, ...]
    transitions: tuple[TransitionDef, ...]
    initial_states: tuple[str, ...]
    details_model: type[BaseModel]
    # details field -> data category; a field not listed is process data, visible to every participant.
    details_categories: Mapping[str, str]
    stagnation: StagnationRule
    guards: Mapping[str, Guard]
    effects: Mapping[str, Effect]
    # Dutch label of every trigger of the ladder (COMMON_TRIGGER_LABELS included).
    trigger_labels: Mapping[str, str]
    # The ladder's own closed vocabularies, by the data or details key they fill: code -> Dutch label. Every ladder
    # also publishes `trigger`, `direction` and `uitstroomreden` (the engine adds those).
    vocabularies: Mapping[str, Mapping[str, str]]
    # Whether the reporting organisation of a signal triaged into (or linked to) a case becomes a participant.
    # False where the reporter is to learn the outcome of its signal, not the case (radicalisering: the school
    # that reported sees the status of its signal; DOMAIN.md).
    melder_joins: bool = True
    # The data category whoever holds regie on this ladder's cases should be granted (ex_gedetineerde:
    # `veiligheid`, for the 18b meldingen on its cases); a convenant that does not grant it to a party of a
    # level-owner kind says so (app/convenants/warnings.py).
    regie_category: str | None = None
    # initial state -> the guards a case opened there must pass, run on the details given at opening (as the
    # transition's data and as the details): opening straight into a state asks what climbing into it asks
    # (IJAM `pga`: the criteria of `opschalen`).
    initial_guards: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @cached_property
    def _state_by_code(self) -> dict[str, StateDef]:
        # The first state of each code, as the scan it replaces found (the engine refuses duplicate codes anyway).
        by_code: dict[str, StateDef] = {}
        for s in self.states:
            by_code.setdefault(s.code, s)
        return by_code

    def state(self, code: str) -> StateDef:
        """A dictionary look-up: a list page asks it two or three times per row."""
        try:
            return self._state_by_code[code]
        except KeyError:
            raise ValueError(f"{self.case_type}: unknown state {code!r}") from None

    @property
    def first_state(self) -> StateDef:
        return self.states[0]

    @property
    def final_state(self) -> StateDef:
        return self.state(FINAL_STATE)

    @property
    def state_codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.states)

    def hides_state(self, state: str, categories: frozenset[str] | frozenset[Any]) -> bool:
        """Whether a caller with `categories` sees `state` only as the neutral phase (WITHHELD_STATE_LABEL)."""
        category = self.state(state).category
        return category is not None and category not in categories

    def escalates(self, source: str, dest: str) -> bool:
        """Whether moving from `source` to `dest` climbs the ladder: both are rungs (have a tier) and `dest` is
        higher. Entering the ladder from an untiered state (AVE `oppakken`, radicalisering `besluit_pga`) is
        not an escalation; neither is staying in the same state."""
        from_tier, to_tier = self.state(source).tier, self.state(dest).tier
        return from_tier is not None and to_tier is not None and to_tier > from_tier

    def uitstroomreden_categories(self, reason: str) -> frozenset[str]:
        """The data categories of this ladder's closing decisions that record `reason`. A reader lacking one of
        them is not shown the case's reason: it would tell which decision closed the case (radicalisering
        `besluit_strafrechtelijk`: veiligheid), which the history withholds from that reader."""
        return frozenset(t.data_category for t in self.transitions
                         if t.closes and t.uitstroomreden == reason and t.data_category is not None)


# Helpers for writing ladders: DOMAIN.md's "any open state -> same" rows and the common heropenen row.


def reflexive(
    trigger: str,
    states: Iterable[StateDef],
    roles: tuple[str, ...],
    **kwargs: Any,
) -> tuple[TransitionDef, ...]:
    """One self transition per open (non-afgesloten) state: lateral, the case stays where it is."""
    return tuple(
        TransitionDef(trigger, s.code, s.code, roles, reflexive=True, direction=Direction.lateral, **kwargs)
        for s in states if s.code != FINAL_STATE
    )


def heropenen(states: tuple[StateDef, ...], data_model: type[BaseModel] | None = None) -> TransitionDef:
    """afgesloten -> the ladder's first state; the reason is the trigger's own `reason`, not data."""
    return TransitionDef(REOPEN_TRIGGER, FINAL_STATE, states[0].code, ("procesregisseur",), data_model=data_model,
                         direction=Direction.reopen)
