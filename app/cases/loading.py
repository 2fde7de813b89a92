"""Loading a case for an operation: lock it when it will change, decide access, collect its subject ids."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.access import CaseAccess, Decision
from app.cases.models import Case, CaseSubject
from app.errors import NotFound, StaleVersion
from app.principal import Principal


@dataclass
class LoadedCase:
    case: Case
    decision: Decision
    access: CaseAccess
    subject_ids: tuple[uuid.UUID, ...]


async def subject_ids_of(session: AsyncSession, case_id: uuid.UUID) -> tuple[uuid.UUID, ...]:
    rows = await session.execute(select(CaseSubject.subject_id).where(CaseSubject.case_id == case_id))
    return tuple(sorted(rows.scalars(), key=str))


async def load_case(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, action: str, *, lock: bool = False
) -> LoadedCase:
    """The case with the caller's decision. `lock`: SELECT … FOR UPDATE (PostgreSQL) before deciding on it."""
    stmt = select(Case).where(Case.id == case_id)
    if lock:
        stmt = stmt.with_for_update()
    case = (await session.execute(stmt.execution_options(populate_existing=True))).scalar_one_or_none()
    if case is None:
        access.deny_missing(session, principal, action, case_id)
        raise NotFound("Case not found")
    subjects = await subject_ids_of(session, case.id)
    decision, case_access = await access.require_case(session, principal, action, case, subject_ids=subjects)
    return LoadedCase(case, decision, case_access, subjects)


def parse_if_match(header: str | None) -> int | None:
    """`"3"`, `W/"3"` or `3` -> 3; `*` or absent -> None (no precondition)."""
    if header is None or header.strip() == "*":
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise StaleVersion("If-Match must be the ETag of the case (its version)")
    return int(value)


def check_version(case: Case, if_match: int | None) -> None:
    if if_match is not None and if_match != case.version:
        raise StaleVersion(f"The case is at version {case.version}, not {if_match}; reload and retry")
