"""A case as one caller may see it: details and subjects limited to the caller's data categories."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.access import CaseAccess
from app.auth.principal import Principal
from app.cases.loading import LoadedCase, subjects_of
from app.cases.models import Case
from app.cases.schemas import CaseOut, CaseSummary, ParticipantOut
from app.kit import clock
from app.subjects import service as subjects
from app.subjects.models import Subject
from app.workflows.engine import get_engine


def is_overdue(case: Case | Row[*tuple[Any, ...]]) -> bool:
    return case.due_at is not None and case.closed_at is None and case.due_at < clock.now()


async def loaded_view(session: AsyncSession, principal: Principal, loaded: LoadedCase) -> CaseOut:
    """The case of an operation as its caller may see it; a related case only if the caller may read it."""
    related = await access.visible_case_id(session, principal, loaded.case.related_case_id)
    return await case_view(session, loaded.case, loaded.access, loaded.subjects, related_case_id=related)


async def case_view(session: AsyncSession, case: Case, access: CaseAccess,
                    subject_rows: Sequence[Subject] | None = None, *,
                    related_case_id: uuid.UUID | None = None) -> CaseOut:
    """`subject_rows`: the case's subjects when the caller already loaded them (`LoadedCase.subjects`);
    `related_case_id`: the related case as far as the caller may know it (`loaded_view` decides)."""
    ladder = get_engine().ladder(case.case_type)
    state = ladder.state(case.state)
    categories = access.categories
    details, withheld = {}, []
    for key, value in (case.details or {}).items():
        category = ladder.details_categories.get(key)
        if category is not None and category not in categories:
            withheld.append(key)
        else:
            details[key] = value
    rows = subject_rows if subject_rows is not None else await subjects_of(session, case.id)
    identifying = "identificatie" in categories
    return CaseOut(
        id=case.id, reference=case.reference, case_type=case.case_type, state=case.state,
        state_label=state.label, tier=state.tier, step=state.step, version=case.version, due_at=case.due_at,
        overdue=is_overdue(case), title=case.title, summary=case.summary, details=details,
        withheld_details=sorted(withheld), opened_by_organisation=case.opened_by_organisation,
        regie_organisation=case.regie_organisation, regisseur=case.regisseur, related_case_id=related_case_id,
        participants=[ParticipantOut(organisation=p.organisation, basis=p.basis, added_at=p.added_at)
                      for p in case.participants],
        subjects=[subjects.show(s, identifying=identifying) for s in rows],
        visible_categories=sorted(categories),
        created_at=case.created_at, updated_at=case.updated_at, closed_at=case.closed_at,
    )


def case_summary(case: Case | Row[*tuple[Any, ...]]) -> CaseSummary:
    """A list row from a Case or from a row of `service.SUMMARY_COLUMNS`."""
    return CaseSummary(
        id=case.id, reference=case.reference, case_type=case.case_type, state=case.state,
        tier=case.tier, version=case.version, title=case.title, due_at=case.due_at, overdue=is_overdue(case),
        regie_organisation=case.regie_organisation, created_at=case.created_at,
    )
