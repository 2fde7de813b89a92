"""Work lists (issue 15 item 2): the caller's organisation's plan actions and the cases that await it, across
every case it may read, one SQL statement per page.

Choices (README "Work lists and actions"):
- actions: those of the *current* (latest) plan version of each case, where the current plan is what the
  partners work to (older versions are history, read with GET …/plan?version=); of open cases only; visible as
  GET …/plan is (`plan:read` on a case the organisation may read, READABLE_CASES; no data category of their own);
- cases: open cases the caller may read that await its organisation: it holds regie (`regie`), or its kind is
  the level owner of the case's current state (`niveau`, DOMAIN.md "Regie and level owners": a decision on that
  rung is its to take, e.g. the gemeente at AVE bestuurlijk_niveau); the case's deadline is its `due_at`. A case
  whose state the caller may not see (`access.state_visible`) is left out: being listed would tell the state;
- overdue: an action whose due date has passed while it is unfinished (UNFINISHED_ACTION_STATUSES); a case
  whose `due_at` has passed (as everywhere).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, Integer, Row, String, Uuid, and_, bindparam, false, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app import access
from app.audit import record as audit
from app.auth.principal import Principal
from app.cases.models import Case, CasePlan, CasePlanAction
from app.kit import clock
from app.kit.database import UtcDateTime
from app.kit.paging import Window, window
from app.organisations import lookup as organisations
from app.vocabulary import UNFINISHED_ACTION_STATUSES, Action, ActionStatus, AuditAction, WorkReason
from app.workflows.engine import get_engine

# Sorting puts rows without a date last: the sort key is the date, or this one.
NO_DUE_DATE = date(9999, 12, 31)
NO_DUE_AT = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def _detail(flt: Any) -> dict[str, Any]:
    """The filters set, for the audit entry (codes and dates only: these lists take no free text)."""
    out: dict[str, Any] = {}
    for f in fields(flt):
        value = getattr(flt, f.name)
        if value is not None:
            out[f.name] = [str(v) for v in value] if isinstance(value, tuple) else str(value)
    return out


@dataclass(frozen=True)
class ActionFilter:
    status: tuple[ActionStatus, ...] | None = None
    due_before: date | None = None  # due strictly before this day
    due_after: date | None = None  # due strictly after this day
    overdue: bool | None = None


_WORK_ORG = bindparam("work_org", type_=String())
_LATER = aliased(CasePlan)
_CURRENT_PLAN = CasePlan.version == (select(func.max(_LATER.version)).where(_LATER.case_id == CasePlan.case_id)
                                     .scalar_subquery())
_ACTION_DUE = func.coalesce(CasePlanAction.due_date, bindparam("no_due_date", NO_DUE_DATE, type_=Date()))
_ACTIONS = (
    select(CasePlanAction.id, Case.id.label("case_id"), Case.reference.label("case_reference"), Case.case_type,
           Case.version.label("case_version"), CasePlan.version.label("plan_version"), CasePlanAction.position,
           CasePlanAction.description, CasePlanAction.organisation, CasePlanAction.due_date, CasePlanAction.status)
    .join(CasePlan, CasePlan.id == CasePlanAction.plan_id)
    .join(Case, Case.id == CasePlan.case_id)
    .where(CasePlanAction.organisation == _WORK_ORG, _CURRENT_PLAN, Case.closed_at.is_(None), access.READABLE_CASES)
)
_ACTIONS_AFTER = tuple_(_ACTION_DUE, CasePlanAction.id) > tuple_(bindparam("after_due", type_=Date()),
                                                                  bindparam("after_id", type_=Uuid()))
_PAGE_LIMIT = bindparam("page_limit", type_=Integer())


def action_overdue(due_date: date | None, status: ActionStatus, today: date) -> bool:
    return due_date is not None and due_date < today and status in UNFINISHED_ACTION_STATUSES


async def list_actions(
    session: AsyncSession, principal: Principal, flt: ActionFilter, *, limit: int, after: tuple[date, uuid.UUID] | None,
) -> Window[Row[*tuple[Any, ...]]]:
    """The caller's organisation's actions, by due date; filtered in SQL. The audit entry names exactly the
    actions and cases returned."""
    decision = access.require_role(session, principal, Action.plan_read, object_type="plan_action")
    today = clock.today()
    stmt = _ACTIONS
    if flt.status is not None:
        stmt = stmt.where(CasePlanAction.status.in_(flt.status))
    if flt.due_before is not None:
        stmt = stmt.where(CasePlanAction.due_date < flt.due_before)
    if flt.due_after is not None:
        stmt = stmt.where(CasePlanAction.due_date > flt.due_after)
    if flt.overdue is not None:
        late = and_(CasePlanAction.due_date < today, CasePlanAction.status.in_(UNFINISHED_ACTION_STATUSES))
        stmt = stmt.where(late if flt.overdue else or_(~late, CasePlanAction.due_date.is_(None)))
    params: dict[str, Any] = access.readable_params(principal, today) | {"work_org": principal.org,
                                                                         "page_limit": limit + 1}
    if after is not None:
        stmt = stmt.where(_ACTIONS_AFTER)
        params |= {"after_due": after[0], "after_id": after[1]}
    stmt = stmt.order_by(_ACTION_DUE, CasePlanAction.id).limit(_PAGE_LIMIT)
    page = window((await session.execute(stmt, params)).all(), limit)
    audit.record(session, principal, AuditAction.work_actions, object_type="plan_action", role=decision.role,
                 detail={"filters": _detail(flt), "action_ids": [str(r.id) for r in page.items],
                         "case_ids": sorted({str(r.case_id) for r in page.items})})
    return page


@dataclass(frozen=True)
class CaseFilter:
    state: str | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    overdue: bool | None = None
    awaiting: WorkReason | None = None


_CASE_DUE = func.coalesce(Case.due_at, bindparam("no_due_at", NO_DUE_AT, type_=UtcDateTime()))
_CASES_AFTER = tuple_(_CASE_DUE, Case.id) > tuple_(bindparam("after_due_at", type_=UtcDateTime()),
                                                   bindparam("after_id", type_=Uuid()))
CASE_COLUMNS = (Case.id, Case.reference, Case.case_type, Case.state, Case.tier, Case.version, Case.title, Case.due_at,
                Case.closed_at, Case.regie_organisation)


def level_owned(kind: str | None) -> Any:
    """The (case type, state) pairs whose level owner is `kind`, as a predicate on Case (false for none)."""
    engine = get_engine()
    pairs = []
    for ladder in (engine.ladder(t) for t in engine.case_types):
        states = [s.code for s in ladder.states if kind is not None and s.owner == kind]
        if states:
            pairs.append(and_(Case.case_type == ladder.case_type, Case.state.in_(states)))
    return or_(*pairs) if pairs else false()


async def list_cases(
    session: AsyncSession, principal: Principal, flt: CaseFilter, *, limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> Window[Row[*tuple[Any, ...]]]:
    """Open cases awaiting the caller's organisation, by deadline; filtered in SQL. The audit entry names exactly
    the cases returned."""
    decision = access.require_role(session, principal, Action.case_list, object_type="case")
    now = clock.now()
    regie = Case.regie_organisation == _WORK_ORG
    niveau = level_owned(await organisations.kind_of(session, principal.org))
    wanted = {WorkReason.regie: regie, WorkReason.niveau: niveau}.get(flt.awaiting) if flt.awaiting else None
    stmt = (select(*CASE_COLUMNS, regie.label("by_regie"), niveau.label("by_niveau"))
            .where(access.READABLE_CASES, access.state_visible(), Case.closed_at.is_(None),
                   wanted if wanted is not None else or_(regie, niveau)))
    if flt.state is not None:
        stmt = stmt.where(Case.state == flt.state)
    if flt.due_before is not None:
        stmt = stmt.where(Case.due_at < flt.due_before)
    if flt.due_after is not None:
        stmt = stmt.where(Case.due_at > flt.due_after)
    if flt.overdue is not None:
        late = Case.due_at < now
        stmt = stmt.where(late if flt.overdue else or_(~late, Case.due_at.is_(None)))
    params: dict[str, Any] = access.readable_params(principal) | {"work_org": principal.org,
                                                                  "page_limit": limit + 1}
    if after is not None:
        stmt = stmt.where(_CASES_AFTER)
        params |= {"after_due_at": after[0], "after_id": after[1]}
    stmt = stmt.order_by(_CASE_DUE, Case.id).limit(_PAGE_LIMIT)
    page = window((await session.execute(stmt, params)).all(), limit)
    audit.record(session, principal, AuditAction.work_cases, object_type="case", role=decision.role,
                 detail={"filters": _detail(flt), "case_ids": [str(r.id) for r in page.items]})
    return page


def awaiting(row: Row[*tuple[Any, ...]]) -> list[WorkReason]:
    return [reason for reason, found in ((WorkReason.regie, row.by_regie), (WorkReason.niveau, row.by_niveau))
            if found]
