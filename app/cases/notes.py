"""Notes carry a data category; a note in a category the caller's convenant does not cover does not exist for it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Select, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.auth.principal import Principal
from app.cases.loading import load_case
from app.cases.models import CaseNote
from app.events import publish
from app.kit import clock
from app.kit.paging import Window, window
from app.vocabulary import Action, AuditAction


async def add(session: AsyncSession, principal: Principal, case_id: uuid.UUID, category: str, text: str) -> CaseNote:
    loaded = await load_case(session, principal, case_id, Action.note_create)
    access.require_category(session, principal, Action.note_create, loaded.access, category, case_id=case_id,
                            object_type="note", subject_ids=loaded.subject_ids)
    note = CaseNote(id=uuid.uuid4(), case_id=case_id, category=category, text=text, author_sub=principal.sub,
                    author_org=principal.org, created_at=clock.now())
    session.add(note)
    await session.flush()
    publish.note_added(session, loaded.case, note.id, category)
    loaded.record(session, principal, Action.note_create, object_type="note", object_id=note.id,
                  detail={"category": category})
    return note


def visible_notes(case_id: uuid.UUID, categories: Iterable[str]) -> Select[CaseNote]:
    """The case's notes of `categories`, filtered in SQL: rows of categories the caller may not see are never
    loaded."""
    return select(CaseNote).where(CaseNote.case_id == case_id, CaseNote.category.in_(sorted(categories)))


async def listing(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, *, limit: int,
    after: tuple[datetime, uuid.UUID] | None, category: str | None = None,
) -> Window[CaseNote]:
    loaded = await load_case(session, principal, case_id, Action.note_read)
    visible = sorted(loaded.access.categories)
    stmt = visible_notes(case_id, visible)
    if category is not None:
        stmt = stmt.where(CaseNote.category == category)
    if after is not None:
        stmt = stmt.where(tuple_(CaseNote.created_at, CaseNote.id) > tuple_(*after))
    stmt = stmt.order_by(CaseNote.created_at, CaseNote.id).limit(limit + 1)
    page = window(list((await session.execute(stmt)).scalars()), limit)
    loaded.record(session, principal, AuditAction.note_list, object_type="note",
                  detail={"categories": visible, "note_ids": [str(n.id) for n in page.items]})
    return page
