from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.api.deps import PrincipalDep, SessionDep
from app.api.responses import PROBLEMS
from app.vocabulary import CaseType
from app.workflows import catalogue
from app.workflows.schemas import Workflow, WorkflowSummary

router = APIRouter(prefix="/v1/workflows", tags=["workflows"])


@router.get("", response_model=list[WorkflowSummary], responses=PROBLEMS(401, 403))
async def list_workflows(session: SessionDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    return catalogue.summary(session, principal)


@router.get("/{case_type}", response_model=Workflow, responses=PROBLEMS(401, 403, 422))
async def get_workflow(case_type: CaseType, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    return catalogue.describe(session, principal, case_type.value)
