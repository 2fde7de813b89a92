from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.api.deps import PrincipalDep, SessionDep
from app.api.pagination import CursorQuery, LimitQuery, decode_cursor, encode_cursor
from app.api.query import DateTimeQuery
from app.api.responses import PROBLEMS
from app.audit import service as audit
from app.audit.schemas import AuditEntryOut, AuditPage, VerificationOut
from app.errors import ValidationFailed

router = APIRouter(prefix="/v1/audit", tags=["audit"])


MAX_SEQ = 2**63 - 1  # the audit sequence is a BIGINT


def _seq(key: dict[str, Any] | None) -> int | None:
    """The `seq` a cursor of this list holds; any other cursor is a 422, not a silently different page."""
    if key is None:
        return None
    seq = key.get("seq")
    if not (isinstance(seq, int) and not isinstance(seq, bool) and 1 <= seq <= MAX_SEQ):
        raise ValidationFailed("Invalid cursor", errors=[{"loc": ["query", "cursor"], "msg": "invalid cursor"}])
    return seq


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
    key = decode_cursor(cursor)
    flt = audit.AuditFilter(case_id=case_id, subject_id=subject_id, actor=actor, organisation=organisation,
                            action=action, since=from_, until=to)
    before = _seq(key)
    rows = await audit.list_for(session, principal, flt, limit=limit + 1, before_seq=before)
    next_cursor = encode_cursor({"seq": rows[limit - 1].seq}) if len(rows) > limit else None
    return AuditPage(items=[AuditEntryOut.model_validate(r) for r in rows[:limit]], next_cursor=next_cursor)


@router.get("/verify", response_model=VerificationOut, responses=PROBLEMS(401, 403))
async def verify_audit(session: SessionDep, principal: PrincipalDep) -> VerificationOut:
    result = await audit.verify_for(session, principal)
    return VerificationOut(**result.as_dict())
