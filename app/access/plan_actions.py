"""Who may set the status of a plan action (issue 15 item 3).

The case decision comes first (`require_case` with `plan_action:update`: 404 when the caller may not read the
case, 403 when its roles lack the permission). Then the action itself: its owner organisation updates it, and so
does whoever may write the plan (the plan's author keeps the whole plan in hand: the procesregisseur, and the
casusregisseur of the regie holder, policies/roles.yaml `regie_bound`). Another partner that takes part in the
case may read the action but not change it: 403, audited.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.access.cases import applicable_roles
from app.access.decisions import deny
from app.auth.principal import Principal
from app.cases.models import Case
from app.kit.errors import NotAllowed
from app.vocabulary import Action


def require_action_owner(
    session: AsyncSession, principal: Principal, case: Case, action_id: uuid.UUID, owner: str, *,
    subject_ids: tuple[Any, ...] = (),
) -> str:
    """The role under which the caller changes the action owned by `owner`, or a denied, audited 403."""
    if owner == principal.org:
        roles = applicable_roles(principal, Action.plan_action_update, case)
        if roles:
            return roles[0]
    writers = applicable_roles(principal, Action.plan_write, case)
    if writers:
        return writers[0]
    deny(session, principal, Action.plan_action_update, object_type="plan_action", object_id=action_id,
         case_id=case.id, subject_ids=subject_ids, reason="action owned by another organisation")
    raise NotAllowed("Only the organisation that owns this action, or the plan's author, may change its status")
