"""Internal look-ups of organisations for other services and for access decisions (no audit, no access
check: the caller decides and audits)."""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import String, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.organisations.models import Organisation

# An organisation's kind never changes (there is no update of organisations) and organisations are never
# deleted, so a known code's kind is cached per process and database: one round trip less on every
# transition. Per database means per connection pool (as app/convenants/grants.py's cache): an engine's URL
# would do too, but rendering it costs more than the look-up saves.
_KINDS: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()
_KIND = select(Organisation.kind).where(Organisation.code == bindparam("code", type_=String()))


async def kind_of(session: AsyncSession, code: str) -> str | None:
    """The kind of organisation `code` (None when unknown; unknown codes are not cached)."""
    kinds = _KINDS.get(pool := session.get_bind().engine.pool)
    if kinds is None:
        kinds = _KINDS[pool] = {}
    kind = kinds.get(code)
    if kind is None:
        kind = await session.scalar(_KIND, {"code": code})
        if kind is not None:
            kinds[code] = kind
    return kind


async def by_code(session: AsyncSession, code: str) -> Organisation | None:
    """Internal lookup (no audit): used by other services that validate organisation codes."""
    return await session.scalar(select(Organisation).where(Organisation.code == code))
