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
from app.signals.models import Signal
from app.signals.schemas import MatchOut, SignalOut, SignalReceipt, SignalStatusOut, SignalSummary, TriageOut
from app.subjects import service as subjects
from app.subjects.models import Subject
from app.vocabulary import SubjectType


def status_view(signal: Signal) -> SignalStatusOut:
    return SignalStatusOut(
        id=signal.id, status=signal.status, source_organisation=signal.source_organisation,
        case_type_hint=signal.case_type_hint, category=signal.category,
        external_ref=signal.external_ref, observed_at=signal.observed_at, created_at=signal.created_at,
    )


_STATUS_FIELDS = tuple(SignalStatusOut.model_fields)


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
