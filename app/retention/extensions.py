"""Postponing a case's destruction: `POST /v1/cases/{id}/retention-extension` by the procesregisseur taking part.

Who may is decided in app/access (the `case:retention_extend` action: the role, a covering convenant and
participation, as every case operation); the rules of the thing itself are here: at most two extensions per
case (the third is a conflict), none for a destroyed case (app/cases/loading.py refuses every change to one).
The reason is kept with the extension (and destroyed with the case); the audit entry holds the months only.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.loading import LoadedCase, check_version, load_case
from app.cases.models import CaseRetentionExtension
from app.kit import clock
from app.kit.errors import Conflict
from app.vocabulary import Action

MAX_EXTENSIONS = 2


async def extend(session: AsyncSession, principal: Principal, case_id: uuid.UUID, months: int, reason: str,
                 if_match: int | None) -> tuple[LoadedCase, CaseRetentionExtension, int]:
    """Add an extension; returns the case, the extension and the months of all its extensions together."""
    loaded = await load_case(session, principal, case_id, Action.case_retention_extend, lock=True)
    case = loaded.case
    check_version(case, if_match)
    count, total = (await session.execute(
        select(func.count(), func.coalesce(func.sum(CaseRetentionExtension.months), 0))
        .where(CaseRetentionExtension.case_id == case.id))).one()
    if count >= MAX_EXTENSIONS:
        raise Conflict(f"The retention of this case was extended {count} times already; at most "
                       f"{MAX_EXTENSIONS} extensions are allowed")
    now = clock.now()
    extension = CaseRetentionExtension(id=uuid.uuid4(), case_id=case.id, months=months, reason=reason,
                                       created_at=now, created_by=principal.sub,
                                       created_by_organisation=principal.org)
    session.add(extension)
    loaded.changed(now)
    await session.flush()
    total = int(total) + months
    loaded.record(session, principal, Action.case_retention_extend, object_type="retention_extension",
                  object_id=extension.id, detail={"months": months, "number": int(count) + 1,
                                                  "extension_months": total})
    return loaded, extension, total
