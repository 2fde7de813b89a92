"""A case as one caller may see it: details and subjects limited to the caller's data categories."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
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
from app.cases.service import SUMMARY_COLUMNS
from app.convenants.grants import categories_of, grants_for
from app.kit import clock
from app.subjects import service as subjects
from app.subjects.models import Subject
from app.workflows.engine import get_engine
from app.workflows.model import WITHHELD_STATE_LABEL


def is_overdue(case: Case | Row[*tuple[Any, ...]]) -> bool:
    return overdue(case.due_at, case.closed_at, clock.now())


def overdue(due_at: datetime | None, closed_at: datetime | None, now: datetime) -> bool:
    """The one rule: past its deadline and still open."""
    return due_at is not None and closed_at is None and due_at < now


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


# The order of service.SUMMARY_COLUMNS, checked once here: list rows are unpacked by position (a Row's attribute
# look-up cost more than building the summary: ~0.3 ms of a 50-row page, bench/RESULTS.md).
_SUMMARY_ORDER = ("id", "reference", "case_type", "state", "tier", "version", "title", "due_at", "closed_at",
                  "regie_organisation", "created_at", "open_actions")
if tuple(column.key for column in SUMMARY_COLUMNS) != _SUMMARY_ORDER:
    raise RuntimeError("app/cases/views.py unpacks list rows in an order service.SUMMARY_COLUMNS no longer has")


async def summaries(session: AsyncSession, principal: Principal,
                    rows: Sequence[Row[*tuple[Any, ...]]]) -> list[CaseSummary]:
    """List rows (of `service.SUMMARY_COLUMNS`) as the caller may see them. A row in a state that reveals a
    decision of a category the caller lacks shows as the neutral phase, without what would tell it apart: label,
    tier, step, deadline and regie holder (as in `case_view`); `open_actions` stays, the plan it counts is
    readable by every participant (GET …/plan). The categories are looked up only for the case types of rows in
    a state that carries one (radicalisering's PGA states), one statement per such type."""
    engine = get_engine()
    today, now = clock.today(), clock.now()
    sensitive = {r[2] for r in rows if engine.ladder(r[2]).state(r[3]).category is not None}
    categories = {ct: categories_of(await grants_for(session, principal.org, ct, today)) for ct in sensitive}
    out = []
    for (case_id, reference, case_type, state_code, tier, version, title, due_at, closed_at, regie_organisation,
         created_at, open_actions) in rows:
        ladder = engine.ladder(case_type)
        if case_type in categories and ladder.hides_state(state_code, categories[case_type]):
            out.append(CaseSummary(
                id=case_id, reference=reference, case_type=case_type, state=None, state_withheld=True,
                state_label=WITHHELD_STATE_LABEL, tier=None, step=None, level_label=None, version=version,
                title=title, due_at=None, overdue=False, regie_organisation=None, open_actions=open_actions,
                created_at=created_at))
            continue
        state = ladder.state(state_code)
        out.append(CaseSummary(
            id=case_id, reference=reference, case_type=case_type, state=state_code, state_withheld=False,
            state_label=state.label, tier=tier, step=state.step, level_label=state.level_label, version=version,
            title=title, due_at=due_at, overdue=overdue(due_at, closed_at, now),
            regie_organisation=regie_organisation, open_actions=open_actions, created_at=created_at))
    return out
