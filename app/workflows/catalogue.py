"""GET /v1/workflows: the ladders as published data (states, transitions, roles, required data, Mermaid)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.audit import record as audit
from app.auth.principal import Principal
from app.vocabulary import Action, AuditAction
from app.workflows.engine import get_engine


def summary(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    decision = access.require_role(session, principal, Action.workflow_read, object_type="workflow")
    audit.record(session, principal, AuditAction.workflow_list, object_type="workflow", role=decision.role)
    return get_engine().summary()


def describe(session: AsyncSession, principal: Principal, case_type: str) -> dict[str, Any]:
    decision = access.require_role(session, principal, Action.workflow_read, object_type="workflow",
                                   object_id=case_type)
    audit.record(session, principal, Action.workflow_read, object_type="workflow", object_id=case_type,
                 role=decision.role)
    return get_engine().describe(case_type)
