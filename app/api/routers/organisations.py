from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.api.deps import PrincipalDep, SessionDep
from app.api.pagination import CursorQuery, LimitQuery, after_code, next_cursor
from app.api.responses import PROBLEMS
from app.organisations import service as organisations
from app.organisations.schemas import OrganisationCreate, OrganisationOut, OrganisationPage

router = APIRouter(prefix="/v1/organisations", tags=["organisations"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OrganisationOut,
             responses=PROBLEMS(401, 403, 409, 422))
async def create_organisation(
    body: OrganisationCreate, session: SessionDep, principal: PrincipalDep, response: Response
) -> OrganisationOut:
    org = await organisations.create(session, principal, body)
    response.headers["Location"] = f"/v1/organisations/{org.code}"
    return OrganisationOut.model_validate(org)


@router.get("", response_model=OrganisationPage, responses=PROBLEMS(401, 403, 422))
async def list_organisations(
    session: SessionDep, principal: PrincipalDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> OrganisationPage:
    page = await organisations.list_page(session, principal, limit=limit, after_code=after_code(cursor))
    return OrganisationPage(items=[OrganisationOut.model_validate(o) for o in page.items],
                            next_cursor=next_cursor(page, lambda o: {"code": o.code}))


@router.get("/{code}", response_model=OrganisationOut, responses=PROBLEMS(401, 403, 404))
async def get_organisation(code: str, session: SessionDep, principal: PrincipalDep) -> OrganisationOut:
    return OrganisationOut.model_validate(await organisations.get(session, principal, code))
