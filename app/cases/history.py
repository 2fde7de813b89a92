"""The case's history: every transition with actor and reason; data of uncovered categories withheld."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.loading import load_case
from app.cases.models import CaseTransition
from app.cases.schemas import HistoryEntry
from app.kit.paging import Window, window
from app.meetings.models import MeetingDecision
from app.vocabulary import Action, DataCategory
from app.workflows.engine import get_engine
from app.workflows.model import Ladder


async def listing(session: AsyncSession, principal: Principal, case_id: uuid.UUID, *, limit: int,
                  after: int | None = None) -> Window[HistoryEntry]:
    loaded = await load_case(session, principal, case_id, Action.history_read)
    categories = loaded.access.categories
    # The meeting of a decision that took a step comes along (an id: whether the caller may see that meeting is
    # decided when it asks for it).
    stmt = (select(CaseTransition, MeetingDecision.meeting_id)
            .outerjoin(MeetingDecision, MeetingDecision.id == CaseTransition.decision_id)
            .where(CaseTransition.case_id == case_id))
    if after is not None:
        stmt = stmt.where(CaseTransition.version > after)
    page = window((await session.execute(stmt.order_by(CaseTransition.version).limit(limit + 1))).all(),
                  limit)
    ladder = get_engine().ladder(loaded.case.case_type)
    out = [entry(t, meeting_id, ladder, categories) for t, meeting_id in page.items]
    loaded.record(session, principal, Action.history_read, object_type="case", object_id=case_id)
    return Window(out, page.more)


def entry(t: CaseTransition, meeting_id: uuid.UUID | None, ladder: Ladder,
          categories: frozenset[DataCategory]) -> HistoryEntry:
    """One step as a caller with `categories` may see it."""
    withheld = t.data_category is not None and t.data_category not in categories
    hide_from = t.from_state is not None and ladder.hides_state(t.from_state, categories)
    hide_to = ladder.hides_state(t.to_state, categories)
    # A decision of a category the caller may not see is withheld whole: which one (the trigger), why
    # (the reason) and with what (the data); that a step was taken, when, by whom and where to, stays.
    return HistoryEntry(
        id=t.id, version=t.version, trigger=None if withheld else t.trigger, trigger_withheld=withheld,
        from_state=None if hide_from else t.from_state, to_state=None if hide_to else t.to_state,
        state_withheld=hide_from or hide_to, reason=None if withheld else t.reason,
        data=None if withheld else t.data, data_category=t.data_category,
        data_withheld=withheld, actor_sub=t.actor_sub, actor_org=t.actor_org, actor_role=t.actor_role,
        created_at=t.created_at, regie_organisation=None if hide_to else t.regie_organisation,
        decision_id=t.decision_id, meeting_id=meeting_id,
    )
