"""Reading the audit log for the API: filtered lists and chain verification, each itself audited.

Above `app.access` (it asks there whether the caller may read the log); `record.py` is below it.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVarTuple

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.audit.anchoring import Anchors, anchored
from app.audit.checkpoints import Checkpoint
from app.audit.masking import filters_detail
from app.audit.models import AuditEntry, AuditStaged, AuditSubject
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
    # Any of these subject ids (a data subject's access log: every subject row of the same person).
    subject_in: frozenset[str] | None = None

    def concerns(self, subject_ids: list[str]) -> bool:
        """Whether an entry naming `subject_ids` passes the subject filters (staged entries, in Python)."""
        if self.subject_id is not None and self.subject_id not in subject_ids:
            return False
        return self.subject_in is None or not self.subject_in.isdisjoint(subject_ids)


def filtered(stmt: Select[*_Ts], flt: AuditFilter, model: type[AuditEntry | AuditStaged] = AuditEntry) -> Select[*_Ts]:
    """The filter on chained entries, or on staged ones (`model`), but for the subject: a staged entry's
    subjects are only in its JSON list, which `staged_entries` filters in Python (staging holds seconds of
    entries)."""
    if flt.case_id is not None:
        stmt = stmt.where(model.case_id == flt.case_id)
    if flt.subject_id is not None and model is AuditEntry:
        stmt = stmt.where(
            AuditEntry.seq.in_(select(AuditSubject.seq).where(AuditSubject.subject_id == flt.subject_id))
        )
    if flt.subject_in is not None and model is AuditEntry:
        stmt = stmt.where(
            AuditEntry.seq.in_(select(AuditSubject.seq).where(AuditSubject.subject_id.in_(sorted(flt.subject_in))))
        )
    if flt.actor is not None:
        stmt = stmt.where(model.actor_sub == flt.actor)
    if flt.organisation is not None:
        stmt = stmt.where(model.actor_org == flt.organisation)
    if flt.action is not None:
        stmt = stmt.where(model.action == flt.action)
    if flt.since is not None:
        stmt = stmt.where(model.created_at >= flt.since)
    if flt.until is not None:
        stmt = stmt.where(model.created_at < flt.until)
    return stmt


@dataclass(frozen=True)
class AuditPosition:
    """Where a newest-first page of the log goes on. Entries not yet chained are the newest, so they come
    first (below staging number `staged_before`); then the chain (below `seq_before`)."""

    staged_before: int | None = None
    seq_before: int | None = None


Listed = AuditEntry | AuditStaged


async def staged_entries(session: AsyncSession, flt: AuditFilter, *, limit: int,
                         staged_before: int | None = None) -> list[AuditStaged]:
    stmt = filtered(select(AuditStaged), flt, AuditStaged)
    if staged_before is not None:
        stmt = stmt.where(AuditStaged.staged_seq < staged_before)
    stmt = stmt.order_by(AuditStaged.staged_seq.desc())
    if flt.subject_id is None and flt.subject_in is None:
        return list((await session.execute(stmt.limit(limit))).scalars())
    rows = (await session.execute(stmt)).scalars()
    return [r for r in rows if flt.concerns(r.subject_ids)][:limit]


async def list_entries(
    session: AsyncSession, flt: AuditFilter, *, limit: int, after: AuditPosition | None = None
) -> list[Listed]:
    """Newest first: the staged entries, then the chain. An entry chained while a client pages may show up
    twice (staged, then chained; the same id): the chainer only moves entries from staging to the top of the
    chain. As in any newest-first log, an entry committed after a pass began shows in the next pass from the
    top; that includes one whose staging number is lower than the pass's cursor (numbers are drawn at insert,
    commits may finish out of that order)."""
    rows: list[Listed] = []
    if after is None or after.seq_before is None:
        rows.extend(await staged_entries(session, flt, limit=limit,
                                         staged_before=after.staged_before if after else None))
    if len(rows) < limit:
        stmt = filtered(select(AuditEntry), flt)
        if after is not None and after.seq_before is not None:
            stmt = stmt.where(AuditEntry.seq < after.seq_before)
        stmt = stmt.order_by(AuditEntry.seq.desc()).limit(limit - len(rows))
        rows.extend((await session.execute(stmt)).scalars())
    return rows


def position_after(entry: Listed) -> dict[str, int]:
    """The cursor key that continues after `entry`."""
    if isinstance(entry, AuditStaged):
        return {"staged": entry.staged_seq}
    return {"seq": entry.seq}


async def list_for(
    session: AsyncSession, principal: Principal, flt: AuditFilter, *, limit: int, after: AuditPosition | None
) -> Window[Listed]:
    """GET /v1/audit: the auditor's own reading of the log is itself audited."""
    decision = access.require_role(session, principal, Action.audit_read, object_type="audit_log")
    scope = access.audit_scope(principal)
    page: Window[Listed]
    if scope is not None and flt.organisation not in (None, scope):
        page = Window([], False)  # another organisation's entries: none for a partner's auditor
    else:
        scoped = flt if scope is None else replace(flt, organisation=scope)
        page = window(await list_entries(session, scoped, limit=limit + 1, after=after), limit)
    record(session, principal, Action.audit_read, object_type="audit_log", role=decision.role,
           case_id=flt.case_id, subject_ids=[flt.subject_id] if flt.subject_id else [],
           detail={"filters": filters_detail(flt)})
    return page


async def verify_for(session: AsyncSession, principal: Principal, anchors: Anchors) -> Verification:
    """The chain recomputed, held against the signed checkpoints, with the staging state."""
    decision = access.require_role(session, principal, Action.audit_verify, object_type="audit_log")
    result = await anchored(session, await verify_chain(session), anchors)
    record(session, principal, Action.audit_verify, object_type="audit_log", role=decision.role,
           detail={"valid": result.valid, "entries": result.entries, "staged": result.staged,
                   "checkpoints_checked": result.checkpoints_checked})
    return result


async def checkpoints_for(session: AsyncSession, principal: Principal, anchors: Anchors, *, limit: int,
                          before_seq: int | None) -> Window[Checkpoint]:
    """GET /v1/audit/checkpoints: the signed checkpoints as written outside the database, newest first."""
    decision = access.require_role(session, principal, Action.audit_read, object_type="audit_checkpoint")
    found, _ = await asyncio.to_thread(anchors.read)
    newest_first = sorted((cp for _, cp in found if before_seq is None or cp.seq < before_seq),
                          key=lambda cp: cp.seq, reverse=True)
    page = window(newest_first[:limit + 1], limit)
    record(session, principal, Action.audit_read, object_type="audit_checkpoint", role=decision.role,
           detail={"checkpoints": len(page.items)})
    return page
