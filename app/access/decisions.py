"""Role-level decisions: may any of the principal's roles perform this action at all? And the denial record."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.access.policies import Policies
from app.audit import record as audit
from app.auth.principal import Principal
from app.kit.errors import NotAllowed
from app.vocabulary import Action, AuditOutcome

_policies: Policies | None = None


def configure(policies: Policies) -> None:
    """Installed once at start-up (create_app) after validation."""
    global _policies
    _policies = policies


def policies() -> Policies:
    if _policies is None:
        raise RuntimeError("access policies not configured; create_app() loads them")
    return _policies


@dataclass(frozen=True)
class Decision:
    """An allowed decision: the role that granted it and the convenant used as legal basis (if any)."""

    action: Action
    role: str
    convenant_id: uuid.UUID | None = None
    convenant_version: int | None = None
    legal_basis: str | None = None

    @property
    def basis(self) -> audit.LegalBasis:
        return audit.LegalBasis(self.convenant_id, self.convenant_version, self.legal_basis)


def granting_role(principal: Principal, action: Action) -> str | None:
    role_actions = policies().role_actions
    for role in principal.roles:
        if action in role_actions.get(role, ()):
            return role
    return None


def deny(
    session: AsyncSession,
    principal: Principal,
    action: Action,
    *,
    object_type: str,
    object_id: Any = None,
    case_id: uuid.UUID | None = None,
    subject_ids: tuple[Any, ...] = (),
    reason: str,
) -> None:
    """Audit a denial (kept even though the request rolls back)."""
    audit.record(
        session, principal, action, object_type=object_type, object_id=object_id, outcome=AuditOutcome.denied,
        case_id=case_id, subject_ids=subject_ids, detail={"reason": reason},
    )


def require_role(
    session: AsyncSession, principal: Principal, action: Action, *, object_type: str, object_id: Any = None
) -> Decision:
    role = granting_role(principal, action)
    if role is None:
        deny(session, principal, action, object_type=object_type, object_id=object_id, reason="role")
        raise NotAllowed(f"None of your roles may perform {action}")
    return Decision(action=action, role=role)
