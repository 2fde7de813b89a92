"""Plan van aanpak: every PUT is a new version; `plan_vaststellen` marks the current version vastgesteld."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.loading import LoadedCase, check_version, load_case
from app.cases.models import CasePlan, CasePlanAction
from app.cases.schemas import PlanPut
from app.kit import clock
from app.kit.errors import NotFound, ValidationFailed
from app.vocabulary import Action, AuditAction, PlanStatus


async def put(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, data: PlanPut, if_match: int | None
) -> tuple[LoadedCase, CasePlan]:
    loaded = await load_case(session, principal, case_id, Action.plan_write, lock=True)
    case = loaded.case
    check_version(case, if_match)
    participants = {p.organisation for p in case.participants}
    errors = [{"loc": ["body", "actions", i, "organisation"], "msg": "owner must take part in the case"}
              for i, a in enumerate(data.actions) if a.organisation not in participants]
    if errors:
        raise ValidationFailed("Every action needs an owner organisation that takes part in the case", errors=errors)
    current = await session.scalar(select(CasePlan.version).where(CasePlan.case_id == case_id)
                                   .order_by(CasePlan.version.desc()).limit(1))
    now = clock.now()
    plan = CasePlan(
        id=uuid.uuid4(), case_id=case_id, version=(current or 0) + 1, status="concept", summary=data.summary,
        created_at=now, created_by=principal.sub, created_by_organisation=principal.org,
        actions=[CasePlanAction(id=uuid.uuid4(), position=i + 1, description=a.description, organisation=a.organisation,
                                due_date=a.due_date, status=a.status, changes=[]) for i, a in enumerate(data.actions)],
    )
    session.add(plan)
    loaded.changed(now)
    await session.flush()
    loaded.record(session, principal, Action.plan_write, object_type="plan", object_id=plan.id,
                  detail={"plan_version": plan.version})
    return loaded, plan


async def get(session: AsyncSession, principal: Principal, case_id: uuid.UUID, version: int | None) -> CasePlan:
    loaded = await load_case(session, principal, case_id, Action.plan_read)
    stmt = select(CasePlan).where(CasePlan.case_id == case_id)
    stmt = stmt.where(CasePlan.version == version) if version is not None else stmt.order_by(
        CasePlan.version.desc()).limit(1)
    plan = await session.scalar(stmt)
    loaded.record(session, principal, Action.plan_read, object_type="plan", object_id=plan.id if plan else None)
    if plan is None:
        raise NotFound("This case has no plan van aanpak" + (f" version {version}" if version else ""))
    return plan


async def versions(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> list[CasePlan]:
    loaded = await load_case(session, principal, case_id, Action.plan_read)
    rows = list((await session.execute(select(CasePlan).where(CasePlan.case_id == case_id)
                                       .order_by(CasePlan.version))).scalars())
    loaded.record(session, principal, AuditAction.plan_versions, object_type="plan")
    return rows


def adopt(session: AsyncSession, plan: CasePlan, principal: Principal, now: datetime) -> CasePlan:
    """Adopt the latest version (`plan_vaststellen`). A version adopted before stays as it was adopted: re-adopting
    after `bijstellen`/`bijstellen_plan` without a new version makes one, the same content adopted now, so every
    adopted version keeps its own `adopted_at` and the history shows each adoption."""
    if plan.status != PlanStatus.vastgesteld:
        plan.status = PlanStatus.vastgesteld
        plan.adopted_at = now
        return plan
    again = CasePlan(
        id=uuid.uuid4(), case_id=plan.case_id, version=plan.version + 1, status=PlanStatus.vastgesteld,
        summary=plan.summary, created_at=now, created_by=principal.sub, created_by_organisation=principal.org,
        adopted_at=now,
        actions=[CasePlanAction(id=uuid.uuid4(), position=a.position, description=a.description,
                                organisation=a.organisation, due_date=a.due_date, status=a.status, changes=[])
                 for a in plan.actions],
    )
    session.add(again)
    return again
