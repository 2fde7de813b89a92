"""Reading the audit log for the API: filtered lists and chain verification, each itself audited.

Above `app.access` (it asks there whether the caller may read the log); `record.py` is below it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVarTuple

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.audit.masking import filters_detail
from app.audit.models import AuditEntry, AuditSubject
from app.audit.record import record
from app.audit.verification import Verification, verify_chain
from app.auth.principal import Principal
from app.kit.paging import Window, window
from app.vocabulary import Action

_Ts = TypeVarTuple("_Ts")  # the columns of a statement that a filter passes through


@dataclass(frozen=True)
class AuditFilter:
    case_id: uuid.UUID | None = None
    subject_id: str | None = None
    actor: str | None = None
    organisation: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def filtered(stmt: Select[*_Ts], flt: AuditFilter) -> Select[*_Ts]:
    if flt.case_id is not None:
        stmt = stmt.where(AuditEntry.case_id == flt.case_id)
    if flt.subject_id is not None:
        stmt = stmt.where(
            AuditEntry.seq.in_(select(AuditSubject.seq).where(AuditSubject.subject_id == flt.subject_id))
        )
    if flt.actor is not None:
        stmt = stmt.where(AuditEntry.actor_sub == flt.actor)
    if flt.organisation is not None:
        stmt = stmt.where(AuditEntry.actor_org == flt.organisation)
    if flt.action is not None:
        stmt = stmt.where(AuditEntry.action == flt.action)
    if flt.since is not None:
        stmt = stmt.where(AuditEntry.created_at >= flt.since)
    if flt.until is not None:
        stmt = stmt.where(AuditEntry.created_at < flt.until)
    return stmt


async def list_entries(
    session: AsyncSession, flt: AuditFilter, *, limit: int, before_seq: int | None
) -> list[AuditEntry]:
    """Newest first; `before_seq` is the cursor (entries are immutable, so seq is a stable key)."""
    stmt = filtered(select(AuditEntry), flt)
    if before_seq is not None:
        stmt = stmt.where(AuditEntry.seq < before_seq)
    stmt = stmt.order_by(AuditEntry.seq.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def list_for(
    session: AsyncSession, principal: Principal, flt: AuditFilter, *, limit: int, before_seq: int | None
) -> Window[AuditEntry]:
    """GET /v1/audit: the auditor's own reading of the log is itself audited."""
    decision = access.require_role(session, principal, Action.audit_read, object_type="audit_log")
    scope = access.audit_scope(principal)
    page: Window[AuditEntry]
    if scope is not None and flt.organisation not in (None, scope):
        page = Window([], False)  # another organisation's entries: none for a partner's auditor
    else:
        scoped = flt if scope is None else replace(flt, organisation=scope)
        page = window(await list_entries(session, scoped, limit=limit + 1, before_seq=before_seq), limit)
    record(session, principal, Action.audit_read, object_type="audit_log", role=decision.role,
           case_id=flt.case_id, subject_ids=[flt.subject_id] if flt.subject_id else [],
           detail={"filters": filters_detail(flt)})
    return page


async def verify_for(session: AsyncSession, principal: Principal) -> Verification:
    decision = access.require_role(session, principal, Action.audit_verify, object_type="audit_log")
    result = await verify_chain(session)
    record(session, principal, Action.audit_verify, object_type="audit_log", role=decision.role,
           detail={"valid": result.valid, "entries": result.entries})
    return result
