"""Central roles are bound to organisations (issue 12, finding 5): a token's `org` and `roles` are claims of
the partner's identity provider; which of those roles this ZVH honours for that organisation is decided here,
once per request, before any action is.

- `beheerder` administers organisations, convenants and subscriptions for the care and safety house: only
  for the organisations in CASUSREGIE_ADMIN_ORGANISATIONS; unset, for the organisations of kind `zvh`; while
  none is registered yet, for any (so that the first can be created). A beheerder role claimed elsewhere is
  dropped: its actions are then refused (403) and audited like any other missing role.
- Case roles are bound to organisation kinds as DOMAIN.md defines them (`organisation_kinds` in
  policies/roles.yaml): `procesregisseur` for `zvh` and `gemeente` staff, `bestuurder` for `gemeente`. A
  housing corporation's token claiming `procesregisseur` is honoured without it, like a beheerder elsewhere:
  what needs the role is refused (403; on a case the caller can then not know, 404) and audited with the
  claimed roles.
- The organisation's kind is attached to the principal (`org_kind`): an auditor of the ZVH reads every audit
  entry, an auditor of a partner organisation those of its own organisation's staff and systems
  (`audit_scope`).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.decisions import policies
from app.auth.principal import Principal
from app.organisations import lookup as organisations
from app.organisations.models import Organisation
from app.vocabulary import OrganisationKind, Role

_ZVH_EXISTS = select(exists().where(Organisation.kind == OrganisationKind.zvh))


async def _administers(session: AsyncSession, principal: Principal, kind: str | None,
                       admin_organisations: frozenset[str]) -> bool:
    if admin_organisations:
        return principal.org in admin_organisations
    if kind == OrganisationKind.zvh:
        return True
    return not await session.scalar(_ZVH_EXISTS)  # bootstrap: no care and safety house registered yet


def audit_scope(principal: Principal) -> str | None:
    """The organisation whose staff's and systems' audit entries this auditor may read; None: every entry (the
    FG of the joint controllers works at the care and safety house, an organisation of kind `zvh`)."""
    return None if principal.org_kind == OrganisationKind.zvh else principal.org


async def bind(session: AsyncSession, principal: Principal, admin_organisations: frozenset[str]) -> Principal:
    kind = await organisations.kind_of(session, principal.org)
    fits = policies().role_fits
    roles = tuple(r for r in principal.roles if fits(r, kind))
    if Role.beheerder in roles and not await _administers(session, principal, kind, admin_organisations):
        roles = tuple(r for r in roles if r != Role.beheerder)
    return replace(principal, roles=roles, org_kind=kind,
                   claimed_roles=principal.roles if roles != principal.roles else ())
