"""The case's history: every transition with actor and reason; data of uncovered categories withheld."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.cases.loading import load_case
from app.cases.models import CaseTransition
from app.cases.schemas import HistoryEntry
from app.principal import Principal


async def listing(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> list[HistoryEntry]:
    loaded = await load_case(session, principal, case_id, "history:read")
    categories = loaded.access.categories
    rows = (await session.execute(select(CaseTransition).where(CaseTransition.case_id == case_id)
                                  .order_by(CaseTransition.version))).scalars()
    out = []
    for t in rows:
        withheld = t.data_category is not None and t.data_category not in categories
        out.append(HistoryEntry(
            id=t.id, version=t.version, trigger=t.trigger, from_state=t.from_state, to_state=t.to_state,
            reason=t.reason, data=None if withheld else t.data, data_category=t.data_category,  # type: ignore[arg-type]
            data_withheld=withheld, actor_sub=t.actor_sub, actor_org=t.actor_org, actor_role=t.actor_role,
            created_at=t.created_at,
        ))
    audit.record(session, principal, "history:read", object_type="case", object_id=case_id,
                 role=loaded.decision.role, case_id=case_id, subject_ids=loaded.subject_ids,
                 legal_basis=loaded.decision.basis)
    return out
