"""Ketenpartners: create, list, read. Organisations are registry data, not personal data."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.audit import record as audit
from app.auth.principal import Principal
from app.kit.errors import Conflict, NotFound
from app.kit.paging import Window, window
from app.organisations.models import Organisation
from app.organisations.schemas import OrganisationCreate
from app.vocabulary import Action, AuditAction


async def create(session: AsyncSession, principal: Principal, data: OrganisationCreate) -> Organisation:
    decision = access.require_role(session, principal, Action.organisation_create, object_type="organisation")
    existing = await session.scalar(select(Organisation.id).where(Organisation.code == data.code))
    if existing is not None:
        raise Conflict(f"Organisation {data.code!r} already exists")
    org = Organisation(code=data.code, name=data.name, kind=data.kind.value, created_at=datetime.now(UTC))
    session.add(org)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent create of the same code committed first
        raise Conflict(f"Organisation {data.code!r} already exists") from exc
    audit.record(session, principal, Action.organisation_create, object_type="organisation", object_id=org.code,
                 role=decision.role)
    return org


async def list_page(
    session: AsyncSession, principal: Principal, *, limit: int, after_code: str | None
) -> Window[Organisation]:
    decision = access.require_role(session, principal, Action.organisation_read, object_type="organisation")
    stmt = select(Organisation).order_by(Organisation.code).limit(limit + 1)
    if after_code is not None:
        stmt = stmt.where(Organisation.code > after_code)
    page = window(list((await session.execute(stmt)).scalars()), limit)
    audit.record(session, principal, AuditAction.organisation_list, object_type="organisation", role=decision.role)
    return page


async def get(session: AsyncSession, principal: Principal, code: str) -> Organisation:
    decision = access.require_role(session, principal, Action.organisation_read, object_type="organisation",
                                   object_id=code)
    org = await session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        raise NotFound(f"Organisation {code!r} not found")
    audit.record(session, principal, Action.organisation_read, object_type="organisation", object_id=code,
                 role=decision.role)
    return org
