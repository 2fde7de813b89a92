"""A signal as one caller may see it: status only (the sender's melder), a queue row, or in full."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.convenants.grants import Grant, best_grant, categories_of, grants_for
from app.kit import clock
from app.signals.models import Signal, SignalFeedback
from app.signals.schemas import (
    CaseSignalOut,
    FeedbackOut,
    MatchOut,
    MelderSignalOut,
    SignalOut,
    SignalReceipt,
    SignalStatusOut,
    SignalSummary,
    TriageOut,
)
from app.subjects import service as subjects
from app.subjects.models import Subject
from app.vocabulary import CaseType, DataCategory, MelderStatus, SignalStatus, SubjectType, TriageDecision
from app.workflows.engine import get_engine


@dataclass(frozen=True)
class CaseSide:
    """What the melder's view derives from the case a signal landed in (selected with the signal, outer-joined):
    never shown as such, only as the status, the reference and the contact organisation."""

    reference: str | None = None
    state: str | None = None
    case_type: CaseType | None = None
    regie_organisation: str | None = None


def melder_status(signal: Signal, case: CaseSide) -> MelderStatus:
    """ontvangen until triage; afgewezen when rejected; gekoppeld when joined to an existing case; a case opened
    from it: in_behandeling while it is still in the state it was opened in (the ladder's first: triage opens
    there), opgepakt once anyone moved it on. Which state it moved to is never told: going on to a PGA and
    closing without action look the same (radicalisering's weegtafel decisions stay with the participants)."""
    if signal.status == SignalStatus.ontvangen:
        return MelderStatus.ontvangen
    if signal.status == SignalStatus.afgewezen:
        return MelderStatus.afgewezen
    if signal.triage_decision == TriageDecision.koppelen or case.case_type is None:
        return MelderStatus.gekoppeld
    if case.state == get_engine().ladder(case.case_type).first_state.code:
        return MelderStatus.in_behandeling
    return MelderStatus.opgepakt


def contact_organisation(signal: Signal, case: CaseSide) -> str | None:
    """The case's regie organisation, or the organisation that triaged. On a ladder where being in a state tells a
    decision (a state with a data category: radicalisering's PGA), regie moving with the level would tell it as
    well, so there the melder is always sent to the organisation that triaged."""
    if signal.status == SignalStatus.ontvangen:
        return None
    if case.case_type is None or case.regie_organisation is None:
        return signal.triaged_by_organisation
    if any(s.category is not None for s in get_engine().ladder(case.case_type).states):
        return signal.triaged_by_organisation
    return case.regie_organisation


def status_view(signal: Signal, case: CaseSide) -> SignalStatusOut:
    return SignalStatusOut(
        id=signal.id, status=melder_status(signal, case), reason_code=signal.triage_reason_code,
        case_reference=case.reference, contact_organisation=contact_organisation(signal, case),
        source_organisation=signal.source_organisation, case_type_hint=signal.case_type_hint,
        category=signal.category, external_ref=signal.external_ref, observed_at=signal.observed_at,
        created_at=signal.created_at,
    )


def melder_view(signal: Signal, case: CaseSide, feedback: list[SignalFeedback]) -> MelderSignalOut:
    return MelderSignalOut(
        **status_view(signal, case).model_dump(),
        feedback=[FeedbackOut(id=f.id, message=f.message, from_organisation=f.from_organisation, at=f.created_at)
                  for f in feedback],
    )


_STATUS_FIELDS = tuple(name for name in SignalReceipt.model_fields if name != "matches")


def receipt_of(values: Mapping[str, Any], matches: list[MatchOut] | None) -> SignalReceipt:
    """`receipt` of a signal given as column values (a row inserted in bulk, never loaded)."""
    return SignalReceipt(**{name: values[name] for name in _STATUS_FIELDS}, matches=matches)


def summary(signal: Signal, subject_type: SubjectType) -> SignalSummary:
    return SignalSummary(
        id=signal.id, status=signal.status, source_organisation=signal.source_organisation,
        case_type_hint=signal.case_type_hint, category=signal.category,
        subject_id=signal.subject_id, subject_type=subject_type,
        observed_at=signal.observed_at, external_ref=signal.external_ref, case_id=signal.case_id,
        created_at=signal.created_at,
    )


async def subject_rows(session: AsyncSession, subject_id: uuid.UUID) -> list[Subject]:
    """The signal's subject first, then its members (an address's persons, a group's members)."""
    rows = list((await session.execute(
        select(Subject).where(or_(Subject.id == subject_id, Subject.member_of == subject_id))
        .order_by(Subject.created_at, Subject.id)
    )).scalars())
    return sorted(rows, key=lambda s: s.id != subject_id)


@dataclass(frozen=True)
class FullView:
    out: SignalOut
    grant: Grant | None
    subject_ids: tuple[uuid.UUID, ...]


async def full_view(
    session: AsyncSession, organisation: str, signal: Signal, matches: list[MatchOut]
) -> FullView:
    """Description and identifying subject fields only as far as the caller's organisation's convenants
    grant their data categories for the hinted case type."""
    grants = await grants_for(session, organisation, signal.case_type_hint, clock.today())
    categories = categories_of(grants)
    rows = await subject_rows(session, signal.subject_id)
    identifying = "identificatie" in categories
    shown = [subjects.show(s, identifying=identifying) for s in rows]
    description_visible = signal.category in categories
    triage = None
    if signal.triage_decision is not None:
        triage = TriageOut(decision=signal.triage_decision, reason=signal.triage_reason or "",
                           reason_code=signal.triage_reason_code,
                           by=signal.triaged_by or "", at=signal.triaged_at or signal.created_at)
    out = SignalOut(
        id=signal.id, status=signal.status, source_organisation=signal.source_organisation,
        case_type_hint=signal.case_type_hint, category=signal.category,
        description=signal.description if description_visible else None,
        description_withheld=not description_visible, subject=shown[0], members=shown[1:],
        observed_at=signal.observed_at, external_ref=signal.external_ref, case_id=signal.case_id, triage=triage,
        created_by=signal.created_by, created_at=signal.created_at, matches=matches,
    )
    return FullView(out, best_grant(grants), tuple(s.id for s in rows))


def in_case(signal: Signal, subject: Subject, categories: frozenset[DataCategory]) -> CaseSignalOut:
    """A signal behind a case: description and identifying fields as the existing signal view filters them, by
    the categories the caller's convenants grant for the case."""
    visible = signal.category in categories
    return CaseSignalOut(
        id=signal.id, status=signal.status, source_organisation=signal.source_organisation,
        case_type_hint=signal.case_type_hint, category=signal.category,
        description=signal.description if visible else None, description_withheld=not visible,
        subject=subjects.show(subject, identifying=DataCategory.identificatie in categories),
        observed_at=signal.observed_at, external_ref=signal.external_ref, triage_decision=signal.triage_decision,
        triaged_at=signal.triaged_at, created_at=signal.created_at,
    )
