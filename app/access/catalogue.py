"""GET /v1/policies: the roles and data categories, for portals to render."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.access.decisions import policies, require_role
from app.access.schemas import CategoryOut, PoliciesOut, RoleOut
from app.audit import record as audit
from app.auth.principal import Principal
from app.vocabulary import Action


def describe_policies(session: AsyncSession, principal: Principal) -> PoliciesOut:
    decision = require_role(session, principal, Action.policy_read, object_type="policy")
    pol = policies()
    audit.record(session, principal, Action.policy_read, object_type="policy", role=decision.role)
    return PoliciesOut(
        roles=[RoleOut(code=r, label=pol.role_labels[r], actions=sorted(a),
                       organisation_kinds=sorted(pol.organisation_kinds[r]) if r in pol.organisation_kinds else None)
               for r, a in pol.role_actions.items()],
        data_categories=[CategoryOut(code=c.code, label=c.label, avg_class=c.avg_class)
                         for c in pol.categories.values()],
    )
