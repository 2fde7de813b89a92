"""Validates the ladders and builds one `transitions` machine per case type, once per process.

The machine decides what is allowed; callers (the cases service) check roles, persist and audit.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, ValidationError
from transitions import EventData, Machine

from app.kit.errors import GuardFailed, InvalidTransition, NotFound
from app.vocabulary import DataCategory, Direction, Uitstroomreden
from app.workflows import ex_gedetineerde, ijam, jeugdgroep, labels, radicalisering, woonoverlast
from app.workflows import guards as shared_guards
from app.workflows.model import (
    CLOSE_TRIGGER,
    DATA_CATEGORIES,
    FINAL_STATE,
    ORGANISATION_KINDS,
    PLAN_GUARDS,
    REOPEN_TRIGGER,
    ROLES,
    SUBJECT_TYPES,
    GuardContext,
    Ladder,
    TransitionDef,
)

LADDERS: tuple[Ladder, ...] = (
    jeugdgroep.LADDER,
    woonoverlast.LADDER,
    ex_gedetineerde.LADDER,
    radicalisering.LADDER,
    ijam.LADDER,
)

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_PLAN_GUARD_FUNCTIONS = (shared_guards.concept_plan_exists, shared_guards.plan_has_action)
UITSTROOMREDEN = "uitstroomreden"
# Published with every ladder; a ladder's own `vocabularies` may not redefine them.
COMMON_VOCABULARIES = ("trigger", "direction", UITSTROOMREDEN)


class LadderError(Exception):
    """A ladder definition is inconsistent; raised at start-up so that a bad ladder never serves a request."""


class _NoData(BaseModel):
    """The data of a transition that needs none: only {} is accepted."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class FireResult:
    source: str
    dest: str
    transition: TransitionDef
    data: dict[str, Any]
    details: dict[str, Any]
    # Why the case closes (a closing transition's data always carries it); None for every other transition.
    uitstroomreden: Uitstroomreden | None = None


class _CaseAdapter:
    """The light model the shared machine moves: one per fire() call, never attached to the machine."""

    __slots__ = ("ctx", "details", "failures", "state")

    def __init__(self, state: str, ctx: GuardContext) -> None:
        self.state = state
        self.ctx = ctx
        self.failures: list[tuple[str, list[str]]] = []
        self.details: dict[str, Any] = copy.deepcopy(dict(ctx.details))


def _model_forbids_extra(model: type[BaseModel]) -> bool:
    return model.model_config.get("extra") == "forbid"


def validate_ladder(ladder: Ladder) -> None:
    """Raise LadderError naming every problem of this ladder."""
    problems: list[str] = []
    add = problems.append
    codes = [s.code for s in ladder.states]
    known = set(codes)

    if not _CODE.match(ladder.case_type):
        add(f"case type {ladder.case_type!r} is not a lowercase code")
    if ladder.subject_type not in SUBJECT_TYPES:
        add(f"unknown subject type {ladder.subject_type!r}")
    if len(known) != len(codes):
        add("duplicate state codes")
    for s in ladder.states:
        if not _CODE.match(s.code):
            add(f"state {s.code!r} is not a lowercase code")
        if s.max_dagen is not None and s.max_dagen <= 0:
            add(f"state {s.code!r}: max_dagen must be positive")
        if s.owner is not None and s.owner not in ORGANISATION_KINDS:
            add(f"state {s.code!r}: unknown owner organisation kind {s.owner!r}")
        if s.category is not None and s.category not in {c.value for c in DataCategory}:
            add(f"state {s.code!r}: unknown data category {s.category!r}")
        if s.owner_required and s.owner is None:
            add(f"state {s.code!r}: owner_required without an owner kind")
        if s.due_before is not None:
            if s.max_dagen is not None:
                add(f"state {s.code!r}: due_before and max_dagen exclude each other")
            if s.due_before not in ladder.details_model.model_fields:
                add(f"state {s.code!r}: due_before {s.due_before!r} is no details field")
        if s.owner_named_by is not None:
            if s.owner is not None:
                add(f"state {s.code!r}: an owner kind and owner_named_by exclude each other")
            if not any(t.sets_regie_from == s.owner_named_by for t in ladder.transitions):
                add(f"state {s.code!r}: owner_named_by {s.owner_named_by!r} is no transition's sets_regie_from")
    if FINAL_STATE not in known:
        add(f"no {FINAL_STATE!r} state")
    if ladder.regie_category is not None and ladder.regie_category not in {c.value for c in DataCategory}:
        add(f"unknown regie_category {ladder.regie_category!r}")
    if not ladder.initial_states:
        add("no initial state")
    for code in ladder.initial_states:
        if code not in known or code == FINAL_STATE:
            add(f"initial state {code!r} is not an open state of the ladder")
    for code, names in ladder.initial_guards.items():
        if code not in ladder.initial_states:
            add(f"initial guards for {code!r}, which is no initial state")
        for guard in names:
            if guard not in ladder.guards:
                add(f"initial state {code!r}: guard {guard!r} is not registered")
            elif guard in PLAN_GUARDS or ladder.guards[guard] in _PLAN_GUARD_FUNCTIONS:
                add(f"initial state {code!r}: guard {guard!r} reads the plan, which a case being opened lacks")

    seen: set[tuple[str, str]] = set()
    for t in ladder.transitions:
        where = f"transition {t.trigger!r} from {t.source!r}"
        if not _CODE.match(t.trigger):
            add(f"{where}: trigger is not a lowercase code")
        if (t.trigger, t.source) in seen:
            add(f"{where}: duplicate (trigger, source)")
        seen.add((t.trigger, t.source))
        if t.source not in known:
            add(f"{where}: unknown source state")
        if t.dest not in known:
            add(f"{where}: unknown destination state {t.dest!r}")
        if t.reflexive != (t.source == t.dest):
            add(f"{where}: reflexive must be set exactly when destination equals source")
        if t.source == FINAL_STATE and t.trigger != REOPEN_TRIGGER:
            add(f"{where}: only {REOPEN_TRIGGER!r} may leave {FINAL_STATE!r}")
        if not t.roles and not t.org_kind_roles:
            add(f"{where}: no roles")
        for role in (*t.roles, *(r for r, _ in t.org_kind_roles)):
            if role not in ROLES:
                add(f"{where}: unknown role {role!r}")
        for _, kind in t.org_kind_roles:
            if kind not in ORGANISATION_KINDS:
                add(f"{where}: unknown organisation kind {kind!r}")
        if t.data_category is not None and t.data_category not in DATA_CATEGORIES:
            add(f"{where}: unknown data category {t.data_category!r}")
        for guard in t.guards:
            if guard not in ladder.guards:
                add(f"{where}: guard {guard!r} is not registered")
            elif ladder.guards[guard] in _PLAN_GUARD_FUNCTIONS and guard not in PLAN_GUARDS:
                # The plan is only loaded for PLAN_GUARDS names: another name would make it see no plan.
                add(f"{where}: plan guard registered as {guard!r}, not as one of {sorted(PLAN_GUARDS)}")
        if t.effect is not None and t.effect not in ladder.effects:
            add(f"{where}: effect {t.effect!r} is not registered")
        if t.data_model is not None and not _model_forbids_extra(t.data_model):
            add(f"{where}: data model {t.data_model.__name__} must forbid extra keys")
        if t.sets_regie_from is not None and t.sets_regie_from not in t.required_keys:
            add(f"{where}: sets_regie_from {t.sets_regie_from!r} is not a required data key")
        if t.source in known and t.dest in known:
            problems.extend(f"{where}: {p}" for p in _direction_problems(ladder, t))
        problems.extend(f"{where}: {p}" for p in _closing_problems(t))
        if t.trigger not in ladder.trigger_labels or not str(ladder.trigger_labels[t.trigger]).strip():
            add(f"{where}: no label for trigger {t.trigger!r}")

    for trigger in set(ladder.trigger_labels) - {t.trigger for t in ladder.transitions}:
        add(f"trigger label for {trigger!r}, which no transition fires")
    for name, vocabulary in ladder.vocabularies.items():
        if name in COMMON_VOCABULARIES:
            add(f"vocabulary {name!r} is published for every ladder; do not redefine it")
        if not vocabulary or not all(isinstance(label, str) and label.strip() for label in vocabulary.values()):
            add(f"vocabulary {name!r} needs a label for each of its codes")
    for s in ladder.states:
        if s.code != FINAL_STATE and not any(t.trigger == CLOSE_TRIGGER and t.source == s.code
                                             and "procesregisseur" in t.roles for t in ladder.transitions):
            add(f"state {s.code!r}: no {CLOSE_TRIGGER!r} by the procesregisseur (possible from every open state)")

    if ladder.states and FINAL_STATE in known:
        first = ladder.states[0].code
        reopen = (REOPEN_TRIGGER, FINAL_STATE, first)
        if not any((t.trigger, t.source, t.dest) == reopen for t in ladder.transitions):
            add(f"no {REOPEN_TRIGGER!r} transition from {FINAL_STATE!r} to the first state {first!r}")

        edges = [(t.source, t.dest) for t in ladder.transitions if t.source in known and t.dest in known]
        reachable = _closure(set(ladder.initial_states) & known, edges)
        for code in codes:
            if code not in reachable:
                add(f"state {code!r} is unreachable from the initial states")
        can_close = _closure({FINAL_STATE}, [(d, s) for s, d in edges])
        for code in codes:
            if code not in can_close:
                add(f"{FINAL_STATE!r} is unreachable from state {code!r}")

    if not _model_forbids_extra(ladder.details_model):
        add(f"details model {ladder.details_model.__name__} must forbid extra keys")
    try:
        ladder.details_model.model_validate({})
    except ValidationError:
        add("details model must accept {} (every field optional)")
    for name, category in ladder.details_categories.items():
        if name not in ladder.details_model.model_fields:
            add(f"details_categories names unknown details field {name!r}")
        if category not in DATA_CATEGORIES:
            add(f"details field {name!r}: unknown data category {category!r}")

    rule = ladder.stagnation
    if rule.kind == "escalate":
        if not rule.from_states or isinstance(rule.from_states, str):
            add("stagnation: escalate needs a tuple of from_states")
        for from_state in () if isinstance(rule.from_states, str) else rule.from_states:
            esc = next((t for t in ladder.transitions if t.trigger == rule.trigger and t.source == from_state), None)
            if esc is None:
                add(f"stagnation: no transition {rule.trigger!r} from {from_state!r}")
                continue
            try:
                (esc.data_model or _NoData).model_validate(dict(rule.data))
            except ValidationError as exc:
                add(f"stagnation: data does not fit {rule.trigger!r} from {from_state!r}: "
                    f"{exc.errors(include_url=False)}")
    elif rule.kind != "flag":
        add(f"stagnation: unknown kind {rule.kind!r}")

    if problems:
        raise LadderError(f"ladder {ladder.case_type!r}: " + "; ".join(problems))


def _direction_problems(ladder: Ladder, t: TransitionDef) -> list[str]:
    """The direction is data; it must agree with what the states say (tiers, afgesloten) where they say it."""
    if t.direction is None:
        return ["no direction"]
    if t.direction not in set(Direction):
        return [f"unknown direction {t.direction!r}"]
    problems = []
    if (t.direction == Direction.close) != t.closes:
        problems.append(f"direction close is for exactly the transitions into {FINAL_STATE!r}")
    if (t.direction == Direction.reopen) != (t.source == FINAL_STATE):
        problems.append(f"direction reopen is for exactly the transitions out of {FINAL_STATE!r}")
    if t.reflexive and t.direction != Direction.lateral:
        problems.append("a self transition is lateral")
    from_tier, to_tier = ladder.state(t.source).tier, ladder.state(t.dest).tier
    if from_tier is not None and to_tier is not None:
        expected = {Direction.up: to_tier > from_tier, Direction.down: to_tier < from_tier,
                    Direction.lateral: to_tier == from_tier}
        if not expected.get(t.direction, True):
            problems.append(f"direction {t.direction} disagrees with the tiers ({from_tier} -> {to_tier})")
    return problems


def _closing_problems(t: TransitionDef) -> list[str]:
    """Every closing transition's validated data carries an uitstroomreden (app/workflows/closing.py)."""
    problems = []
    if t.trigger == CLOSE_TRIGGER and t.dest != FINAL_STATE:
        problems.append(f"{CLOSE_TRIGGER!r} must lead to {FINAL_STATE!r}")
    if not t.closes:
        if t.uitstroomreden is not None:
            problems.append("only a closing transition records an uitstroomreden")
        return problems
    field = t.data_model.model_fields.get(UITSTROOMREDEN) if t.data_model is not None else None
    if field is None:
        problems.append(f"a closing transition's data model needs an {UITSTROOMREDEN!r} field")
    if t.trigger == CLOSE_TRIGGER:
        if t.uitstroomreden is not None:
            problems.append(f"{CLOSE_TRIGGER!r} takes its uitstroomreden from its data")
        if field is not None and not field.is_required() and field.default != Uitstroomreden.doel_bereikt:
            problems.append(f"{CLOSE_TRIGGER!r} at the regular end defaults to doel_bereikt")
    elif t.uitstroomreden not in set(Uitstroomreden):
        problems.append(f"a closing trigger other than {CLOSE_TRIGGER!r} records a known uitstroomreden")
    elif field is not None and (field.is_required() or field.default != t.uitstroomreden):
        problems.append(f"its data model must record uitstroomreden {str(t.uitstroomreden)!r}")
    return problems


def _closure(start: set[str], edges: Iterable[tuple[str, str]]) -> set[str]:
    succ: dict[str, set[str]] = {}
    for a, b in edges:
        succ.setdefault(a, set()).add(b)
    seen = set(start)
    todo = list(start)
    while todo:
        for nxt in succ.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _guard_message(guard: Callable[..., Any]) -> str:
    doc = (guard.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else "condition not met"


def guard_failures(ladder: Ladder, t: TransitionDef, ctx: GuardContext) -> list[tuple[str, list[str]]]:
    """The one evaluation of a transition's guards, (guard name, names of what is missing) per failing guard: the
    machine's condition when firing, and readiness (WorkflowEngine.readiness) before the caller fires."""
    failures: list[tuple[str, list[str]]] = []
    for name in t.guards:
        missing = ladder.guards[name](ctx)
        if missing:
            failures.append((name, list(missing)))
    return failures


def _data_fields(t: TransitionDef) -> set[str]:
    return set(t.data_model.model_fields) if t.data_model is not None else set()


class WorkflowEngine:
    def __init__(self, ladders: Iterable[Ladder]) -> None:
        self._ladders: dict[str, Ladder] = {}
        self._machines: dict[str, Machine] = {}
        self._index: dict[str, dict[tuple[str, str], TransitionDef]] = {}
        self._descriptions: dict[str, dict[str, Any]] = {}
        for ladder in ladders:
            if ladder.case_type in self._ladders:
                raise LadderError(f"case type {ladder.case_type!r} is defined twice")
            validate_ladder(ladder)
            self._ladders[ladder.case_type] = ladder
            self._index[ladder.case_type] = {(t.trigger, t.source): t for t in ladder.transitions}
            self._machines[ladder.case_type] = self._build_machine(ladder)
            self._descriptions[ladder.case_type] = self._describe(ladder)

    # -- building ---------------------------------------------------------------------------------

    def _build_machine(self, ladder: Ladder) -> Machine:
        specs: list[dict[str, Any]] = []
        for t in ladder.transitions:
            spec: dict[str, Any] = {"trigger": t.trigger, "source": t.source, "dest": t.dest}
            if t.guards:
                spec["conditions"] = [self._condition(ladder, t)]
            if t.effect is not None:
                spec["before"] = [self._effect(ladder, t)]
            specs.append(spec)
        try:
            return Machine(
                model=None,
                states=list(ladder.state_codes),
                transitions=specs,
                initial=ladder.first_state.code,
                auto_transitions=False,
                send_event=True,
                ignore_invalid_triggers=False,
                name=ladder.case_type,
            )
        except Exception as exc:  # a ladder the library refuses is a ladder error, reported at start-up
            raise LadderError(f"ladder {ladder.case_type!r}: {exc}") from exc

    @staticmethod
    def _condition(ladder: Ladder, t: TransitionDef) -> Callable[[EventData], bool]:
        # One condition running every guard, so that a 422 names everything that is missing at once.
        def check(event: EventData) -> bool:
            adapter = cast(_CaseAdapter, event.model)  # transitions types the model as object
            adapter.failures.extend(guard_failures(ladder, t, adapter.ctx))
            return not adapter.failures

        return check

    @staticmethod
    def _effect(ladder: Ladder, t: TransitionDef) -> Callable[[EventData], None]:
        effect = ladder.effects[t.effect or ""]
        details_model = ladder.details_model

        def apply(event: EventData) -> None:
            adapter = cast(_CaseAdapter, event.model)  # transitions types the model as object
            new = effect(adapter.ctx.details, adapter.ctx.data)
            # An effect producing details the ladder cannot hold is a bug; fail before anything is persisted.
            details_model.model_validate(new)
            adapter.details = new

        return apply

    # -- queries ----------------------------------------------------------------------------------

    @property
    def case_types(self) -> list[str]:
        return list(self._ladders)

    def ladder(self, case_type: str) -> Ladder:
        try:
            return self._ladders[case_type]
        except KeyError:
            raise NotFound(f"Unknown case type {case_type!r}") from None

    def machine(self, case_type: str) -> Machine:
        self.ladder(case_type)
        return self._machines[case_type]

    def transition(self, case_type: str, state: str, trigger: str) -> TransitionDef | None:
        self.ladder(case_type)
        return self._index[case_type].get((trigger, state))

    def available(self, case_type: str, state: str) -> list[TransitionDef]:
        """Every transition from this state, whoever may fire it; an unknown state has none."""
        return [t for t in self.ladder(case_type).transitions if t.source == state]

    def allowed_triggers(self, case_type: str, state: str) -> list[str]:
        return sorted({t.trigger for t in self.available(case_type, state)})

    def entry_failures(self, case_type: str, state: str, details: Mapping[str, Any]) -> list[tuple[str, str]]:
        """What a case opened in `state` with these (validated) details lacks, by the ladder's initial guards:
        (name, message) per complaint. The details are the data too: they are all the case enters with."""
        ladder = self.ladder(case_type)
        ctx = GuardContext(details=details, data=details)
        return [(name, _guard_message(guard))
                for guard in (ladder.guards[g] for g in ladder.initial_guards.get(state, ()))
                for name in guard(ctx)]

    # -- readiness and firing ---------------------------------------------------------------------

    def readiness(self, case_type: str, t: TransitionDef, ctx: GuardContext) -> GuardFailed | None:
        """What the case's own state lacks for `t`, by the guards firing runs (`guard_failures`), before the caller
        sends any data: None when nothing, else the GuardFailed firing would raise for it.

        The guards run on the case (details, plan, the caller's organisation kind) with empty request data. A
        complaint naming a field of the trigger's data model (IJAM/AVE `criteria`) is the request's to satisfy,
        published as the trigger's required data, so it does not count; a complaint about the case does
        (`duiding_afronden` without a plan: `plan`; `afsluiten` at nazorg: `basisvoorwaarden.<key>`). Guards must
        therefore tolerate absent data keys (they read data with `.get`), as they see validated data only when
        firing."""
        ladder = self.ladder(case_type)
        data_fields = _data_fields(t)
        failures = [(name, kept) for name, names in guard_failures(ladder, t, replace(ctx, data={}))
                    if (kept := [n for n in names if n.split(".")[0] not in data_fields])]
        return self._guard_failed(ladder, t, failures) if failures else None


    def fire(self, case_type: str, state: str, trigger: str, ctx: GuardContext) -> FireResult:
        """Validate the data, run the guards and move the state on the shared machine; nothing is persisted."""
        ladder = self.ladder(case_type)
        tdef = self._index[case_type].get((trigger, state))
        if tdef is None:
            if state not in ladder.state_codes:
                detail = f"State {state!r} is not part of the {case_type} ladder"
            else:
                detail = f"Trigger {trigger!r} cannot be fired from state {state!r}"
            raise InvalidTransition(detail, allowed=self.allowed_triggers(case_type, state))

        data = self._validate_data(tdef, ctx.data)
        adapter = _CaseAdapter(state, replace(ctx, data=data))
        moved = self._machines[case_type].events[trigger].trigger(adapter)
        if not moved:
            raise self._guard_failed(ladder, tdef, adapter.failures)
        reason = Uitstroomreden(data[UITSTROOMREDEN]) if tdef.closes else None
        return FireResult(source=state, dest=adapter.state, transition=tdef, data=data, details=adapter.details,
                          uitstroomreden=reason)

    @staticmethod
    def _validate_data(tdef: TransitionDef, data: Any) -> dict[str, Any]:
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise GuardFailed(
                "Transition data must be an object",
                missing=[],
                errors=[{"loc": ["body", "data"], "msg": "must be an object"}],
            )
        try:
            validated = (tdef.data_model or _NoData).model_validate(dict(data))
        except ValidationError as exc:
            missing: list[str] = []
            errors: list[dict[str, Any]] = []
            for err in exc.errors(include_url=False):
                loc = list(err["loc"])
                if err["type"] == "missing":
                    missing.append(".".join(str(p) for p in loc))
                errors.append({"loc": ["body", "data", *loc], "msg": err["msg"]})
            detail = "Transition data invalid" + (": missing " + ", ".join(missing) if missing else "")
            raise GuardFailed(detail, missing=missing, errors=errors) from None
        # An optional key not given stays out, as in the details: the history records what was decided.
        return validated.model_dump(mode="json", exclude_none=True)

    @staticmethod
    def _guard_failed(ladder: Ladder, tdef: TransitionDef, failures: list[tuple[str, list[str]]]) -> GuardFailed:
        data_fields = _data_fields(tdef)
        missing: list[str] = []
        errors: list[dict[str, Any]] = []
        for guard_name, names in failures:
            msg = _guard_message(ladder.guards[guard_name])
            for name in names:
                parts = name.split(".")
                if parts[0] in data_fields:
                    loc = ["body", "data", *parts]
                elif parts[0] in ladder.details_model.model_fields:
                    loc = ["case", "details", *parts]
                else:
                    loc = ["case", *parts]
                missing.append(name)
                errors.append({"loc": loc, "msg": msg})
        if not missing:  # a guard returning False without names would otherwise be a silent refusal
            missing = list(tdef.guards)
            errors = [{"loc": ["case"], "msg": "condition not met"}]
        return GuardFailed("Transition requirements not met: " + ", ".join(missing), missing=missing, errors=errors)

    # -- publishing -------------------------------------------------------------------------------

    def describe(self, case_type: str) -> dict[str, Any]:
        self.ladder(case_type)
        return copy.deepcopy(self._descriptions[case_type])

    def summary(self) -> list[dict[str, str]]:
        return [
            {"case_type": lad.case_type, "label": lad.label, "subject_type": lad.subject_type}
            for lad in self._ladders.values()
        ]

    @staticmethod
    def _describe(ladder: Ladder) -> dict[str, Any]:
        triggers = dict.fromkeys(t.trigger for t in ladder.transitions)
        return {
            "case_type": ladder.case_type,
            "label": ladder.label,
            "subject_type": ladder.subject_type,
            "initial_states": list(ladder.initial_states),
            "states": [
                {"code": s.code, "label": s.label, "tier": s.tier, "step": s.step, "max_dagen": s.max_dagen,
                 "owner_kind": s.owner, "owner_required": s.owner_required, "owner_named_by": s.owner_named_by,
                 "category": s.category, "due_before": s.due_before}
                for s in ladder.states
            ],
            "transitions": [
                {
                    "trigger": t.trigger,
                    "label": ladder.trigger_labels[t.trigger],
                    "direction": str(t.direction),
                    "uitstroomreden": None if t.uitstroomreden is None else str(t.uitstroomreden),
                    "from": t.source,
                    "to": t.dest,
                    "roles": list(t.roles),
                    "org_kind_roles": [{"role": r, "organisation_kind": k} for r, k in t.org_kind_roles],
                    "required_data": t.data_model.model_json_schema() if t.data_model is not None else {},
                    "data_category": t.data_category,
                    "guards": list(t.guards),
                }
                for t in ladder.transitions
            ],
            "stagnation": ladder.stagnation.as_dict(),
            "melder_joins": ladder.melder_joins,
            "regie_category": ladder.regie_category,
            "vocabularies": {
                "trigger": {trigger: ladder.trigger_labels[trigger] for trigger in triggers},
                "direction": labels.vocabulary(labels.DIRECTION),
                UITSTROOMREDEN: labels.vocabulary(labels.UITSTROOMREDEN),
                **{name: dict(vocabulary) for name, vocabulary in ladder.vocabularies.items()},
            },
            "mermaid": mermaid(ladder),
        }


def mermaid(ladder: Ladder) -> str:
    lines = ["stateDiagram-v2"]
    for s in ladder.states:
        lines.append(f'    state "{s.label.replace(chr(34), chr(39))}" as {s.code}')
    for code in ladder.initial_states:
        lines.append(f"    [*] --> {code}")
    for t in ladder.transitions:
        lines.append(f"    {t.source} --> {t.dest} : {t.trigger}")
    lines.append(f"    {FINAL_STATE} --> [*]")
    return "\n".join(lines)


def build_engine(ladders: Iterable[Ladder] = LADDERS) -> WorkflowEngine:
    return WorkflowEngine(ladders)


@functools.cache
def get_engine() -> WorkflowEngine:
    """The process-wide engine; the machines are built and validated on the first call."""
    return build_engine(LADDERS)
