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
from app.cases import level_owners
from app.cases.loading import LoadedCase, subjects_of
from app.cases.models import Case
from app.cases.schemas import CaseOut, CaseSummary, ParticipantOut
from app.convenants.grants import categories_of, grants_for
from app.kit import clock
from app.subjects import service as subjects
from app.subjects.models import Subject
from app.workflows.engine import get_engine
from app.workflows.model import WITHHELD_STATE_LABEL


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
    reason, reason_withheld = case.uitstroomreden, False
    if reason is not None and not ladder.uitstroomreden_categories(reason) <= categories:
        reason, reason_withheld = None, True
    rows = subject_rows if subject_rows is not None else await subjects_of(session, case.id)
    identifying = "identificatie" in categories
    # A state that reveals a decision of an uncovered category shows as the neutral phase, with what would
    # tell it apart: tier, step, deadline and the regie holder (regie moves to the ZVH with a PGA decision).
    hidden = ladder.hides_state(case.state, categories)
    return CaseOut(
        id=case.id, reference=case.reference, case_type=case.case_type, state=None if hidden else case.state,
        state_withheld=hidden, state_label=WITHHELD_STATE_LABEL if hidden else state.label,
        tier=None if hidden else state.tier, step=None if hidden else state.step,
        level_label=None if hidden else state.level_label, version=case.version,
        due_at=None if hidden else case.due_at, overdue=False if hidden else is_overdue(case), title=case.title,
        summary=case.summary, details=details,
        withheld_details=sorted(withheld), opened_by_organisation=case.opened_by_organisation,
        regie_organisation=None if hidden else case.regie_organisation,
        regie_gap=False if hidden else await level_owners.regie_gap(session, case),
        regisseur=case.regisseur, related_case_id=related_case_id,
        participants=[ParticipantOut(organisation=p.organisation, basis=p.basis, added_at=p.added_at)
                      for p in case.participants],
        subjects=[subjects.show(s, identifying=identifying) for s in rows],
        visible_categories=sorted(categories),
        created_at=case.created_at, updated_at=case.updated_at, closed_at=case.closed_at,
        destroyed_at=case.destroyed_at, uitstroomreden=reason, uitstroomreden_withheld=reason_withheld,
    )


def case_summary(row: Row[*tuple[Any, ...]], *, hidden: bool = False) -> CaseSummary:
    """A list row from a row of `service.SUMMARY_COLUMNS`; `hidden`: its state is withheld, and with it everything
    that would tell it (as in `case_view`): label, tier, step, deadline, regie holder. `open_actions` stays: the
    plan it counts is readable by every participant (GET …/plan), withheld state or not."""
    state = get_engine().ladder(row.case_type).state(row.state)
    return CaseSummary(
        id=row.id, reference=row.reference, case_type=row.case_type, state=None if hidden else row.state,
        state_withheld=hidden, state_label=WITHHELD_STATE_LABEL if hidden else state.label,
        tier=None if hidden else row.tier, step=None if hidden else state.step,
        level_label=None if hidden else state.level_label, version=row.version, title=row.title,
        due_at=None if hidden else row.due_at, overdue=False if hidden else is_overdue(row),
        regie_organisation=None if hidden else row.regie_organisation, open_actions=row.open_actions,
        created_at=row.created_at,
    )


async def summaries(session: AsyncSession, principal: Principal,
                    rows: Sequence[Row[*tuple[Any, ...]]]) -> list[CaseSummary]:
    """List rows as the caller may see them: the categories are looked up only for the case types of rows in
    a state that carries one (radicalisering's PGA states), one statement per such type."""
    engine = get_engine()
    today = clock.today()
    sensitive = {r.case_type for r in rows if engine.ladder(r.case_type).state(r.state).category is not None}
    categories = {ct: categories_of(await grants_for(session, principal.org, ct, today)) for ct in sensitive}
    return [case_summary(r, hidden=r.case_type in categories
                         and engine.ladder(r.case_type).hides_state(r.state, categories[r.case_type]))
            for r in rows]
