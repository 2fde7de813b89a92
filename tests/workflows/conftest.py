from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.workflows.engine import FireResult, WorkflowEngine, get_engine
from app.workflows.model import GuardContext, PlanInfo


@pytest.fixture
def engine() -> WorkflowEngine:
    return get_engine()


Fire = Callable[..., FireResult]


@pytest.fixture
def fire(engine: WorkflowEngine) -> Fire:
    """fire(case_type, state, trigger, data=None, details=None, plan=None) with a GuardContext built for you."""

    def _fire(
        case_type: str,
        state: str,
        trigger: str,
        data: dict[str, Any] | None = None,
        details: dict[str, Any] | None = None,
        plan: PlanInfo | None = None,
        org_kind: str | None = None,
    ) -> FireResult:
        ctx = GuardContext(details=details or {}, data=data or {}, plan=plan, actor_org_kind=org_kind)
        return engine.fire(case_type, state, trigger, ctx)

    return _fire
