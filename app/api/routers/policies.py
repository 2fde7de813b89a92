from __future__ import annotations

from fastapi import APIRouter

from app.access.catalogue import describe_policies
from app.access.schemas import PoliciesOut
from app.api.deps import PrincipalDep, SessionDep
from app.api.responses import PROBLEMS

router = APIRouter(prefix="/v1/policies", tags=["policies"])


@router.get("", response_model=PoliciesOut, responses=PROBLEMS(401, 403))
async def get_policies(session: SessionDep, principal: PrincipalDep) -> PoliciesOut:
    return describe_policies(session, principal)
