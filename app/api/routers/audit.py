from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.api.deps import PrincipalDep, SessionDep
from app.api.pagination import CursorQuery, LimitQuery, after_audit_position, after_seq, next_cursor
from app.api.query import DateTimeQuery
from app.api.responses import PROBLEMS
from app.audit import reading as audit_log
from app.audit.anchoring import configured_anchors, public_key_pem
from app.audit.schemas import AuditEntryOut, AuditPage, CheckpointOut, CheckpointPage, PublicKeyOut, VerificationOut
from app.kit.errors import NotFound

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
    """The audit log, newest first. Entries not yet linked into the hash chain come first (`chained: false`,
    no seq or hashes): an auditor never misses a recent access. An entry the chainer links while you page
    may appear twice, once staged and once chained, with the same `id`. Entries committed after your first
    page show in the next pass from the top."""
    flt = audit_log.AuditFilter(case_id=case_id, subject_id=subject_id, actor=actor, organisation=organisation,
                            action=action, since=from_, until=to)
    page = await audit_log.list_for(session, principal, flt, limit=limit,
                                    after=after_audit_position(cursor, MAX_SEQ))
    return AuditPage(items=[AuditEntryOut.model_validate(r) for r in page.items],
                     next_cursor=next_cursor(page, audit_log.position_after))


@router.get("/verify", response_model=VerificationOut, responses=PROBLEMS(401, 403))
async def verify_audit(request: Request, session: SessionDep, principal: PrincipalDep) -> VerificationOut:
    """Recompute the hash chain and hold it against every signed checkpoint outside the database; report
    the entries not yet chained."""
    result = await audit_log.verify_for(session, principal, configured_anchors(request.app.state.settings))
    return VerificationOut.model_validate(result.with_anchors())


@router.get("/checkpoints", response_model=CheckpointPage, responses=PROBLEMS(401, 403, 422))
async def list_checkpoints(request: Request, session: SessionDep, principal: PrincipalDep, limit: LimitQuery = 50,
                           cursor: CursorQuery = None) -> CheckpointPage:
    """The signed checkpoints {seq, hash, time}, newest first, as written to the checkpoint directory."""
    page = await audit_log.checkpoints_for(session, principal, configured_anchors(request.app.state.settings),
                                           limit=limit, before_seq=after_seq(cursor, MAX_SEQ))
    return CheckpointPage(items=[CheckpointOut.model_validate(cp.as_json()) for cp in page.items],
                          next_cursor=next_cursor(page, lambda cp: {"seq": cp.seq}))


@router.get("/public-key", response_model=PublicKeyOut, responses=PROBLEMS(404))
async def get_audit_public_key(request: Request) -> PublicKeyOut:
    """The Ed25519 public key that checks the checkpoints, for anyone (no token): whoever verifies the log
    offline needs it (`casusregie verify-audit --public-key FILE --checkpoints DIR`). Public like a JWKS, it
    names no person, so it is neither access-checked nor audited."""
    found = public_key_pem(request.app.state.settings)
    if found is None:
        raise NotFound("No checkpoint signing key is configured")
    return PublicKeyOut(key_id=found[1], public_key_pem=found[0])
