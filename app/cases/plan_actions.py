"""A partner sets the status of its own plan action (issue 15 item 3), without a new plan version.

Every change is kept (`CasePlanActionChange`: who, for which organisation, when, from, to, toelichting) and
audited; the plan shows the status and the changes (GET …/plan). The case row is locked first (as every case
write does), so two partners updating the same action one after the other each record the status they found,
and none is lost. The write bumps the case version (its ETag), which `If-Match` is checked against: a plan
author who PUTs a new version built on the plan as it was before the partner's update gets 412 instead of
silently putting the old status back.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Uuid, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app import access
from app.auth.principal import Principal
from app.cases.loading import LoadedCase, check_version, load_case
from app.cases.models import CasePlan, CasePlanAction, CasePlanActionChange
from app.cases.schemas import PlanActionPatch
from app.kit import clock
from app.kit.errors import Conflict, NotFound
from app.vocabulary import Action, ActionStatus, AuditOutcome

_LATER = aliased(CasePlan)
# The action, the version of its plan and the case's latest plan version, in one statement.
_ACTION = (select(CasePlanAction, CasePlan.version,
                  select(func.max(_LATER.version)).where(_LATER.case_id == CasePlan.case_id).scalar_subquery())
           .join(CasePlan, CasePlan.id == CasePlanAction.plan_id)
           .where(CasePlanAction.id == bindparam("action_id", type_=Uuid()),
                  CasePlan.case_id == bindparam("case_id", type_=Uuid()))
           .execution_options(populate_existing=True))


async def update(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, action_id: uuid.UUID, data: PlanActionPatch,
    if_match: int | None,
) -> tuple[LoadedCase, CasePlanAction]:
    loaded = await load_case(session, principal, case_id, Action.plan_action_update, lock=True)
    case = loaded.case
    row = (await session.execute(_ACTION, {"action_id": action_id, "case_id": case_id})).one_or_none()
    if row is None:
        loaded.record(session, principal, Action.plan_action_update, object_type="plan_action", object_id=action_id,
                      outcome=AuditOutcome.denied, detail={"reason": "not found"})
        raise NotFound("This case's plan has no such action")
    action, plan_version, latest_version = row
    role = access.require_action_owner(session, principal, case, action.id, action.organisation,
                                       subject_ids=loaded.subject_ids)
    check_version(case, if_match)
    if plan_version != latest_version:
        raise Conflict(f"This action belongs to plan version {plan_version}; the current plan is version "
                       f"{latest_version}: update its action instead")
    if action.status == ActionStatus.vervallen:
        raise Conflict("This action was dropped (vervallen) by the plan's author; its status no longer changes")
    if case.closed_at is not None:
        raise Conflict("The case is closed; its plan no longer changes")
    now = clock.now()
    previous = action.status
    action.status = ActionStatus(data.status)
    action.changes.append(CasePlanActionChange(
        id=uuid.uuid4(), action_id=action.id, case_id=case.id, from_status=previous, to_status=action.status,
        toelichting=data.toelichting, actor_sub=principal.sub, actor_org=principal.org, actor_role=role,
        created_at=now))
    loaded.changed(now)
    await session.flush()
    # The toelichting is free text: it stays on the change, never in the audit entry.
    loaded.record(session, principal, Action.plan_action_update, object_type="plan_action", object_id=action.id,
                  role=role, detail={"plan_version": plan_version, "from": previous.value, "to": action.status.value,
                                     "organisation": action.organisation})
    return loaded, action
