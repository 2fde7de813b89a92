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
from app.unit_of_work import read_unit, unit_of_work

bearer = HTTPBearer(auto_error=False, description="JWT with claims sub, org, roles, iss, aud, exp")


# Reads that need one snapshot across statements: the verification exports its transaction's snapshot to
# its worker processes.
TRANSACTIONAL_READS = frozenset({"/v1/audit/verify"})


def _read_only(request: Request) -> bool:
    route = request.scope.get("route")
    return request.method in ("GET", "HEAD") and getattr(route, "path", None) not in TRANSACTIONAL_READS


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """GET: a read without a transaction, writes refused (app/unit_of_work.py: read_unit); else a unit of work."""
    db: Database = request.app.state.db
    unit = read_unit(db) if _read_only(request) else unit_of_work(db)
    async with unit as session:
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

# An If-Match value as the API takes it: `"3"`, `W/"3"`, `3` or `*` (parsed by app/cases/loading.py
# parse_if_match); one pattern for every resource that has versions (cases, meetings).
IF_MATCH_PATTERN = r'^[ \t]*(\*|(W/)?"?[0-9]{1,9}"?)[ \t]*$'
