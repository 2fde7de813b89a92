from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import PrincipalDep, SessionDep
from app.api.pagination import CursorQuery, LimitQuery, after_seq, next_cursor
from app.api.query import DateTimeQuery
from app.api.responses import PROBLEMS
from app.audit import reading as audit_log
from app.audit.schemas import AuditEntryOut, AuditPage, VerificationOut

router = APIRouter(prefix="/v1/audit", tags=["audit"])


MAX_SEQ = 2**63 - 1  # the audit sequence is a BIGINT


@router.get("", response_model=AuditPage, responses=PROBLEMS(401, 403, 422))
async def list_audit(
    session: SessionDep,
    principal: PrincipalDep,
    case_id: uuid.UUID | None = None,
    subject_id: Annotated[str | None, Query(max_length=100)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    organisation: Annotated[str | None, Query(max_length=100)] = None,
    action: Annotated[str | None, Query(max_length=60)] = None,
    from_: Annotated[DateTimeQuery | None, Query(alias="from", description="At or after (RFC 3339)")] = None,
    to: Annotated[DateTimeQuery | None, Query(description="Before (RFC 3339)")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> AuditPage:
    flt = audit_log.AuditFilter(case_id=case_id, subject_id=subject_id, actor=actor, organisation=organisation,
                            action=action, since=from_, until=to)
    page = await audit_log.list_for(session, principal, flt, limit=limit, before_seq=after_seq(cursor, MAX_SEQ))
    return AuditPage(items=[AuditEntryOut.model_validate(r) for r in page.items],
                     next_cursor=next_cursor(page, lambda e: {"seq": e.seq}))


@router.get("/verify", response_model=VerificationOut, responses=PROBLEMS(401, 403))
async def verify_audit(session: SessionDep, principal: PrincipalDep) -> VerificationOut:
    result = await audit_log.verify_for(session, principal)
    return VerificationOut(**result.as_dict())
