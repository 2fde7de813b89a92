"""Internal look-ups of organisations for other services and for access decisions (no audit, no access
check: the caller decides and audits)."""

from __future__ import annotations

from sqlalchemy import String, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.organisations.models import Organisation

# An organisation's kind never changes (there is no update of organisations) and organisations are never
# deleted, so a known code's kind is cached per process and database: one round trip less on every
# transition.
_KINDS: dict[tuple[str, str], str] = {}
_KIND = select(Organisation.kind).where(Organisation.code == bindparam("code", type_=String()))


async def kind_of(session: AsyncSession, code: str) -> str | None:
    """The kind of organisation `code` (None when unknown; unknown codes are not cached)."""
    key = (str(session.bind.engine.url) if session.bind is not None else "", code)
    kind = _KINDS.get(key)
    if kind is None:
        kind = await session.scalar(_KIND, {"code": code})
        if kind is not None:
            _KINDS[key] = kind
    return kind


async def by_code(session: AsyncSession, code: str) -> Organisation | None:
    """Internal lookup (no audit): used by other services that validate organisation codes."""
    return await session.scalar(select(Organisation).where(Organisation.code == code))
