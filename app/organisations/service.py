"""Ketenpartners: create, list, read. Organisations are registry data, not personal data."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import String, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.audit import service as audit
from app.errors import Conflict, NotFound
from app.organisations.models import Organisation
from app.organisations.schemas import OrganisationCreate
from app.principal import Principal


async def create(session: AsyncSession, principal: Principal, data: OrganisationCreate) -> Organisation:
    decision = access.require_role(session, principal, "organisation:create", object_type="organisation")
    existing = await session.scalar(select(Organisation.id).where(Organisation.code == data.code))
    if existing is not None:
        raise Conflict(f"Organisation {data.code!r} already exists")
    org = Organisation(code=data.code, name=data.name, kind=data.kind.value, created_at=datetime.now(UTC))
    session.add(org)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent create of the same code committed first
        raise Conflict(f"Organisation {data.code!r} already exists") from exc
    audit.record(session, principal, "organisation:create", object_type="organisation", object_id=org.code,
                 role=decision.role)
    return org


async def list_page(
    session: AsyncSession, principal: Principal, *, limit: int, after_code: str | None
) -> list[Organisation]:
    decision = access.require_role(session, principal, "organisation:read", object_type="organisation")
    stmt = select(Organisation).order_by(Organisation.code).limit(limit)
    if after_code is not None:
        stmt = stmt.where(Organisation.code > after_code)
    rows = list((await session.execute(stmt)).scalars())
    audit.record(session, principal, "organisation:list", object_type="organisation", role=decision.role)
    return rows


async def get(session: AsyncSession, principal: Principal, code: str) -> Organisation:
    decision = access.require_role(session, principal, "organisation:read", object_type="organisation",
                                   object_id=code)
    org = await session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        raise NotFound(f"Organisation {code!r} not found")
    audit.record(session, principal, "organisation:read", object_type="organisation", object_id=code,
                 role=decision.role)
    return org


# An organisation's kind never changes (there is no update of organisations) and organisations are never
# deleted, so a known code's kind is cached per process and database: one round trip less on every
# transition.
_KINDS: dict[tuple[str, str], str] = {}
_KIND = select(Organisation.kind).where(Organisation.code == bindparam("code", type_=String()))


async def kind_of(session: AsyncSession, code: str) -> str | None:
    """The kind of organisation `code` (None when unknown; unknown codes are not cached)."""
    key = (str(session.bind.url) if session.bind is not None else "", code)
    kind = _KINDS.get(key)
    if kind is None:
        kind = await session.scalar(_KIND, {"code": code})
        if kind is not None:
            _KINDS[key] = kind
    return kind


async def by_code(session: AsyncSession, code: str) -> Organisation | None:
    """Internal lookup (no audit): used by other services that validate organisation codes."""
    return await session.scalar(select(Organisation).where(Organisation.code == code))
