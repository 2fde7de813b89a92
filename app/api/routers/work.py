"""Work lists: the caller's organisation's plan actions and the cases awaiting it (issue 15 item 2). Thin:
parse, call the service, shape the response."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.api.deps import PrincipalDep, SessionDep
from app.api.pagination import CursorQuery, LimitQuery, after_day_id, after_due_id, next_cursor
from app.api.query import DateTimeQuery
from app.api.responses import PROBLEMS
from app.cases.schemas import StateCode
from app.cases.views import is_overdue
from app.kit import clock
from app.kit.moments import Day
from app.vocabulary import ActionStatus, WorkReason
from app.work import service as work
from app.work.schemas import WorkAction, WorkActionPage, WorkCase, WorkCasePage

# Unknown query parameters are refused for every /v1 router at once (app/main.py, app/api/query.py).
router = APIRouter(prefix="/v1/work", tags=["work"])


def _action_key(row: Any) -> dict[str, Any]:
    return {"d": (row.due_date or work.NO_DUE_DATE).isoformat(), "id": str(row.id)}


def _case_key(row: Any) -> dict[str, Any]:
    return {"due": (row.due_at or work.NO_DUE_AT).isoformat(), "id": str(row.id)}


@router.get("/actions", response_model=WorkActionPage, responses=PROBLEMS(401, 403, 422))
async def list_work_actions(
    session: SessionDep,
    principal: PrincipalDep,
    status: Annotated[list[ActionStatus] | None, Query(
        description="Only actions in one of these statuses (repeat the parameter for several)")] = None,
    due_before: Annotated[Day | None, Query(description="Due strictly before this day (YYYY-MM-DD)")] = None,
    due_after: Annotated[Day | None, Query(description="Due strictly after this day (YYYY-MM-DD)")] = None,
    overdue: Annotated[bool | None, Query(
        description="Due date passed while open or in_uitvoering (true), or not (false)")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> WorkActionPage:
    """Your organisation's actions in the current plan version of every open case it may read (as GET …/plan
    shows them), by due date, those without one last."""
    flt = work.ActionFilter(status=tuple(status) if status else None, due_before=due_before, due_after=due_after,
                            overdue=overdue)
    page = await work.list_actions(session, principal, flt, limit=limit, after=after_day_id(cursor))
    today = clock.today()
    items = [WorkAction(id=r.id, case_id=r.case_id, case_reference=r.case_reference, case_type=r.case_type,
                        case_version=r.case_version, plan_version=r.plan_version, position=r.position,
                        description=r.description, organisation=r.organisation, due_date=r.due_date, status=r.status,
                        overdue=work.action_overdue(r.due_date, r.status, today)) for r in page.items]
    return WorkActionPage(items=items, next_cursor=next_cursor(page, _action_key))


@router.get("/cases", response_model=WorkCasePage, responses=PROBLEMS(401, 403, 422))
async def list_work_cases(
    session: SessionDep,
    principal: PrincipalDep,
    state: Annotated[StateCode | None, Query()] = None,
    due_before: Annotated[DateTimeQuery | None, Query(description="Deadline before this moment (RFC 3339)")] = None,
    due_after: Annotated[DateTimeQuery | None, Query(description="Deadline after this moment (RFC 3339)")] = None,
    overdue: Annotated[bool | None, Query(description="Deadline passed (true), or not (false)")] = None,
    awaiting: Annotated[WorkReason | None, Query(
        description="Only cases on the list for this reason: `regie` or `niveau`")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> WorkCasePage:
    """Open cases you may read that await your organisation: it holds regie, or its kind owns the case's current
    rung (a decision there is yours); by deadline (`due_at`), those without one last."""
    flt = work.CaseFilter(state=state, due_before=due_before, due_after=due_after, overdue=overdue,
                          awaiting=awaiting)
    page = await work.list_cases(session, principal, flt, limit=limit, after=after_due_id(cursor))
    items = [WorkCase(id=r.id, reference=r.reference, case_type=r.case_type, state=r.state, tier=r.tier,
                      version=r.version, title=r.title, due_at=r.due_at, overdue=is_overdue(r),
                      regie_organisation=r.regie_organisation, awaiting=work.awaiting(r)) for r in page.items]
    return WorkCasePage(items=items, next_cursor=next_cursor(page, _case_key))
