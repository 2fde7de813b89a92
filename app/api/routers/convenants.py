from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.api.deps import PrincipalDep, SessionDep
from app.api.pagination import CursorQuery, LimitQuery, after_code, next_cursor
from app.api.responses import PROBLEMS
from app.convenants import service as convenants
from app.convenants.schemas import (
    ConvenantCreate,
    ConvenantOut,
    ConvenantPage,
    ConvenantUpdate,
    ConvenantVersions,
    TerminateIn,
)
from app.vocabulary import CaseType, ConvenantStatus

router = APIRouter(prefix="/v1/convenants", tags=["convenants"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ConvenantOut,
             responses=PROBLEMS(401, 403, 409, 422))
async def create_convenant(
    body: ConvenantCreate, session: SessionDep, principal: PrincipalDep, response: Response
) -> ConvenantOut:
    """A new convenant, as version 1 in status `concept`."""
    view = await convenants.create(session, principal, body)
    response.headers["Location"] = f"/v1/convenants/{view.convenant.id}"
    return ConvenantOut.from_view(view)


@router.get("", response_model=ConvenantPage, responses=PROBLEMS(401, 403, 422))
async def list_convenants(
    session: SessionDep,
    principal: PrincipalDep,
    status: ConvenantStatus | None = None,
    organisation: Annotated[str | None, Query(max_length=64, description="Party organisation code")] = None,
    case_type: CaseType | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> ConvenantPage:
    """Each convenant in its current version (the active one, else the newest); filters apply to that version."""
    page = await convenants.list_page(
        session, principal, limit=limit, after_code=after_code(cursor),
        status=status, organisation=organisation, case_type=case_type,
    )
    return ConvenantPage(items=[ConvenantOut.from_view(v) for v in page.items],
                         next_cursor=next_cursor(page, lambda v: {"code": v.convenant.code}))


@router.get("/{convenant_id}", response_model=ConvenantOut, responses=PROBLEMS(401, 403, 404, 422))
async def get_convenant(convenant_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> ConvenantOut:
    """The current version, with `pending_version` when a newer concept awaits activation."""
    return ConvenantOut.from_view(await convenants.get(session, principal, convenant_id))


@router.patch("/{convenant_id}", response_model=ConvenantOut, responses=PROBLEMS(401, 403, 404, 409, 422))
async def update_convenant(
    convenant_id: uuid.UUID, body: ConvenantUpdate, session: SessionDep, principal: PrincipalDep
) -> ConvenantOut:
    """Change a concept in place; on an active convenant, write version n+1 as a concept (the active
    version stays as it is until the new one is activated). A terminated convenant cannot change (409)."""
    return ConvenantOut.from_view(await convenants.update(session, principal, convenant_id, body))


@router.post("/{convenant_id}/activate", response_model=ConvenantOut, responses=PROBLEMS(401, 403, 404, 409, 422))
async def activate_convenant(convenant_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> ConvenantOut:
    """Activate the newest concept (needs two parties and a period not yet over); the version active until
    now becomes `vervangen` in the same transaction."""
    return ConvenantOut.from_view(await convenants.activate(session, principal, convenant_id))


@router.post("/{convenant_id}/terminate", response_model=ConvenantOut,
             responses=PROBLEMS(401, 403, 404, 409, 422))
async def terminate_convenant(
    convenant_id: uuid.UUID, body: TerminateIn, session: SessionDep, principal: PrincipalDep
) -> ConvenantOut:
    """End the active version at once (`beeindigd`); access granted by it stops with the next request."""
    return ConvenantOut.from_view(await convenants.terminate(session, principal, convenant_id, body.reason))


@router.get("/{convenant_id}/versions", response_model=ConvenantVersions, responses=PROBLEMS(401, 403, 404, 422))
async def list_convenant_versions(
    convenant_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> ConvenantVersions:
    """Every version, oldest first."""
    views = await convenants.versions(session, principal, convenant_id)
    return ConvenantVersions(items=[ConvenantOut.from_view(v) for v in views])
