"""The signals behind a case (GET /v1/cases/{id}/signals): what the partners reported that led to the case or
joined it, for the case's participants."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import record as audit
from app.auth.principal import Principal
from app.cases.loading import load_case
from app.kit.paging import Window, window
from app.signals import views
from app.signals.models import Signal
from app.signals.schemas import CaseSignalOut
from app.subjects.models import Subject
from app.vocabulary import Action, AuditAction


async def listing(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, *, limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> Window[CaseSignalOut]:
    """Oldest first. Reading a case's signals is reading the case (`case:read`: 404 for a caller who may not read
    it); the description and the subject's identifying fields follow the categories the caller's convenants grant
    for the case's type, as in every signal view. The signal's own subject only: an address's persons and a
    group's members are the case's subjects, shown with the case."""
    loaded = await load_case(session, principal, case_id, Action.case_read)
    stmt = (select(Signal, Subject).join(Subject, Subject.id == Signal.subject_id)
            .where(Signal.case_id == case_id))
    if after is not None:
        stmt = stmt.where(tuple_(Signal.created_at, Signal.id) > tuple_(*after))
    page = window((await session.execute(stmt.order_by(Signal.created_at, Signal.id).limit(limit + 1))).all(),
                  limit)
    categories = loaded.access.categories
    items = [views.in_case(signal, subject, categories) for signal, subject in page.items]
    subject_ids = sorted({*loaded.subject_ids, *(signal.subject_id for signal, _ in page.items)}, key=str)
    audit.record(session, principal, AuditAction.case_signals, object_type="case", object_id=case_id,
                 role=loaded.decision.role, case_id=case_id, subject_ids=subject_ids,
                 legal_basis=loaded.decision.basis,
                 detail={"categories": sorted(categories), "signal_ids": [str(i.id) for i in items]})
    return Window(items, page.more)
