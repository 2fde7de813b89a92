"""Firing a trigger: lock, decide, validate, move the state through the ladder's machine, record it all.

One transaction: the case row is locked first (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE
already serialises writers), so two partners firing at once cannot lose an update: the second sees
the new state (409) or a newer version (412).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Uuid, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.auth.principal import Principal
from app.cases import level_owners, plans
from app.cases.loading import LoadedCase, check_version, load_case
from app.cases.models import Case, CasePlan, CaseTransition
from app.cases.schemas import AvailableTransition, TransitionRequest
from app.cases.service import enter_state, hand_regie
from app.events import publish
from app.kit import clock, deferred_writes
from app.kit.database import table_of
from app.kit.errors import GuardFailed, InvalidTransition
from app.organisations import lookup as organisations
from app.vocabulary import Action, AuditAction, DataCategory
from app.workflows.engine import get_engine
from app.workflows.model import GuardContext, Ladder, PlanInfo, TransitionDef

# How readiness names a level owner the next rung needs and no convenant party provides (`level_owner.gemeente`).
LEVEL_OWNER = "level_owner"
_TRANSITIONS = table_of(CaseTransition)
_LATEST_PLAN = (select(CasePlan).where(CasePlan.case_id == bindparam("case_id", type_=Uuid()))
                .order_by(CasePlan.version.desc()).limit(1))


def _as_seen_by(exc: GuardFailed, ladder: Ladder, categories: frozenset[DataCategory]) -> GuardFailed:
    """A guard's complaint about case details of a category the caller may not read names no field: the
    names of what is missing would tell which of those details are set."""
    hidden = {key for key, category in ladder.details_categories.items() if category not in categories}
    if not hidden:
        return exc

    def secret(name: str) -> bool:
        return name.split(".")[0] in hidden

    missing = [m for m in exc.missing if not secret(m)]
    errors = [e for e in exc.errors
              if not (list(e["loc"][:2]) == ["case", "details"] and len(e["loc"]) > 2 and e["loc"][2] in hidden)]
    if len(errors) < len(exc.errors):
        missing.append("withheld")
        errors.append({"loc": ["case", "details"],
                       "msg": "a condition on case details you may not see is not met"})
    return GuardFailed("Transition requirements not met: " + ", ".join(missing), missing=missing, errors=errors)


async def latest_plan(session: AsyncSession, case_id: uuid.UUID) -> CasePlan | None:
    return await session.scalar(_LATEST_PLAN, {"case_id": case_id})


async def _org_kind(session: AsyncSession, principal: Principal) -> str | None:
    return await organisations.kind_of(session, principal.org)


def _guard_context(case: Case, plan: CasePlan | None, org_kind: str | None, data: dict[str, Any]) -> GuardContext:
    """What the guards see, the same for readiness and for firing."""
    plan_info = PlanInfo(plan.version, len(plan.actions), plan.status) if plan else None
    return GuardContext(details=case.details or {}, data=data, plan=plan_info, actor_org_kind=org_kind)


async def _missing(session: AsyncSession, loaded: LoadedCase, tdef: TransitionDef, ctx: GuardContext,
                   now: datetime) -> list[str]:
    """What the case lacks for `tdef`, as the caller may be told it: what firing would refuse before any request data
    counts (the engine's readiness: the same guards, by the same evaluation), through `_as_seen_by`, and the level
    owner `level_owners.enter` would refuse an escalation without."""
    case = loaded.case
    engine = get_engine()
    failed = engine.readiness(case.case_type, tdef, ctx)
    missing = [] if failed is None else _as_seen_by(failed, engine.ladder(case.case_type),
                                                     loaded.access.categories).missing
    if not tdef.reflexive:
        owner = await level_owners.missing_owner(session, case, case.state, tdef.dest, now, epoch=loaded.epoch)
        if owner is not None:
            missing.append(f"{LEVEL_OWNER}.{owner}")
    return missing


async def available(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> list[AvailableTransition]:
    """The triggers this caller may fire now, each with whether the case is ready for it (see `_missing`): a
    trigger is `ready` when firing it with valid `required_data` would succeed, `missing` names what the case
    lacks otherwise. The request's own data is not judged (the caller has not sent it)."""
    loaded = await load_case(session, principal, case_id, Action.case_read)
    case = loaded.case
    ladder = get_engine().ladder(case.case_type)
    org_kind = await _org_kind(session, principal)
    permitted = access.permitted_transitions(principal, case, org_kind, loaded.access)
    # The plan only when a trigger on offer reads it, as firing loads it only then.
    plan = await latest_plan(session, case.id) if any(t.needs_plan for t in permitted) else None
    ctx = _guard_context(case, plan, org_kind, {})
    now = clock.now()
    out = []
    for t in permitted:
        missing = await _missing(session, loaded, t, ctx, now)
        out.append(AvailableTransition(
            trigger=t.trigger, to=t.dest, to_label=ladder.state(t.dest).label, required_data=t.required_keys,
            data_schema=t.data_model.model_json_schema() if t.data_model else {},
            data_category=DataCategory(t.data_category) if t.data_category is not None else None,
            ready=not missing, missing=missing,
        ))
    loaded.record(session, principal, AuditAction.case_transitions, object_type="case", object_id=case.id)
    return out


async def fire(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, request: TransitionRequest,
    if_match: int | None, *, decision_id: uuid.UUID | None = None,
) -> LoadedCase:
    """Fire `request.trigger` on the case. `decision_id`: the meeting decision that takes this step
    (app/meetings), recorded on the history entry and in the audit entry; the rules are the same."""
    loaded = await load_case(session, principal, case_id, Action.case_transition, lock=True)
    case = loaded.case
    check_version(case, if_match)
    engine = get_engine()
    org_kind = await _org_kind(session, principal)
    state_category = engine.ladder(case.case_type).state(case.state).category
    if state_category is not None:  # a caller who may not know the state may not act on it (nor learn it from a 409)
        access.require_category(session, principal, Action.case_transition, loaded.access, state_category,
                                case_id=case.id, object_type="case", subject_ids=loaded.subject_ids)
    tdef = engine.transition(case.case_type, case.state, request.trigger)
    if tdef is None:
        allowed = sorted({t.trigger for t in access.permitted_transitions(principal, case, org_kind,
                                                                          loaded.access)})
        raise InvalidTransition(f"{request.trigger!r} is not possible in state {case.state!r}", allowed=allowed)
    role = access.require_trigger(session, principal, case, tdef, org_kind, subject_ids=loaded.subject_ids)
    if tdef.data_category is not None:  # its data is of that category: one may not write what one may not read
        access.require_category(session, principal, Action.case_transition, loaded.access, tdef.data_category,
                                case_id=case.id, object_type="case", subject_ids=loaded.subject_ids)

    plan = await latest_plan(session, case.id) if tdef.needs_plan else None
    ctx = _guard_context(case, plan, org_kind, request.data)
    try:
        result = engine.fire(case.case_type, case.state, tdef.trigger, ctx)
    except GuardFailed as exc:
        raise _as_seen_by(exc, engine.ladder(case.case_type), loaded.access.categories) from None

    now = clock.now()
    # Before anything is written: a required level owner that is missing refuses the escalation (422).
    if not tdef.reflexive:
        await level_owners.enter(session, case, result.source, result.dest, tdef.trigger, loaded.subject_ids, now,
                                 epoch=loaded.epoch)
    if tdef.sets_regie_from:
        await hand_regie(session, principal, loaded, str(result.data[tdef.sets_regie_from]), now,
                         loc=["body", "data", tdef.sets_regie_from])
    if tdef.marks_plan_vastgesteld and plan is not None:
        plan = plans.adopt(session, plan, principal, now)
    ladder = engine.ladder(case.case_type)
    case.details = result.details  # first: a state's deadline may follow a date the transition brings
    entered = case.state_entered_at  # the stay this step ends (a self transition's too) began then
    if not tdef.reflexive:
        enter_state(case, ladder, result.dest, now)
        # Set on closing, cleared on leaving afgesloten (heropenen, its only way out).
        case.uitstroomreden = result.uitstroomreden
    loaded.changed(now)
    # Sent with the audit entry at the end of the unit of work (PostgreSQL: one statement for the three).
    deferred_writes.defer_changes(session, case)
    deferred_writes.defer_row(session, _TRANSITIONS, dict(
        id=uuid.uuid4(), case_id=case.id, version=case.version, trigger=tdef.trigger, from_state=result.source,
        from_state_entered_at=entered, to_state=result.dest, reason=request.reason, data=result.data,
        data_category=tdef.data_category, actor_sub=principal.sub, actor_org=principal.org, actor_role=role,
        created_at=now, regie_organisation=case.regie_organisation, decision_id=decision_id,
    ))
    detail: dict[str, Any] = {"trigger": tdef.trigger, "from": result.source, "to": result.dest,
                              "version": case.version}
    if decision_id is not None:
        detail["decision_id"] = str(decision_id)
    loaded.record(session, principal, Action.case_transition, object_type="case", object_id=case.id, role=role,
                  detail=detail)
    publish.case_transitioned(session, case, trigger=tdef.trigger, from_state=result.source, actor_org=principal.org)
    if tdef.marks_plan_vastgesteld and plan is not None:
        publish.plan_adopted(session, case, plan.id, plan.version)
    return loaded
