"""Loading a case for an operation: lock it when it will change, decide access, collect its subject ids."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Uuid, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app import access
from app.access import CaseAccess, Decision
from app.audit import record as audit
from app.auth.principal import Principal
from app.cases.models import Case, CaseSubject
from app.kit import deferred_writes, preconditions
from app.kit.errors import Conflict, NotFound
from app.subjects.models import Subject
from app.vocabulary import Action, AuditedAction, AuditOutcome


@dataclass
class LoadedCase:
    """A case with the caller's decision on it: what every case operation starts from."""

    case: Case
    decision: Decision
    access: CaseAccess
    subject_ids: tuple[uuid.UUID, ...]
    # The case's subjects in display order, loaded with the case (the view needs them, the audit their ids).
    subjects: tuple[Subject, ...] = ()
    # The convenant epoch the case statement read (the grant cache's key).
    epoch: str | None = None

    def record(
        self, session: AsyncSession, principal: Principal, action: AuditedAction, *, object_type: str,
        object_id: Any = None, role: str | None = None, detail: dict[str, Any] | None = None,
        outcome: AuditOutcome = AuditOutcome.allowed,
    ) -> None:
        """Audit an operation on this case: its subjects, and the convenant the decision used as legal basis."""
        audit.record(session, principal, action, object_type=object_type, object_id=object_id, outcome=outcome,
                     role=role or self.decision.role, case_id=self.case.id, subject_ids=self.subject_ids,
                     legal_basis=self.decision.basis, detail=detail)

    def changed(self, now: datetime) -> None:
        """The case changed at `now`: a new version (its ETag), so a stale If-Match is refused."""
        self.case.version += 1
        self.case.updated_at = now


# Built once (bench/: statement construction was a visible share of a transition's CPU time).
_CASE_ID = bindparam("case_id", type_=Uuid())
# The case with its participants and subjects joined into one statement, with the caller's facts.
_CASE = (select(Case, *access.CASE_FACTS).where(Case.id == _CASE_ID)
         .options(joinedload(Case.participants), joinedload(Case.subjects))
         .execution_options(populate_existing=True))
# A change locks the case row first and reads it (with the same joined statement) only once the lock is held: under
# READ COMMITTED a statement sees the rows committed before it started, so the joined participants of a FOR UPDATE
# statement would come from the snapshot taken before its lock wait and miss a participant a concurrent invite
# just committed (tests/races). So a change takes two statements, the lock and then the joined read: one round
# trip fewer than locking the case and loading its participants and subjects apart.
_LOCK = select(Case.id).where(Case.id == _CASE_ID).with_for_update()
_SUBJECTS = (select(Subject).join(CaseSubject, CaseSubject.subject_id == Subject.id)
             .where(CaseSubject.case_id == _CASE_ID).order_by(Subject.created_at, Subject.id))


async def subjects_of(session: AsyncSession, case_id: uuid.UUID) -> tuple[Subject, ...]:
    return tuple((await session.execute(_SUBJECTS, {"case_id": case_id})).scalars())


async def subject_ids_of(session: AsyncSession, case_id: uuid.UUID) -> tuple[uuid.UUID, ...]:
    return tuple(sorted((s.id for s in await subjects_of(session, case_id)), key=str))


async def load_case(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, action: Action, *, lock: bool = False
) -> LoadedCase:
    """The case with the caller's decision. `lock`: SELECT … FOR UPDATE (PostgreSQL) before deciding on it."""
    await deferred_writes.send(session)  # an earlier operation of this unit of work on the case, if any
    row = None
    if not lock or (await session.execute(_LOCK, {"case_id": case_id})).first() is not None:
        params = {"case_id": case_id} | access.case_facts_params(principal)
        row = (await session.execute(_CASE, params)).unique().one_or_none()
    if row is None:
        access.deny_missing(session, principal, action, case_id)
        raise NotFound("Case not found")
    case, epoch, participates = row
    facts = access.CaseFacts(participates=bool(participates), convenant_epoch=str(epoch))
    subjects = tuple(case.subjects)
    ids = tuple(sorted((s.id for s in subjects), key=str))
    decision, case_access = await access.require_case(session, principal, action, case, facts, subject_ids=ids)
    loaded = LoadedCase(case, decision, case_access, ids, subjects, facts.convenant_epoch)
    if lock:  # a change to the case: a refusal from here on (409, 412, 422) is a denied attempt on it
        audit.on_refusal(session, lambda exc: loaded.record(
            session, principal, action, object_type="case", object_id=case.id, outcome=AuditOutcome.denied,
            detail=audit.refusal_detail(exc)))
        if case.destroyed_at is not None:  # its personal data is gone (app/retention): nothing more happens to it
            raise Conflict("The case was destroyed after its retention term; it cannot change any more")
    return loaded


def parse_if_match(header: str | None) -> int | None:
    return preconditions.parse_if_match(header, "case")


def check_version(case: Case, if_match: int | None) -> None:
    preconditions.check_version(case.version, if_match, "case")
