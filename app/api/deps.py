"""Annotated dependencies: the session (unit of work) and the authenticated principal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.access import binding
from app.auth.principal import Principal
from app.auth.tokens import AuthError, TokenVerifier
from app.kit.database import Database
from app.unit_of_work import unit_of_work

bearer = HTTPBearer(auto_error=False, description="JWT with claims sub, org, roles, iss, aud, exp")


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    db: Database = request.app.state.db
    async with unit_of_work(db) as session:
        yield session


# scope="function": commit happens before the response is sent, so a failed commit is never a 2xx.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_principal(
    request: Request, session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The verified token's principal, with the roles this ZVH honours for its organisation (app/access)."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise AuthError("missing bearer token")
    verifier: TokenVerifier = request.app.state.verifier
    principal = await verifier.verify(credentials.credentials)
    return await binding.bind(session, principal, request.app.state.admin_organisations)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
