"""Notes carry a data category; a note in a category the caller's convenant does not cover does not exist for it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app import access, clock
from app.audit import service as audit
from app.cases.loading import load_case
from app.cases.models import CaseNote
from app.errors import NotAllowed
from app.principal import Principal


async def add(session: AsyncSession, principal: Principal, case_id: uuid.UUID, category: str, text: str) -> CaseNote:
    loaded = await load_case(session, principal, case_id, "note:create")
    if category not in loaded.access.categories:
        access.deny(session, principal, "note:create", object_type="note", case_id=case_id,
                    subject_ids=loaded.subject_ids, reason=f"category {category} not covered")
        raise NotAllowed(f"Your convenant does not cover the category {category!r} for this case type")
    note = CaseNote(id=uuid.uuid4(), case_id=case_id, category=category, text=text, author_sub=principal.sub,
                    author_org=principal.org, created_at=clock.now())
    session.add(note)
    await session.flush()
    audit.record(session, principal, "note:create", object_type="note", object_id=note.id,
                 role=loaded.decision.role, case_id=case_id, subject_ids=loaded.subject_ids,
                 legal_basis=loaded.decision.basis, detail={"category": category})
    return note


async def listing(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, *, limit: int,
    after: tuple[datetime, uuid.UUID] | None, category: str | None = None,
) -> list[CaseNote]:
    loaded = await load_case(session, principal, case_id, "note:read")
    visible = sorted(loaded.access.categories)
    # Filtered in SQL: rows of categories the caller may not see are never loaded.
    stmt = select(CaseNote).where(CaseNote.case_id == case_id, CaseNote.category.in_(visible))
    if category is not None:
        stmt = stmt.where(CaseNote.category == category)
    if after is not None:
        stmt = stmt.where(tuple_(CaseNote.created_at, CaseNote.id) > tuple_(*after))
    rows = list((await session.execute(stmt.order_by(CaseNote.created_at, CaseNote.id).limit(limit))).scalars())
    audit.record(session, principal, "note:list", object_type="note", role=loaded.decision.role, case_id=case_id,
                 subject_ids=loaded.subject_ids, legal_basis=loaded.decision.basis,
                 detail={"categories": visible, "note_ids": [str(n.id) for n in rows]})
    return rows
